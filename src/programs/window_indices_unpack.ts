/**
 * window_indices_unpack.wgsl: before an index-reading operation on 'window' taps, the taps turned into
 * spatial indices; faults on taps past the kernel or on padding.
 */
import code from '../../shaders/window_indices_unpack.wgsl?raw';
import { POOL_PARAM_FIELDS } from '../params.js';
import type { FlatWork } from './flat.js';
import { flatLaunch } from './grids.js';
import { defineProgram, type DeviceFacts } from './program.js';

export const windowIndicesUnpack = defineProgram({
  name: 'window_indices_unpack',
  wgsl: code,
  includes: ['layout'],
  uniforms: POOL_PARAM_FIELDS.filter((field) => !field.startsWith('index_stride')),
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'taps', kind: 'storage', access: 'read', type: 'array<u32>' },
    { name: 'spatial', kind: 'storage', access: 'read_write', type: 'array<i32>' },
    { name: 'status', kind: 'storage', access: 'read_write', type: 'array<atomic<u32>, 2>' },
  ],
  applies: ({ op, count }: FlatWork, { limits }: DeviceFacts) => flatLaunch(op, count, limits),
});
