/** window_indices_pack.wgsl: after a pooling with indexFormat 'window', its spatial indices packed into taps, one byte each. */
import code from '../../shaders/window_indices_pack.wgsl?raw';
import type { FlatWork } from './flat.js';
import { flatLaunch } from './grids.js';
import { defineProgram, type DeviceFacts } from './program.js';

export const windowIndicesPack = defineProgram({
  name: 'window_indices_pack',
  wgsl: code,
  includes: ['layout'],
  uniforms: ['total', 'channels', 'channels_last', 'in_h', 'in_w', 'out_d', 'out_h', 'out_w', 'kernel_h', 'kernel_w', 'stride_d', 'stride_h', 'stride_w', 'pad_d', 'pad_h', 'pad_w', 'dilation_d', 'dilation_h', 'dilation_w'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'spatial', kind: 'storage', access: 'read', type: 'array<i32>' },
    { name: 'taps', kind: 'storage', access: 'read_write', type: 'array<u32>' },
  ],
  applies: ({ op, count }: FlatWork, { limits }: DeviceFacts) => flatLaunch(op, count, limits),
});
