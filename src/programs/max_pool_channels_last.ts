/**
 * max_pool_channels_last.wgsl: channels-last pooling with a channel count that is a multiple of 4,
 * any window geometry: four channels per invocation, from vec4 loads. Where the windows tile the input,
 * TILES: a tap loop of static length with no bounds checks, and several output columns per invocation.
 */
import code from '../../shaders/max_pool_channels_last.wgsl?raw';
import { rowsPerInvocation } from '../launch.js';
import type { PoolGeometry } from '../options.js';
import { toDHW } from '../params.js';
import { nanRule, windowsTile, workgroupShape } from './grids.js';
import { VECTOR_POOL_BINDINGS } from './max_pool_tiled.js';
import { defineProgram, type DeviceFacts, type Launch } from './program.js';

/** The window's size per dimension, fixed per pipeline (the kernels' loops are then static). */
export function kernelConstants(g: PoolGeometry): { KERNEL_W: number; KERNEL_H: number; KERNEL_D: number } {
  const [kernelD, kernelH, kernelW] = toDHW(g.kernel, 1);
  return { KERNEL_W: kernelW, KERNEL_H: kernelH, KERNEL_D: kernelD };
}

/**
 * The grid of the channels-last kernels: groups of four channels across x, output columns down y,
 * (batch, depth, row) along z; the window's size as constants. Null where the layout or channel count
 * does not fit the kernels, or the grid does not fit the device.
 */
export function channelsLastLaunch(g: PoolGeometry, maxPerDimension: number): (Launch & { constants: { WORKGROUP_X: number; WORKGROUP_Y: number; KERNEL_W: number; KERNEL_H: number; KERNEL_D: number } }) | null {
  if (g.layout !== 'NHWC' || g.channels % 4 !== 0) return null;
  const [outD, outH, outW] = toDHW(g.outSpatial, 1);
  const shape = workgroupShape(g.channels / 4);
  const grid: [number, number, number] = [Math.ceil(g.channels / 4 / shape.WORKGROUP_X), Math.ceil(outW / shape.WORKGROUP_Y), g.batch * outD * outH];
  return grid.some((n) => n > maxPerDimension) ? null : { grid, constants: { ...shape, ...kernelConstants(g) } };
}

/** channelsLastLaunch where the windows tile the input (the channels-last unpooling kernel's case); else null. */
export function channelsLastTiledLaunch(g: PoolGeometry, maxPerDimension: number): ReturnType<typeof channelsLastLaunch> {
  return windowsTile(g) ? channelsLastLaunch(g, maxPerDimension) : null;
}

export const maxPoolChannelsLast = defineProgram({
  name: 'max_pool_channels_last',
  wgsl: code,
  includes: ['layout'],
  uniforms: [
    'channels', 'in_d', 'in_h', 'in_w', 'out_d', 'out_h', 'out_w',
    'stride_d', 'stride_h', 'stride_w', 'pad_d', 'pad_h', 'pad_w', 'dilation_d', 'dilation_h', 'dilation_w',
    'index_stride_n', 'index_stride_c', 'index_stride_s',
  ],
  bindings: VECTOR_POOL_BINDINGS,
  floats: 'stored',
  applies: (g: PoolGeometry, { limits, launch }: DeviceFacts) => {
    const max = limits.maxComputeWorkgroupsPerDimension;
    const base = channelsLastLaunch(g, max);
    if (!base) return null;
    if (!windowsTile(g)) return { grid: base.grid, constants: { ...base.constants, ...nanRule(g) } };
    // Windows that tile the input: TILES, and up to 8 output columns per invocation (the launch
    // profile's tiled rows, fewer where that would leave fewer invocations than the profile wants).
    const [outD, outH, outW] = toDHW(g.outSpatial, 1);
    const positions = (g.channels / 4) * g.batch * outD * outH;
    const columns = rowsPerInvocation(Math.min(8, launch.tiledRows), launch.minInvocations, (c) => positions * Math.ceil(outW / c));
    const grid: [number, number, number] = [base.grid[0], Math.ceil(outW / (columns * base.constants.WORKGROUP_Y)), base.grid[2]];
    return { grid, constants: { ...base.constants, TILES: 1, COLUMNS: columns, ...nanRule(g) } };
  },
});
