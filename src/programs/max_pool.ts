/**
 * max_pool.wgsl: the general pooling kernel, one invocation per output element, for every geometry
 * (any rank, layout, padding, dilation, ceil mode). The last of the pooling candidates.
 */
import code from '../../shaders/max_pool.wgsl?raw';
import type { PoolGeometry } from '../options.js';
import { POOL_PARAM_FIELDS } from '../params.js';
import { elements, flatLaunch, nanRule } from './grids.js';
import { defineProgram, type DeviceFacts } from './program.js';

/** The bindings of the pooling kernels that see floats one element at a time. */
export const POOL_BINDINGS = [
  { name: 'params', kind: 'uniform' },
  { name: 'input', kind: 'floats', access: 'read' },
  { name: 'values', kind: 'floats', access: 'write' },
  { name: 'indices', kind: 'storage', access: 'read_write', type: 'array<i32>' },
] as const;

export const maxPool = defineProgram({
  name: 'max_pool',
  wgsl: code,
  includes: ['layout'],
  uniforms: POOL_PARAM_FIELDS,
  bindings: POOL_BINDINGS,
  floats: 'widened',
  general: true,
  applies: (g: PoolGeometry, { limits }: DeviceFacts) => flatLaunch(g.op, elements(g, g.outSpatial), limits, nanRule(g)),
});
