/**
 * Index conversions between argpool (int32, 'flat') and ONNX graphs (int64, optionally column-major).
 * They are argpool programs (planWidenIndices, planNarrowIndices): the device's program manager
 * caches their plans, records them into its batch after the work that wrote the indices, and binds
 * their params in its uniform arena; the buffers they write come from the device's shared pool.
 */
import { planNarrowIndices, planWidenIndices, programManager, type ProgramManager } from '../low-level.js';

/** Bytes rounded up to ORT's 16-byte rule for buffers it takes with `Tensor.fromGpuBuffer`. */
export function paddedBytes(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

/**
 * Buffers for converted indices and copies, taken from the device's shared pool (sizes padded to 16
 * bytes, usage STORAGE | COPY_SRC | COPY_DST, which ORT accepts too). A buffer given back returns to
 * the pool, which hands it out again only after the next submit; `destroy()` gives back whatever is
 * still held.
 */
export class ScratchBuffers {
  private readonly manager: ProgramManager;
  private readonly held = new Set<GPUBuffer>();

  constructor(device: GPUDevice) {
    this.manager = programManager(device);
  }

  acquire(label: string, bytes: number): GPUBuffer {
    const buffer = this.manager.allocateStorage(label, paddedBytes(bytes));
    this.held.add(buffer);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (this.held.delete(buffer)) this.manager.release(buffer);
  }

  /** Forget a buffer handed to the caller for good (the caller destroys it). */
  detach(buffer: GPUBuffer): void {
    this.held.delete(buffer);
  }

  destroy(): void {
    for (const buffer of this.held) this.manager.release(buffer);
    this.held.clear();
  }
}

/**
 * Records the widening of `count` int32 indices into `wide` (int64) in the device's batch, after the
 * work already recorded there (the pooling that wrote them). Submitted with the batch.
 */
export function recordWiden(device: GPUDevice, indices: GPUBuffer, wide: GPUBuffer, count: number, inSpatial: readonly number[], columnMajor: boolean): void {
  const manager = programManager(device);
  const plan = manager.prepare(`onnx widen|${count}|${inSpatial}|${columnMajor ? 1 : 0}`, () => planWidenIndices(device.limits, count, inSpatial, columnMajor));
  manager.record(plan, { indices, wide });
}

/** Records the narrowing of `count` int64 indices in `wide` into `indices` (int32) in the device's batch. */
export function recordNarrow(device: GPUDevice, wide: GPUBuffer, indices: GPUBuffer, count: number): void {
  const manager = programManager(device);
  const plan = manager.prepare(`onnx narrow|${count}`, () => planNarrowIndices(device.limits, count));
  manager.record(plan, { wide, indices });
}

/** Copies `bytes` of a buffer to the CPU, after everything recorded or submitted before it. */
export async function readBuffer(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const size = Math.max(4, Math.ceil(bytes / 4) * 4);
  const mapped = await programManager(device).readBack('onnx readback', size, (encoder, staging) => {
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, size);
  });
  return mapped.slice(0, bytes);
}
