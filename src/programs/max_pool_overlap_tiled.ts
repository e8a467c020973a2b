/**
 * max_pool_overlap_tiled.wgsl: 2-D channels-first pooling whose windows are 3 wide with stride 2,
 * padding 1 (before) and dilation 1 along the width (the 3x3/2 ResNet stem), any kernel height,
 * stride, padding and dilation, ceil mode included, on inputs whose width is a multiple of 4: four
 * outputs of several rows per invocation from whole vec4 loads. float16 stores two lanes to a word,
 * so it takes the kernel only for even output widths.
 */
import code from '../../shaders/max_pool_overlap_tiled.wgsl?raw';
import { LAUNCH_PROFILES, type LaunchProfile } from '../launch.js';
import type { PoolGeometry } from '../options.js';
import { nanRule, rowGroupsGrid, stemWindows } from './grids.js';
import { defineProgram, type DeviceFacts, type Launch } from './program.js';

/** How max_pool_overlap_tiled.wgsl covers a pooling: its grid and specialisation, or null. */
export function overlapTiledLaunch(g: PoolGeometry, maxPerDimension: number, launch: LaunchProfile = LAUNCH_PROFILES.emulated): (Launch & { constants: { WORKGROUP_X: number; WORKGROUP_Y: number; KERNEL_H: number; ROWS: number } }) | null {
  if (g.layout !== 'NCHW' || g.rank !== 2 || !stemWindows(g, 1) || g.inSpatial[1] % 4 !== 0) return null;
  const [outH, outW] = g.outSpatial;
  const rows = rowGroupsGrid(Math.ceil(outW / 4), outH, g.batch * g.channels, maxPerDimension, launch);
  return rows && { grid: rows.grid, constants: { ...rows.constants, KERNEL_H: g.kernel[0] } };
}

export const maxPoolOverlapTiled = defineProgram({
  name: 'max_pool_overlap_tiled',
  wgsl: code,
  includes: ['layout'],
  uniforms: ['channels', 'in_h', 'in_w', 'out_h', 'out_w', 'stride_h', 'pad_h', 'dilation_h', 'index_stride_n', 'index_stride_c', 'index_stride_s'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'floats', access: 'read', vector: true },
    { name: 'values', kind: 'floats', access: 'write' },
    { name: 'indices', kind: 'storage', access: 'read_write', type: 'array<i32>' },
  ],
  floats: 'stored',
  applies: (g: PoolGeometry, { limits, launch, float }: DeviceFacts) => {
    // float16 stores two lanes to a word: the last group of an odd output width would be half a word.
    if (float !== 'float32' && g.outSpatial[1] % 2 !== 0) return null;
    const overlap = overlapTiledLaunch(g, limits.maxComputeWorkgroupsPerDimension, launch);
    return overlap && { grid: overlap.grid, constants: { ...overlap.constants, ...nanRule(g) } };
  },
});
