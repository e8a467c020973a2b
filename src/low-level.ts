/**
 * `argpool/low-level`: each kernel recorded into a caller's `GPUCommandEncoder` on caller-owned
 * `GPUBuffer`s (for interop with other WebGPU code), the status word that reports index faults, the
 * geometry that the options resolve to, the dispatch-grid helper, and the device's program manager,
 * through which code beside argpool (the adapters) records argpool's programs into the device's batch.
 */
export {
  recordMaxPool,
  recordMaxPoolBackward,
  recordMaxUnpool,
  recordMaxUnpoolBackward,
  recordPlan,
  decodeStatus,
  type MaxPoolBuffers,
  type MaxPoolBackwardBuffers,
  type MaxUnpoolBuffers,
  type MaxUnpoolBackwardBuffers,
  type RecordOptions,
  type Recorded,
  type IndexFault,
  type Allocate,
} from './record.js';
export {
  STATUS_BYTES,
  planNarrowIndices,
  planWidenIndices,
  type BufferNeed,
  type FloatStorage,
  type OperationPlan,
  type PlanLimits,
  type ProgramPlan,
  type ScratchPlan,
  type ShaderName,
} from './plan.js';
export { WORKGROUP_SIZE } from './programs/grids.js';
export {
  resolvePoolGeometry,
  resolveUnpoolGeometry,
  resolvePoolBackwardGeometry,
  resolveUnpoolBackwardGeometry,
  joinShape,
  type PoolGeometry,
  type UnpoolGeometry,
} from './options.js';
export { logicalCoordinates } from './faults.js';
export { dispatchGrid } from './dispatch.js';
export { programManager, type ProgramManager, type PreparedPlan, type Binding } from './executor.js';
