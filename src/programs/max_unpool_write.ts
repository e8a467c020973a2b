/**
 * max_unpool_write.wgsl: the general unpooling's second pass: every output element written once,
 * from its claimed pooled element, or by the fill.
 */
import code from '../../shaders/max_unpool_write.wgsl?raw';
import type { FlatWork } from './flat.js';
import { flatLaunch } from './grids.js';
import { defineProgram, type DeviceFacts } from './program.js';

export const maxUnpoolWrite = defineProgram({
  name: 'max_unpool_write',
  wgsl: code,
  includes: ['layout'],
  uniforms: ['out_total', 'channels', 'channels_last', 'in_d', 'in_h', 'in_w', 'out_d', 'out_h', 'out_w', 'fill', 'rank'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'values', kind: 'floats', access: 'read' },
    { name: 'owner', kind: 'storage', access: 'read', type: 'array<u32>' },
    { name: 'output', kind: 'floats', access: 'write' },
  ],
  floats: 'widened',
  applies: ({ op, count }: FlatWork, { limits }: DeviceFacts) => flatLaunch(op, count, limits),
});
