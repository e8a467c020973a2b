/**
 * max_pool_backward_check.wgsl: the pooling gradient's first pass where the indices' provenance is
 * unknown: faults on every index that is not inside its own window.
 */
import code from '../../shaders/max_pool_backward_check.wgsl?raw';
import { POOL_PARAM_FIELDS } from '../params.js';
import type { FlatWork } from './flat.js';
import { flatLaunch } from './grids.js';
import { defineProgram, type DeviceFacts } from './program.js';

export const maxPoolBackwardCheck = defineProgram({
  name: 'max_pool_backward_check',
  wgsl: code,
  includes: ['layout'],
  uniforms: POOL_PARAM_FIELDS,
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'indices', kind: 'storage', access: 'read', type: 'array<i32>' },
    { name: 'status', kind: 'storage', access: 'read_write', type: 'array<atomic<u32>, 2>' },
  ],
  applies: ({ op, count }: FlatWork, { limits }: DeviceFacts) => flatLaunch(op, count, limits),
});
