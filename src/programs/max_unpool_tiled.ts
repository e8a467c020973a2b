/**
 * max_unpool_tiled.wgsl: unpooling, or the pooling gradient, for indices that max_pool_tiled.wgsl's
 * kind of pooling produced (windows that tile the input, channels-first): each invocation writes the
 * whole blocks of four adjacent windows in several pooled rows, once, with vec4 stores.
 */
import code from '../../shaders/max_unpool_tiled.wgsl?raw';
import { tiledLaunch } from './max_pool_tiled.js';
import { defineProgram, type DeviceFacts } from './program.js';
import type { WindowGather } from './window_gather.js';

/** The params and bindings of the unpooling kernels that write whole windows that tile the input, four at a time. */
export const TILED_UNPOOL = {
  uniforms: ['channels', 'in_d', 'in_h', 'in_w', 'out_d', 'out_h', 'out_w', 'index_stride_n', 'index_stride_c', 'index_stride_s'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'values', kind: 'floats', access: 'read', vector: true },
    { name: 'indices', kind: 'storage', access: 'read', type: 'array<vec4<i32>>' },
    { name: 'output', kind: 'floats', access: 'write', vector: true },
  ],
} as const;

export const maxUnpoolTiled = defineProgram({
  name: 'max_unpool_tiled',
  wgsl: code,
  includes: ['layout'],
  ...TILED_UNPOOL,
  floats: 'stored',
  windowTaps: true,
  applies: ({ pooling, gradient }: WindowGather, { limits, launch }: DeviceFacts) => {
    const tiled = tiledLaunch(pooling, limits.maxComputeWorkgroupsPerDimension, launch);
    return tiled && { grid: tiled.grid, constants: { ...tiled.constants, GRADIENT: gradient ? 1 : 0 } };
  },
});
