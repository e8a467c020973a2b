/**
 * window_gather.wgsl: the general kernel behind unpooling indices from a known pooling and the pooling
 * gradient: each element of the pooling input gathers what the windows that hold it send there.
 * Channels-first, several input rows per invocation (fewer where the input is small); channels-last,
 * one. The kernel loops over every grid dimension in steps of the grid (grid-stride loops), so each
 * dimension is clamped to the limit and any size fits. The last of the gather candidates.
 */
import code from '../../shaders/window_gather.wgsl?raw';
import { LAUNCH_PROFILES, rowsPerInvocation, type LaunchProfile } from '../launch.js';
import type { PoolGeometry } from '../options.js';
import { toDHW } from '../params.js';
import { workgroupShape } from './grids.js';
import { defineProgram, type DeviceFacts, type Launch } from './program.js';

/**
 * What the gathering programs (unpooling indices from a known pooling, and the pooling gradient) are
 * planned from: the pooling whose windows they walk, and whether they sum gradients (or copy the
 * last value whose index names an element).
 */
export interface WindowGather {
  op: string;
  pooling: PoolGeometry;
  gradient: boolean;
}

/** The window's size, stride and dilation per dimension, fixed per pipeline, and the match rule. */
export function windowConstants(pooling: PoolGeometry, lastMatch: boolean): Record<string, number> {
  const [kernelD, kernelH, kernelW] = toDHW(pooling.kernel, 1);
  const [strideD, strideH, strideW] = toDHW(pooling.stride, 1);
  const [dilationD, dilationH, dilationW] = toDHW(pooling.dilation, 1);
  return {
    KERNEL_D: kernelD, KERNEL_H: kernelH, KERNEL_W: kernelW,
    STRIDE_D: strideD, STRIDE_H: strideH, STRIDE_W: strideW,
    DILATION_D: dilationD, DILATION_H: dilationH, DILATION_W: dilationW,
    LAST_MATCH: lastMatch ? 1 : 0,
  };
}

/** How window_gather.wgsl covers a pooling input. */
export function windowGatherLaunch(pooling: PoolGeometry, limit: number, launch: LaunchProfile = LAUNCH_PROFILES.emulated, lastMatch = false): Launch {
  const [inD, inH, inW] = toDHW(pooling.inSpatial, 1);
  const planes = pooling.layout === 'NCHW' ? pooling.batch * pooling.channels * inD : pooling.batch * inD;
  const rows =
    pooling.layout === 'NCHW' ? rowsPerInvocation(launch.gatherRows, launch.minInvocations, (r) => inW * Math.ceil(inH / r) * planes) : 1;
  const [countX, countY, countZ] =
    pooling.layout === 'NCHW' ? [inW, Math.ceil(inH / rows), planes] : [pooling.channels, inW, planes * inH];
  const shape = workgroupShape(countX);
  const grid: [number, number, number] = [
    Math.min(Math.ceil(countX / shape.WORKGROUP_X), limit),
    Math.min(Math.ceil(countY / shape.WORKGROUP_Y), limit),
    Math.min(countZ, limit),
  ];
  return { grid, constants: { ...shape, ...windowConstants(pooling, lastMatch), ROWS: rows } };
}

/** Bindings of every gathering program: params, what is sent, the indices, where it goes. */
export const GATHER_BINDINGS = [
  { name: 'params', kind: 'uniform' },
  { name: 'pooled', kind: 'floats', access: 'read' },
  { name: 'indices', kind: 'storage', access: 'read', type: 'array<i32>' },
  { name: 'result', kind: 'floats', access: 'write' },
] as const;

export const windowGather = defineProgram({
  name: 'window_gather',
  wgsl: code,
  includes: ['layout'],
  uniforms: ['total', 'channels', 'channels_last', 'in_d', 'in_h', 'in_w', 'out_d', 'out_h', 'out_w', 'pad_d', 'pad_h', 'pad_w', 'index_stride_n', 'index_stride_c', 'index_stride_s'],
  bindings: GATHER_BINDINGS,
  floats: 'widened',
  general: true,
  applies: ({ pooling, gradient }: WindowGather, { limits, launch }: DeviceFacts) => windowGatherLaunch(pooling, limits.maxComputeWorkgroupsPerDimension, launch, !gradient),
});
