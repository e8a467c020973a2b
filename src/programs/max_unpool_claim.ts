/**
 * max_unpool_claim.wgsl: the general unpooling's first pass: each pooled element claims the output
 * position its index names (the last in memory order wins); faults on indices that name none.
 */
import code from '../../shaders/max_unpool_claim.wgsl?raw';
import type { FlatWork } from './flat.js';
import { flatLaunch } from './grids.js';
import { defineProgram, type DeviceFacts } from './program.js';

export const maxUnpoolClaim = defineProgram({
  name: 'max_unpool_claim',
  wgsl: code,
  includes: ['layout'],
  uniforms: ['total', 'channels', 'channels_last', 'in_d', 'in_h', 'in_w', 'out_d', 'out_h', 'out_w', 'index_stride_n', 'index_stride_c', 'index_stride_s'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'indices', kind: 'storage', access: 'read', type: 'array<i32>' },
    { name: 'owner', kind: 'storage', access: 'read_write', type: 'array<atomic<u32>>' },
    { name: 'status', kind: 'storage', access: 'read_write', type: 'array<atomic<u32>, 2>' },
  ],
  zeroed: ['owner'],
  applies: ({ op, count }: FlatWork, { limits }: DeviceFacts) => flatLaunch(op, count, limits),
});
