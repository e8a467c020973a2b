/**
 * window_scatter.wgsl: window_gather.wgsl's work driven from the pooled side, one invocation per
 * pooled element; the result must be zero before it runs. Applies to every geometry; specialised
 * contexts take it where no tiled gather applies.
 */
import code from '../../shaders/window_scatter.wgsl?raw';
import { elements, flatLaunch } from './grids.js';
import { defineProgram, type DeviceFacts } from './program.js';
import { GATHER_BINDINGS, windowConstants, type WindowGather } from './window_gather.js';

export const windowScatter = defineProgram({
  name: 'window_scatter',
  wgsl: code,
  includes: ['layout'],
  uniforms: ['total', 'channels', 'channels_last', 'in_d', 'in_h', 'in_w', 'out_d', 'out_h', 'out_w', 'pad_d', 'pad_h', 'pad_w', 'index_stride_n', 'index_stride_c', 'index_stride_s'],
  bindings: GATHER_BINDINGS,
  floats: 'widened',
  zeroed: ['result'],
  windowTaps: true,
  applies: ({ op, pooling, gradient }: WindowGather, { limits }: DeviceFacts) => {
    // Windows that share no element along any dimension: each target lies in its own window only.
    const overlap = pooling.kernel.some((k, i) => (k - 1) * pooling.dilation[i] >= pooling.stride[i]) ? 1 : 0;
    return flatLaunch(op, elements(pooling, pooling.outSpatial), limits, { ...windowConstants(pooling, !gradient), OVERLAP: overlap });
  },
});
