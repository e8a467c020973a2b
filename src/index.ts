/**
 * argpool: max pooling with argmax indices, max unpooling and their gradients on WebGPU, and a CPU
 * reference with the same API. What applications call; the kernels' record functions, their buffer
 * layouts and the geometry behind them are in `argpool/low-level`.
 */
export {
  ArgPool,
  requestArgPoolDevice,
  type ArgPoolCreateOptions,
  type FloatOf,
  type IndexOf,
  type Measurement,
  type PoolResult,
  type WindowPoolResult,
} from './argpool.js';
export { Tensor, type DType, type FloatDType, type IndexDType, type Float16ArrayLike, type Float16ArrayOrLike, type TypedArrayFor } from './tensor.js';
export type { Float16ArrayType } from './float16.js';
export * as cpu from './cpu.js';
export type { LaunchProfile, LaunchProfileName } from './launch.js';
export {
  pooledSize,
  unpooledSize,
  WINDOW_TAPS_MAX,
  type PoolOptions,
  type PoolBackwardOptions,
  type UnpoolOptions,
  type Layout,
  type IndexFormat,
  type FillMode,
  type NanRule,
  type PerDim,
  type SpatialRank,
  type WindowIndexOptions,
} from './options.js';
