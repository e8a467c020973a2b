export { ArgPool, requestArgPoolDevice, type ArgPoolCreateOptions, type Measurement, type PoolResult } from './argpool';
export { Tensor, type DType } from './tensor';
export * as cpu from './cpu';
export {
  recordMaxPool,
  recordMaxUnpool,
  decodeStatus,
  STATUS_BYTES,
  WORKGROUP_SIZE,
  type MaxPoolBuffers,
  type MaxUnpoolBuffers,
  type RecordOptions,
  type Recorded,
  type IndexFault,
} from './kernels';
export {
  resolvePoolGeometry,
  resolveUnpoolGeometry,
  pooledSize,
  unpooledSize,
  type PoolOptions,
  type UnpoolOptions,
  type PoolGeometry,
  type UnpoolGeometry,
  type Layout,
  type IndexFormat,
  type FillMode,
  type PerDim,
} from './options';
export { dispatchGrid } from './dispatch';
