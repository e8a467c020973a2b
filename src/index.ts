export { ArgPool, requestArgPoolDevice, type ArgPoolCreateOptions, type FloatOf, type IndexOf, type Measurement, type PoolResult, type WindowPoolResult } from './argpool.js';
export { Tensor, type DType, type FloatDType, type IndexDType, type Float16ArrayLike, type Float16ArrayOrLike, type TypedArrayFor } from './tensor.js';
export * as cpu from './cpu.js';
export {
  recordMaxPool,
  recordMaxPoolBackward,
  recordMaxUnpool,
  recordMaxUnpoolBackward,
  decodeStatus,
  STATUS_BYTES,
  WORKGROUP_SIZE,
  type MaxPoolBuffers,
  type MaxPoolBackwardBuffers,
  type MaxUnpoolBuffers,
  type MaxUnpoolBackwardBuffers,
  type RecordOptions,
  type Recorded,
  type IndexFault,
} from './kernels.js';
export {
  resolvePoolGeometry,
  resolveUnpoolGeometry,
  resolvePoolBackwardGeometry,
  resolveUnpoolBackwardGeometry,
  pooledSize,
  unpooledSize,
  type PoolOptions,
  type PoolBackwardOptions,
  type UnpoolOptions,
  type PoolGeometry,
  type UnpoolGeometry,
  type Layout,
  type IndexFormat,
  type FillMode,
  type PerDim,
  type WindowIndexOptions,
  WINDOW_TAPS_MAX,
} from './options.js';
export { dispatchGrid } from './dispatch.js';
