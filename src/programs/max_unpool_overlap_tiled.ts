/**
 * max_unpool_overlap_tiled.wgsl: unpooling (not the gradient) of a 2-D channels-first pooling with
 * 3x3 windows, stride 2, padding 1 at the start and dilation 1 in both dimensions (the ResNet stem),
 * the input width a multiple of 4: four input columns of several input rows per invocation, gathered
 * from the few windows that hold them, one vec4 store per row.
 */
import code from '../../shaders/max_unpool_overlap_tiled.wgsl?raw';
import { LAUNCH_PROFILES, type LaunchProfile } from '../launch.js';
import type { PoolGeometry } from '../options.js';
import { rowGroupsGrid, stemWindows } from './grids.js';
import { defineProgram, type DeviceFacts } from './program.js';
import type { WindowGather } from './window_gather.js';

/** How max_unpool_overlap_tiled.wgsl covers the unpooling of a pooling, or null. */
export function overlapUnpoolLaunch(g: PoolGeometry, maxPerDimension: number, launch: LaunchProfile = LAUNCH_PROFILES.emulated): ReturnType<typeof rowGroupsGrid> {
  if (g.layout !== 'NCHW' || g.rank !== 2 || !stemWindows(g, 0) || !stemWindows(g, 1) || g.inSpatial[1] % 4 !== 0) return null;
  const [inH, inW] = g.inSpatial;
  return rowGroupsGrid(inW / 4, inH, g.batch * g.channels, maxPerDimension, launch);
}

export const maxUnpoolOverlapTiled = defineProgram({
  name: 'max_unpool_overlap_tiled',
  wgsl: code,
  includes: ['layout'],
  uniforms: ['channels', 'in_h', 'in_w', 'out_h', 'out_w', 'index_stride_n', 'index_stride_c', 'index_stride_s'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'values', kind: 'floats', access: 'read' },
    { name: 'indices', kind: 'storage', access: 'read', type: 'array<i32>' },
    { name: 'output', kind: 'floats', access: 'write', vector: true },
  ],
  floats: 'stored',
  windowTaps: true,
  applies: ({ pooling, gradient }: WindowGather, { limits, launch }: DeviceFacts) => (gradient ? null : overlapUnpoolLaunch(pooling, limits.maxComputeWorkgroupsPerDimension, launch)),
});
