/**
 * Low-level layer: records one operation into a caller's GPUCommandEncoder on caller-owned buffers,
 * so the kernels can sit inside someone else's WebGPU pipeline. Nothing here submits or reads back.
 *
 * Each record function plans the operation (src/plan.ts: every check, before any GPU call), checks
 * the caller's buffers against the plan, then records it through the device's executor
 * (`Executor.recordInto`, which does not throw). It returns the scratch buffers it allocated (params
 * uniforms, the unpooling owner map). They are used by the recorded commands: destroy or recycle them
 * only after the encoder's command buffer has been submitted.
 */
import { executorFor } from './executor.js';
import { resolveLaunchProfile, type LaunchProfileName } from './launch.js';
import { show, type PoolGeometry, type UnpoolGeometry } from './options.js';
import {
  limitsOf,
  planMaxPool,
  planMaxPoolBackward,
  planMaxUnpool,
  planMaxUnpoolBackward,
  type OperationPlan,
  type PlanContext,
} from './plan.js';
import type { FloatStorage } from './programs/program.js';
import { BufferUsage } from './webgpu_constants.js';

export type Allocate = (descriptor: GPUBufferDescriptor) => GPUBuffer;

export interface RecordOptions {
  /** Where scratch buffers come from; defaults to `device.createBuffer`. */
  allocate?: Allocate;
  /** Timestamp writes for the operation's compute pass (each operation records exactly one pass). */
  timestampWrites?: GPUComputePassTimestampWrites;
  /**
   * false: always use the general kernels, never the specialised ones (for tests that cover both,
   * and benchmarks that compare them). Results are identical either way. Default true.
   */
  specialised?: boolean;
  /**
   * For operations that read indices: the geometry of the pooling that produced them, when the
   * caller knows it (the indices came from `recordMaxPool` with this geometry and were not changed
   * since). Such indices lie inside their own windows, which lets unpooling and the gradient run as
   * single-pass gathers. Wrong provenance gives wrong results; leave it out when unsure.
   */
  pooledBy?: PoolGeometry;
  /**
   * Rows per invocation and workgroup counts: 'emulated' (CPU emulations such as SwiftShader) or
   * 'gpu'; 'auto' (default) chooses from `device.adapterInfo` (see src/launch.ts).
   */
  launchProfile?: LaunchProfileName | 'auto';
  /**
   * The dtype of every float buffer of the operation (values, gradients, results): 'float32'
   * (default), or 'float16', two bytes per element, element i in half i % 2 (least significant
   * first) of 32-bit word i / 2.
   */
  dtype?: 'float32' | 'float16';
  /**
   * float16 only: 'auto' (default) uses array<f16> kernels where the device was created with
   * 'shader-f16', packed words elsewhere; 'packed' forces the packed kernels. Same bits either way.
   */
  float16Storage?: 'auto' | 'packed';
}

export interface Recorded {
  /** Buffers this call allocated; release them after the command buffer is submitted. */
  scratch: GPUBuffer[];
}

export interface MaxPoolBuffers {
  /** Input values (float32, or float16 with `dtype`), in the geometry's layout. */
  input: GPUBuffer;
  /** Output values (the dtype of `input`), same layout. */
  values: GPUBuffer;
  /** int32 output indices, same layout, in the geometry's index format. */
  indices: GPUBuffer;
}

export interface MaxUnpoolBuffers {
  values: GPUBuffer;
  indices: GPUBuffer;
  output: GPUBuffer;
  /**
   * 8 bytes, STORAGE: after the commands run, word 0 is ~(first bad element) or 0 when every index
   * was valid, and word 1 is that element's index. See `decodeStatus`.
   */
  status: GPUBuffer;
}

export interface MaxPoolBackwardBuffers {
  /** Gradients (float32, or float16 with `dtype`), the pooled shape. */
  gradOutput: GPUBuffer;
  /** int32, the pooled shape, as maxPool returned them for the same options. */
  indices: GPUBuffer;
  /** Result (the dtype of `gradOutput`), the pooling input's shape. */
  gradInput: GPUBuffer;
  /** 8 bytes: the fault status, as for unpooling (an index that is invalid or outside its window). */
  status: GPUBuffer;
}

export interface MaxUnpoolBackwardBuffers {
  /** Gradients (float32, or float16 with `dtype`), the unpooled shape. */
  gradOutput: GPUBuffer;
  /** int32, the pooled shape. */
  indices: GPUBuffer;
  /** Result (the dtype of `gradOutput`), the pooled shape. */
  gradValues: GPUBuffer;
  /** 8 bytes: the fault status, as for unpooling. */
  status: GPUBuffer;
}

/** The planning context of a record call on `device`. */
export function recordContext(device: GPUDevice, op: string, options: RecordOptions): PlanContext {
  return {
    limits: limitsOf(device),
    launch: resolveLaunchProfile(op, device, options.launchProfile),
    specialised: options.specialised !== false,
    pooledBy: options.pooledBy,
    float: floatStorageOf(device, op, options),
  };
}

/** The float storage that a record call's dtype options give on `device`. */
function floatStorageOf(device: GPUDevice, op: string, options: RecordOptions): FloatStorage {
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') throw new TypeError(`${op}: dtype must be 'float32' or 'float16', got ${show(dtype)}`);
  const storage = options.float16Storage ?? 'auto';
  if (storage !== 'auto' && storage !== 'packed') throw new TypeError(`${op}: float16Storage must be 'auto' or 'packed', got ${show(storage)}`);
  if (dtype === 'float32') return 'float32';
  return storage === 'auto' && device.features.has('shader-f16') ? 'float16-native' : 'float16-packed';
}

/** Throws (before any GPU call) unless every buffer the plan needs is given, large enough, and STORAGE. */
export function checkBuffers(plan: OperationPlan, buffers: Readonly<Record<string, GPUBuffer | undefined>>): void {
  for (const { role, bytes } of plan.needs) {
    const buffer = buffers[role];
    if (!buffer || typeof buffer.size !== 'number') throw new TypeError(`${plan.op}: ${role} must be a GPUBuffer, got ${String(buffer)}`);
    if (buffer.size < bytes) {
      throw new RangeError(`${plan.op}: ${role} buffer holds ${buffer.size} bytes, the operation needs ${bytes}`);
    }
    if (!(buffer.usage & BufferUsage.STORAGE)) {
      throw new TypeError(`${plan.op}: ${role} buffer must have STORAGE usage`);
    }
  }
}

/** Checks the buffers, then records the plan through the device's executor. */
export function recordPlan(device: GPUDevice, encoder: GPUCommandEncoder, plan: OperationPlan, buffers: object, options: Pick<RecordOptions, 'allocate' | 'timestampWrites'> = {}): Recorded {
  const given = buffers as Record<string, GPUBuffer>;
  checkBuffers(plan, given);
  const allocate = options.allocate ?? ((d) => device.createBuffer(d));
  return { scratch: executorFor(device).recordInto(encoder, plan, given, allocate, options.timestampWrites) };
}

/** Records max pooling with indices: one pass writes both outputs. */
export function recordMaxPool(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  geometry: PoolGeometry,
  buffers: MaxPoolBuffers,
  options: RecordOptions = {},
): Recorded {
  return recordPlan(device, encoder, planMaxPool(geometry, recordContext(device, geometry.op, options)), buffers, options);
}

/**
 * Records max unpooling as a deterministic general scatter: clear the owner map and the status,
 * let every pooled element claim its target (the last in memory order wins), then write every output
 * element once. With `pooledBy` and fill 'zero', a single-pass window gather instead.
 */
export function recordMaxUnpool(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  geometry: UnpoolGeometry,
  buffers: MaxUnpoolBuffers,
  options: RecordOptions = {},
): Recorded {
  return recordPlan(device, encoder, planMaxUnpool(geometry, recordContext(device, geometry.op, options)), buffers, options);
}

/**
 * Records the gradient of max pooling: a check that every index lies inside its own window, then a
 * gather in which each input element sums the gradients of the outputs that chose it.
 * `geometry` is the forward pooling's (input shape and options).
 */
export function recordMaxPoolBackward(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  geometry: PoolGeometry,
  buffers: MaxPoolBackwardBuffers,
  options: RecordOptions = {},
): Recorded {
  return recordPlan(device, encoder, planMaxPoolBackward(geometry, recordContext(device, geometry.op, options)), buffers, options);
}

/** Records the gradient of max unpooling with respect to the pooled values: a gather at each index. */
export function recordMaxUnpoolBackward(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  geometry: UnpoolGeometry,
  buffers: MaxUnpoolBackwardBuffers,
  options: RecordOptions = {},
): Recorded {
  return recordPlan(device, encoder, planMaxUnpoolBackward(geometry, recordContext(device, geometry.op, options)), buffers, options);
}

export interface IndexFault {
  /** Flat position of the first bad element (memory order) in the indices tensor. */
  position: number;
  /** The bad index itself. */
  index: number;
}

/** Reads a status buffer's two words; null when every index was valid. */
export function decodeStatus(words: Uint32Array): IndexFault | null {
  if (words[0] === 0) return null;
  return { position: ~words[0] >>> 0, index: words[1] | 0 };
}
