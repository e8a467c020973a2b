/**
 * max_pool_global.wgsl: global max pooling, where the window is the whole input (kernel = input size,
 * no padding): one workgroup per (n, c) plane, which walks the plane in parallel and reduces in
 * workgroup memory, instead of one invocation walking a whole plane. Any rank and layout. Only under
 * the 'gpu' launch profile: a CPU emulation runs a workgroup's barriers as switches between its
 * invocations, and there the general kernel's one loop per plane is faster (docs/performance.md,
 * "Global pooling").
 */
import code from '../../shaders/max_pool_global.wgsl?raw';
import type { PoolGeometry } from '../options.js';
import { dispatchGrid } from '../dispatch.js';
import { nanRule } from './grids.js';
import { POOL_BINDINGS } from './max_pool.js';
import { defineProgram, type DeviceFacts } from './program.js';

/** Planes smaller than this are left to the general kernel (a workgroup would mostly idle). */
export const GLOBAL_MIN_PLANE = 64;

export const maxPoolGlobal = defineProgram({
  name: 'max_pool_global',
  wgsl: code,
  includes: ['layout'],
  uniforms: ['total', 'channels', 'channels_last', 'in_d', 'in_h', 'in_w', 'index_stride_n', 'index_stride_c', 'index_stride_s'],
  bindings: POOL_BINDINGS,
  floats: 'widened',
  applies: (g: PoolGeometry, { limits, launch }: DeviceFacts) => {
    if (launch.name !== 'gpu') return null;
    const volume = g.inSpatial.reduce((a, b) => a * b, 1);
    const global = g.kernel.every((k, i) => k === g.inSpatial[i] && g.padBegin[i] === 0 && g.padEnd[i] === 0);
    if (!global || volume < GLOBAL_MIN_PLANE) return null;
    // Enough invocations to give each a few elements, within the default limit of 256 per workgroup.
    const size = volume >= 4096 ? 256 : 64;
    const planes = g.batch * g.channels;
    return { grid: dispatchGrid(planes * size, size, limits.maxComputeWorkgroupsPerDimension, g.op), constants: { WORKGROUP_SIZE: size, ...nanRule(g) } };
  },
});
