/**
 * max_pool_tiled.wgsl: pooling where the windows tile the input exactly (channels-first, stride =
 * kernel, no padding or dilation, each input size a multiple of its kernel), kernel width 1, 2 or 4
 * and an output width that splits into groups of four: four outputs of several rows per invocation
 * from whole vec4 loads; on single-row outputs (1-D, or height and depth 1), runs of groups of four
 * columns along the row instead (COLUMNS).
 */
import code from '../../shaders/max_pool_tiled.wgsl?raw';
import { LAUNCH_PROFILES, rowsPerInvocation, type LaunchProfile } from '../launch.js';
import type { PoolGeometry } from '../options.js';
import { toDHW } from '../params.js';
import { nanRule, rowGroupsGrid, windowsTile, workgroupShape } from './grids.js';
import { defineProgram, type DeviceFacts, type Launch } from './program.js';

/** How max_pool_tiled.wgsl (and max_unpool_tiled.wgsl) cover a pooling: its grid and specialisation. */
export interface TiledLaunch extends Launch {
  constants: { WORKGROUP_X: number; WORKGROUP_Y: number; KERNEL_W: number; KERNEL_H: number; KERNEL_D: number; ROWS: number };
}

/**
 * The tiled kernels apply when windows tile the input exactly (channels-first) and each output row
 * splits into groups of four that one vec4 load per kernel column serves; and when the grid fits.
 */
export function tiledLaunch(g: PoolGeometry, maxPerDimension: number, launch: LaunchProfile = LAUNCH_PROFILES.emulated): TiledLaunch | null {
  const last = g.rank - 1;
  const [kernelD, kernelH, kernelW] = toDHW(g.kernel, 1);
  if (g.layout !== 'NCHW' || !windowsTile(g) || ![1, 2, 4].includes(kernelW) || g.outSpatial[last] % 4 !== 0) return null;
  const [outD, outH, outW] = toDHW(g.outSpatial, 1);
  const rows = rowGroupsGrid(outW / 4, outH, g.batch * g.channels * outD, maxPerDimension, launch);
  return rows && { grid: rows.grid, constants: { ...rows.constants, KERNEL_W: kernelW, KERNEL_H: kernelH, KERNEL_D: kernelD } };
}

/**
 * The tiled pooling kernel on a single output row per plane (1-D, or height and depth 1): each
 * invocation takes a run of groups of four columns along the row (COLUMNS) instead of rows, so 1-D
 * pooling amortises its addressing as 2-D does. Null where tiledLaunch does not apply or the output has rows.
 */
export function tiledColumnsLaunch(g: PoolGeometry, maxPerDimension: number, launch: LaunchProfile = LAUNCH_PROFILES.emulated): (TiledLaunch & { constants: { COLUMNS: number } }) | null {
  const base = tiledLaunch(g, maxPerDimension, launch);
  const [outD, outH, outW] = toDHW(g.outSpatial, 1);
  if (!base || outD !== 1 || outH !== 1) return null;
  const groupsPerRow = outW / 4;
  const planes = g.batch * g.channels;
  const runs = rowsPerInvocation(launch.tiledRows, launch.minInvocations, (r) => Math.ceil(groupsPerRow / r) * planes);
  const shape = workgroupShape(Math.ceil(groupsPerRow / runs));
  const grid: [number, number, number] = [Math.ceil(groupsPerRow / runs / shape.WORKGROUP_X), 1, planes];
  if (grid.some((n) => n > maxPerDimension)) return null;
  return { grid, constants: { ...base.constants, ...shape, ROWS: runs, COLUMNS: 1 } };
}

/** The bindings of the pooling kernels that move four floats at a time, and four indices. */
export const VECTOR_POOL_BINDINGS = [
  { name: 'params', kind: 'uniform' },
  { name: 'input', kind: 'floats', access: 'read', vector: true },
  { name: 'values', kind: 'floats', access: 'write', vector: true },
  { name: 'indices', kind: 'storage', access: 'read_write', type: 'array<vec4<i32>>' },
] as const;

export const maxPoolTiled = defineProgram({
  name: 'max_pool_tiled',
  wgsl: code,
  includes: ['layout'],
  uniforms: ['channels', 'in_d', 'in_h', 'in_w', 'out_d', 'out_h', 'out_w', 'index_stride_n', 'index_stride_c', 'index_stride_s'],
  bindings: VECTOR_POOL_BINDINGS,
  floats: 'stored',
  applies: (g: PoolGeometry, { limits, launch }: DeviceFacts) => {
    const max = limits.maxComputeWorkgroupsPerDimension;
    const tiled = tiledColumnsLaunch(g, max, launch) ?? tiledLaunch(g, max, launch);
    return tiled && { grid: tiled.grid, constants: { ...tiled.constants, ...nanRule(g) } };
  },
});
