/**
 * What the kernels use of tfjs's backends, named structurally so that the package needs
 * `@tensorflow/tfjs-backend-webgpu` neither at run time nor for its declarations.
 *
 * On `webgpu`, inputs are read from the GPU buffers that hold them and outputs are buffers of tfjs's
 * own buffer manager: tfjs owns them from the start, counts them in `tf.memory()` and returns them to
 * its pool when the tensors are disposed. Nothing is copied and nothing outlives its tensor.
 */
import { env, type DataId, type DataType, type TensorInfo } from '@tensorflow/tfjs-core';
import type { Recorded } from '../low-level.js';

/** The members of tfjs-backend-webgpu 4.x's `WebGPUBackend` that the kernels use. */
export interface WebGPUBackendLike {
  device: GPUDevice;
  tensorMap: { get(dataId: DataId): { resource?: unknown; dtype?: DataType } | undefined };
  bufferManager: {
    acquireBuffer(size: number, usage: GPUBufferUsageFlags): GPUBuffer;
    releaseBuffer(buffer: GPUBuffer): void;
  };
  makeTensorInfo(shape: number[], dtype: DataType): TensorInfo;
  uploadToGPU(dataId: DataId): void;
  disposeData(dataId: DataId, force?: boolean): boolean;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  /** tfjs's encoder for its deferred work (null right after a submit, until ensureCommandEncoderReady). */
  commandEncoder: GPUCommandEncoder | null;
  /** Data ids that recorded, unsubmitted work uses: tfjs defers their disposal until its submit. */
  commandQueueOwnedIds: WeakSet<DataId>;
  /** Buffers that tfjs gives back to its buffer manager after its next submit. */
  uniformPendingDisposal: GPUBuffer[];
  /** Dispatches recorded since tfjs's last submit. */
  dispatchCountInPass: number;
}

/** The members of a backend that keeps tensor data on the host (tfjs-backend-cpu). */
export interface HostBackendLike {
  readSync(dataId: DataId): unknown;
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array | Int32Array): TensorInfo;
}

/**
 * The GPU buffer that holds a tensor on the webgpu backend, uploading host-side data first. Its data
 * must have the tensor's dtype: tfjs casts int32 to float32 without converting the data (the ops
 * convert such a tensor first; a kernel run directly refuses it).
 */
export function gpuBufferOf(backend: WebGPUBackendLike, op: string, argument: string, tensor: TensorInfo): GPUBuffer {
  backend.uploadToGPU(tensor.dataId);
  const data = backend.tensorMap.get(tensor.dataId) as { resource?: unknown; dtype?: string } | undefined;
  if (data?.dtype !== undefined && data.dtype !== tensor.dtype) {
    throw new TypeError(
      `${op}: ${argument} is a ${tensor.dtype} tensor whose data tfjs keeps as ${data.dtype} (a cast without a copy); ` +
        `convert it first (e.g. tf.mul(${argument}, 1)) or use argpool's ops, which do`,
    );
  }
  const resource = data?.resource;
  if (!isGPUBuffer(resource)) {
    throw new TypeError(`${op}: ${argument} is not held in a GPUBuffer on the webgpu backend (got ${describe(resource)})`);
  }
  return resource;
}

function isGPUBuffer(resource: unknown): resource is GPUBuffer {
  if (typeof GPUBuffer !== 'undefined') return resource instanceof GPUBuffer;
  return typeof resource === 'object' && resource !== null && 'usage' in resource && 'size' in resource && 'mapAsync' in resource;
}

/** A fresh tfjs-owned output on the webgpu backend, its buffer already acquired. */
export function gpuOutput(backend: WebGPUBackendLike, shape: number[], dtype: 'float32' | 'int32'): { info: TensorInfo; buffer: GPUBuffer } {
  const info = backend.makeTensorInfo(shape, dtype);
  backend.uploadToGPU(info.dataId);
  return { info, buffer: backend.tensorMap.get(info.dataId)!.resource as GPUBuffer };
}

/**
 * Records argpool work into tfjs's own command encoder, so that it runs in order with tfjs's deferred
 * dispatches and goes to the GPU with tfjs's next submit: no submit of its own, and at most one when
 * the work recorded since tfjs's last submit reaches tfjs's batch size
 * (`WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE`), as tfjs's own ops do.
 *
 * Until that submit, the tensors the work reads and writes are marked as owned by the command queue
 * (tfjs then defers their disposal), and its scratch buffers wait with tfjs's uniforms, which tfjs
 * returns to its buffer manager after the submit.
 */
export function recordOnTfjsEncoder(
  backend: WebGPUBackendLike,
  tensors: TensorInfo[],
  record: (encoder: GPUCommandEncoder, allocate: (descriptor: GPUBufferDescriptor) => GPUBuffer) => Recorded,
): void {
  const { bufferManager } = backend;
  const acquired: GPUBuffer[] = [];
  const allocate = (descriptor: GPUBufferDescriptor): GPUBuffer => {
    const buffer = bufferManager.acquireBuffer(descriptor.size, descriptor.usage);
    acquired.push(buffer);
    return buffer;
  };
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  try {
    record(backend.commandEncoder!, allocate);
  } catch (error) {
    for (const buffer of acquired) bufferManager.releaseBuffer(buffer);
    throw error;
  }
  backend.uniformPendingDisposal.push(...acquired);
  for (const tensor of tensors) backend.commandQueueOwnedIds.add(tensor.dataId);
  backend.dispatchCountInPass++;
  if (backend.dispatchCountInPass >= Number(env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'))) backend.submitQueue();
}

/**
 * Host data of a tensor on a host backend, as the typed array its dtype implies. tfjs's cpu backend
 * casts int32 to float32 without copying, so a float32 tensor can hold an Int32Array: it is read as
 * float32 values.
 */
export function hostData(backend: HostBackendLike, op: string, argument: string, tensor: TensorInfo, dtype: 'float32' | 'int32'): Float32Array | Int32Array {
  const values = backend.readSync(tensor.dataId);
  if (dtype === 'float32' && tensor.dtype === 'float32' && values instanceof Int32Array) return Float32Array.from(values);
  const expected = dtype === 'float32' ? Float32Array : Int32Array;
  if (!(values instanceof expected)) {
    throw new TypeError(`${op}: ${argument} data must be a ${expected.name} on this backend, got ${describe(values)}`);
  }
  return values;
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return `${typeof value} ${String(value)}`;
}
