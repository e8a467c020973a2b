/**
 * `argpool/low-level`: each kernel recorded into a caller's `GPUCommandEncoder` on caller-owned
 * `GPUBuffer`s (for interop with other WebGPU code), the status word that reports index faults, the
 * geometry that the options resolve to, and the dispatch-grid helper.
 */
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
  type Allocate,
} from './kernels.js';
export {
  resolvePoolGeometry,
  resolveUnpoolGeometry,
  resolvePoolBackwardGeometry,
  resolveUnpoolBackwardGeometry,
  type PoolGeometry,
  type UnpoolGeometry,
} from './options.js';
export { dispatchGrid } from './dispatch.js';
