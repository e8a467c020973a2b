/**
 * Index conversions between argpool (int32, 'flat') and ONNX graphs (int64, optionally column-major).
 * They run like argpool's own kernels: each is a plan (src/plan.ts) that the device's executor
 * (src/executor.ts) caches, records into its batch after the work that wrote the indices, and binds
 * with its params in the shared uniform arena; the buffers they write come from the device's shared
 * pool.
 */
import widenWgsl from '../../shaders/onnx_indices_widen.wgsl?raw';
import narrowWgsl from '../../shaders/onnx_indices_narrow.wgsl?raw';
import { dispatchGrid } from '../dispatch.js';
import { executorFor, type Executor } from '../executor.js';
import { cacheKeyOf, finishPlan, limitsOf, WORKGROUP_SIZE, type OperationPlan } from '../plan.js';
import { BufferUsage } from '../webgpu_constants.js';

/** Bytes rounded up to ORT's 16-byte rule for buffers it takes with `Tensor.fromGpuBuffer`. */
export function paddedBytes(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

/** The usage of every buffer handed between argpool and ORT: both accept it. */
const ORT_BUFFER_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/**
 * Buffers for converted indices and copies, taken from the device's shared pool (sizes padded to 16
 * bytes, usage STORAGE | COPY_SRC | COPY_DST). A buffer given back returns to the pool, which hands
 * it out again only after the executor's next submit; `destroy()` gives back whatever is still held.
 */
export class ScratchBuffers {
  private readonly executor: Executor;
  private readonly held = new Set<GPUBuffer>();

  constructor(device: GPUDevice) {
    this.executor = executorFor(device);
  }

  acquire(label: string, bytes: number): GPUBuffer {
    const buffer = this.executor.pool.acquire({ label, size: paddedBytes(bytes), usage: ORT_BUFFER_USAGE });
    this.held.add(buffer);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (this.held.delete(buffer)) this.executor.release(buffer);
  }

  /** Forget a buffer handed to the caller for good (the caller destroys it). */
  detach(buffer: GPUBuffer): void {
    this.held.delete(buffer);
  }

  destroy(): void {
    for (const buffer of this.held) this.executor.release(buffer);
    this.held.clear();
  }
}

/**
 * The plan of onnx_indices_widen.wgsl: `count` int32 flat indices of a pooling whose input has the
 * spatial size `inSpatial` become int64, column-major in the spatial part when `columnMajor`.
 */
export function planWiden(limits: ReturnType<typeof limitsOf>, count: number, inSpatial: readonly number[], columnMajor: boolean): OperationPlan {
  const op = 'onnx indices widen';
  const dhw = [1, 1, 1, ...inSpatial].slice(-3);
  const constants = { WORKGROUP_SIZE, COLUMN_MAJOR: columnMajor ? 1 : 0 };
  return finishPlan(
    {
      op,
      needs: [
        { role: 'indices', bytes: count * 4 },
        { role: 'wide', bytes: count * 8 },
      ],
      scratch: [paramsScratch(op, new Uint32Array([count, ...dhw]))],
      clears: [],
      programs: [
        {
          label: op,
          shader: 'onnx_indices_widen.wgsl',
          code: widenWgsl,
          constants,
          cacheKey: cacheKeyOf('onnx_indices_widen.wgsl', constants),
          bindings: ['params', 'indices', 'wide'],
          grid: dispatchGrid(count, WORKGROUP_SIZE, limits.maxComputeWorkgroupsPerDimension, op),
        },
      ],
    },
    limits,
  );
}

/** The plan of onnx_indices_narrow.wgsl: `count` int64 indices become int32 (-1 where they do not fit). */
export function planNarrow(limits: ReturnType<typeof limitsOf>, count: number): OperationPlan {
  const op = 'onnx indices narrow';
  const constants = { WORKGROUP_SIZE };
  return finishPlan(
    {
      op,
      needs: [
        { role: 'wide', bytes: count * 8 },
        { role: 'indices', bytes: count * 4 },
      ],
      scratch: [paramsScratch(op, new Uint32Array([count, 0, 0, 0]))],
      clears: [],
      programs: [
        {
          label: op,
          shader: 'onnx_indices_narrow.wgsl',
          code: narrowWgsl,
          constants,
          cacheKey: cacheKeyOf('onnx_indices_narrow.wgsl', constants),
          bindings: ['params', 'wide', 'indices'],
          grid: dispatchGrid(count, WORKGROUP_SIZE, limits.maxComputeWorkgroupsPerDimension, op),
        },
      ],
    },
    limits,
  );
}

function paramsScratch(op: string, words: Uint32Array<ArrayBuffer>) {
  return { role: 'params', label: `${op} params`, bytes: words.byteLength, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, uniform: words };
}

/**
 * Records the widening of `count` int32 indices into `wide` (int64) in the device's batch, after the
 * work already recorded there (the pooling that wrote them). Submitted with the batch.
 */
export function recordWiden(
  device: GPUDevice,
  indices: GPUBuffer,
  wide: GPUBuffer,
  count: number,
  inSpatial: readonly number[],
  columnMajor: boolean,
): void {
  const executor = executorFor(device);
  const plan = executor.prepare(`onnx widen|${count}|${inSpatial}|${columnMajor ? 1 : 0}`, () => planWiden(limitsOf(device), count, inSpatial, columnMajor));
  executor.record(plan, { indices, wide });
}

/** Records the narrowing of `count` int64 indices in `wide` into `indices` (int32) in the device's batch. */
export function recordNarrow(device: GPUDevice, wide: GPUBuffer, indices: GPUBuffer, count: number): void {
  const executor = executorFor(device);
  const plan = executor.prepare(`onnx narrow|${count}`, () => planNarrow(limitsOf(device), count));
  executor.record(plan, { wide, indices });
}

/** Copies `bytes` of a buffer to the CPU, after everything recorded or submitted before it. */
export async function readBuffer(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const size = Math.max(4, Math.ceil(bytes / 4) * 4);
  const mapped = await executorFor(device).readBack('onnx readback', size, (encoder, staging) => {
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, size);
  });
  return mapped.slice(0, bytes);
}
