/**
 * What the kernels use of tfjs's backends, named structurally so that the package needs
 * `@tensorflow/tfjs-backend-webgpu` neither at run time nor for its declarations.
 *
 * On `webgpu`, inputs are read from the GPU buffers that hold them and outputs are buffers of tfjs's
 * own buffer manager: tfjs owns them from the start, counts them in `tf.memory()` and returns them to
 * its pool when the tensors are disposed. Nothing is copied and nothing outlives its tensor.
 */
import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { Recorded } from '../kernels.js';

/** The members of tfjs-backend-webgpu 4.x's `WebGPUBackend` that the kernels use. */
export interface WebGPUBackendLike {
  device: GPUDevice;
  tensorMap: { get(dataId: DataId): { resource?: unknown } | undefined };
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
}

/** The members of a backend that keeps tensor data on the host (tfjs-backend-cpu). */
export interface HostBackendLike {
  readSync(dataId: DataId): unknown;
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array | Int32Array): TensorInfo;
}

/** The GPU buffer that holds a tensor on the webgpu backend, uploading host-side data first. */
export function gpuBufferOf(backend: WebGPUBackendLike, op: string, argument: string, tensor: TensorInfo): GPUBuffer {
  backend.uploadToGPU(tensor.dataId);
  const resource = backend.tensorMap.get(tensor.dataId)?.resource;
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
 * Records argpool work into a command encoder of its own and submits it on tfjs's device.
 *
 * tfjs defers its dispatches (up to `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE`) and uploads host data through
 * its own encoder, so its queue is submitted first: the work that wrote our inputs then runs before
 * ours. Scratch buffers come from tfjs's buffer manager and go back right after the submit; tfjs can
 * only reuse them in work it submits later, which the queue runs after ours.
 */
export function submitOnTfjsDevice(
  backend: WebGPUBackendLike,
  op: string,
  record: (encoder: GPUCommandEncoder, allocate: (descriptor: GPUBufferDescriptor) => GPUBuffer) => Recorded,
): void {
  const { device, bufferManager } = backend;
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  const acquired: GPUBuffer[] = [];
  const allocate = (descriptor: GPUBufferDescriptor): GPUBuffer => {
    const buffer = bufferManager.acquireBuffer(descriptor.size, descriptor.usage);
    acquired.push(buffer);
    return buffer;
  };
  const encoder = device.createCommandEncoder({ label: `argpool ${op}` });
  try {
    record(encoder, allocate);
    device.queue.submit([encoder.finish()]);
  } finally {
    for (const buffer of acquired) bufferManager.releaseBuffer(buffer);
  }
}

/** Host data of a tensor on a host backend, as the typed array its dtype implies. */
export function hostData(backend: HostBackendLike, op: string, argument: string, tensor: TensorInfo, dtype: 'float32' | 'int32'): Float32Array | Int32Array {
  const values = backend.readSync(tensor.dataId);
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
