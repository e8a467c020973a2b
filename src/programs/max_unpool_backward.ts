/** max_unpool_backward.wgsl: the unpooling gradient: each pooled element gathers the output gradient at its index. */
import code from '../../shaders/max_unpool_backward.wgsl?raw';
import type { FlatWork } from './flat.js';
import { flatLaunch } from './grids.js';
import { defineProgram, type DeviceFacts } from './program.js';

export const maxUnpoolBackward = defineProgram({
  name: 'max_unpool_backward',
  wgsl: code,
  includes: ['layout'],
  uniforms: ['total', 'channels', 'channels_last', 'in_d', 'in_h', 'in_w', 'out_d', 'out_h', 'out_w', 'index_stride_n', 'index_stride_c', 'index_stride_s'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'grad_output', kind: 'floats', access: 'read' },
    { name: 'indices', kind: 'storage', access: 'read', type: 'array<i32>' },
    { name: 'grad_values', kind: 'floats', access: 'write' },
    { name: 'status', kind: 'storage', access: 'read_write', type: 'array<atomic<u32>, 2>' },
  ],
  floats: 'widened',
  applies: ({ op, count }: FlatWork, { limits }: DeviceFacts) => flatLaunch(op, count, limits),
});
