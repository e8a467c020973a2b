/**
 * max_unpool_channels_last.wgsl: unpooling, or the pooling gradient, of a channels-last pooling whose
 * windows tile the input, with a channel count that is a multiple of 4: one pooled position and four
 * channels per invocation, whole vec4 stores of each window.
 */
import code from '../../shaders/max_unpool_channels_last.wgsl?raw';
import { channelsLastTiledLaunch } from './max_pool_channels_last.js';
import { defineProgram, type DeviceFacts } from './program.js';
import type { WindowGather } from './window_gather.js';

export const maxUnpoolChannelsLast = defineProgram({
  name: 'max_unpool_channels_last',
  wgsl: code,
  includes: ['layout'],
  uniforms: ['channels', 'in_d', 'in_h', 'in_w', 'out_d', 'out_h', 'out_w', 'index_stride_n', 'index_stride_c', 'index_stride_s'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'values', kind: 'floats', access: 'read', vector: true },
    { name: 'indices', kind: 'storage', access: 'read', type: 'array<vec4<i32>>' },
    { name: 'output', kind: 'floats', access: 'write', vector: true },
  ],
  floats: 'stored',
  windowTaps: true,
  applies: ({ pooling, gradient }: WindowGather, { limits }: DeviceFacts) => {
    const tiles = channelsLastTiledLaunch(pooling, limits.maxComputeWorkgroupsPerDimension);
    return tiles && { grid: tiles.grid, constants: { ...tiles.constants, GRADIENT: gradient ? 1 : 0 } };
  },
});
