/**
 * The WGSL of every kernel, by file name, as the device compiles it: params.wgsl and layout.wgsl in
 * front of each kernel's own text (index_fault.wgsl needs neither).
 */
import indexFaultWgsl from '../shaders/index_fault.wgsl?raw';
import layoutWgsl from '../shaders/layout.wgsl?raw';
import paramsWgsl from '../shaders/params.wgsl?raw';
import maxPoolWgsl from '../shaders/max_pool.wgsl?raw';
import maxPoolBackwardCheckWgsl from '../shaders/max_pool_backward_check.wgsl?raw';
import maxPoolChannelsLastWgsl from '../shaders/max_pool_channels_last.wgsl?raw';
import maxPoolTiledWgsl from '../shaders/max_pool_tiled.wgsl?raw';
import maxPoolOverlapTiledWgsl from '../shaders/max_pool_overlap_tiled.wgsl?raw';
import maxUnpoolBackwardWgsl from '../shaders/max_unpool_backward.wgsl?raw';
import maxUnpoolClaimWgsl from '../shaders/max_unpool_claim.wgsl?raw';
import maxUnpoolTiledWgsl from '../shaders/max_unpool_tiled.wgsl?raw';
import maxUnpoolWriteWgsl from '../shaders/max_unpool_write.wgsl?raw';
import windowGatherWgsl from '../shaders/window_gather.wgsl?raw';
import windowScatterWgsl from '../shaders/window_scatter.wgsl?raw';
import windowIndicesPackWgsl from '../shaders/window_indices_pack.wgsl?raw';
import windowIndicesUnpackWgsl from '../shaders/window_indices_unpack.wgsl?raw';
import type { ShaderName } from './plan.js';

/** Every kernel gets the params structs and the shared addressing helpers in front of its own text. */
export function withShared(code: string): string {
  return `${paramsWgsl}\n${layoutWgsl}\n${code}`;
}

export const SHADER_CODE: Readonly<Record<ShaderName, string>> = {
  'index_fault.wgsl': indexFaultWgsl,
  'max_pool.wgsl': withShared(maxPoolWgsl),
  'max_pool_backward_check.wgsl': withShared(maxPoolBackwardCheckWgsl),
  'max_pool_channels_last.wgsl': withShared(maxPoolChannelsLastWgsl),
  'max_pool_tiled.wgsl': withShared(maxPoolTiledWgsl),
  'max_pool_overlap_tiled.wgsl': withShared(maxPoolOverlapTiledWgsl),
  'max_unpool_backward.wgsl': withShared(maxUnpoolBackwardWgsl),
  'max_unpool_claim.wgsl': withShared(maxUnpoolClaimWgsl),
  'max_unpool_tiled.wgsl': withShared(maxUnpoolTiledWgsl),
  'max_unpool_write.wgsl': withShared(maxUnpoolWriteWgsl),
  'window_gather.wgsl': withShared(windowGatherWgsl),
  'window_scatter.wgsl': withShared(windowScatterWgsl),
  'window_indices_pack.wgsl': withShared(windowIndicesPackWgsl),
  'window_indices_unpack.wgsl': withShared(windowIndicesUnpackWgsl),
};
