/**
 * max_unpool_channels_last.wgsl: unpooling, or the pooling gradient, of a channels-last pooling whose
 * windows tile the input, with a channel count that is a multiple of 4: one pooled position and four
 * channels per invocation, whole vec4 stores of each window.
 */
import code from '../../shaders/max_unpool_channels_last.wgsl?raw';
import { channelsLastTiledLaunch } from './max_pool_channels_last.js';
import { TILED_UNPOOL } from './max_unpool_tiled.js';
import { defineProgram, type DeviceFacts } from './program.js';
import type { WindowGather } from './window_gather.js';

export const maxUnpoolChannelsLast = defineProgram({
  name: 'max_unpool_channels_last',
  wgsl: code,
  includes: ['layout'],
  ...TILED_UNPOOL,
  floats: 'stored',
  windowTaps: true,
  applies: ({ pooling, gradient }: WindowGather, { limits }: DeviceFacts) => {
    const tiles = channelsLastTiledLaunch(pooling, limits.maxComputeWorkgroupsPerDimension);
    return tiles && { grid: tiles.grid, constants: { ...tiles.constants, GRADIENT: gradient ? 1 : 0 } };
  },
});
