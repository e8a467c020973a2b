/**
 * Session and submission: one device, one pending command encoder, the buffer pool, error scopes,
 * device loss, and the reads that bring results back.
 *
 * Work is batched into one encoder and submitted when a result is read, on `sync()`/`flush()`, or
 * automatically once MAX_DISPATCHES_PER_SUBMIT dispatches are recorded (tfjs submits every 15, ONNX
 * Runtime Web every 16), so a loop that records without reading keeps a bounded amount of work and
 * memory in flight: buffers that destroyed tensors release return to the pool at each submit.
 */
import { BufferPool } from './buffer_pool.js';
import { encodePlan } from './encode.js';
import { hasPipeline } from './pipelines.js';
import type { OperationPlan } from './plan.js';
import { MapMode, BufferUsage } from './webgpu_constants.js';

/** Dispatches recorded before the pending work is submitted without being asked. */
export const MAX_DISPATCHES_PER_SUBMIT = 16;

/**
 * Buffers from this size on are created inside error scopes, so running out of GPU memory rejects the
 * next read instead of passing unseen; smaller ones are not (a scope costs a round trip to the GPU
 * process, and scoping every small buffer more than doubled the time of the small-tensor tests).
 */
const SCOPED_BUFFER_BYTES = 1 << 20;

/** How long a failed GPU promise waits for `device.lost` to explain it. */
const LOSS_GRACE_MS = 200;

/** An error scope's finding, or null. */
type ScopeResult = Promise<GPUError | null>;

/** What each error was found in (an operation, or a submit), for the message that reports it. */
const foundIn = new WeakMap<GPUError, string>();

function scope(device: GPUDevice, what: string): ScopeResult {
  return device.popErrorScope().then(
    (error) => {
      if (error) foundIn.set(error, what);
      return error;
    },
    () => null,
  );
}

export class Session {
  /** Set when the device is lost; every later call, and every pending read, fails with its reason. */
  lost: GPUDeviceLostInfo | null = null;
  disposed = false;
  readonly pool: BufferPool;
  readonly lostPromise: Promise<GPUDeviceLostInfo>;
  /** Submissions so far (including automatic ones). */
  submissions = 0;
  private encoder: GPUCommandEncoder | null = null;
  private scratch: GPUBuffer[] = [];
  private scopes: ScopeResult[] = [];
  private dispatches = 0;

  constructor(readonly device: GPUDevice) {
    this.pool = new BufferPool(device, (d) =>
      d.size >= SCOPED_BUFFER_BYTES ? this.scoped(`creating ${d.label ?? 'a buffer'}`, () => device.createBuffer(d)) : device.createBuffer(d),
    );
    this.lostPromise = device.lost.then((info) => {
      this.lost = info;
      return info;
    });
  }

  /** Dispatches recorded and not yet submitted. */
  get pendingDispatches(): number {
    return this.dispatches;
  }

  checkUsable(op: string): void {
    if (this.disposed) throw new Error(`${op}: this ArgPool has been destroyed`);
    if (this.lost) throw lostError(op, this.lost);
  }

  /** A pooled buffer of `bytes` with STORAGE | COPY_SRC | COPY_DST usage, for a tensor or a status. */
  allocateStorage(label: string, bytes: number): GPUBuffer {
    return this.pool.acquire({ label, size: bytes, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
  }

  /**
   * Records a plan that planning has accepted: allocates its scratch from the pool, records it, and
   * submits when the batch reaches MAX_DISPATCHES_PER_SUBMIT. Does not throw.
   *
   * GPU errors reach the next read through error scopes (validation and out-of-memory): around every
   * submit (which covers what the encoder recorded), around every buffer of SCOPED_BUFFER_BYTES or more
   * that the pool creates, and around an operation whose pipelines are compiled for the first time. Steady work, whose buffers and
   * pipelines are reused, pays for the submit's scopes alone (a scope costs a round trip to the GPU
   * process in a browser; scopes around every operation doubled the time of small operations).
   */
  record(plan: OperationPlan, buffers: Record<string, GPUBuffer>, timestampWrites?: GPUComputePassTimestampWrites): void {
    const { device } = this;
    const all = { ...buffers };
    for (const s of plan.scratch) {
      const buffer = this.pool.acquire({ label: s.label, size: s.bytes, usage: s.usage });
      all[s.role] = buffer;
      this.scratch.push(buffer);
    }
    const encode = () => encodePlan(device, this.currentEncoder(), plan, all, timestampWrites);
    if (plan.programs.every((p) => hasPipeline(device, p.cacheKey))) encode();
    else this.scoped(plan.op, encode);
    this.dispatches += plan.programs.length;
    if (this.dispatches >= MAX_DISPATCHES_PER_SUBMIT) this.submit();
  }

  /** Runs `fn` inside validation and out-of-memory error scopes, whose findings the next read reports. */
  private scoped<T>(what: string, fn: () => T): T {
    const { device } = this;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    try {
      return fn();
    } finally {
      this.scopes.push(scope(device, `${what} (validation)`), scope(device, `${what} (out of memory)`));
    }
  }

  currentEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: 'argpool batch' });
    return this.encoder;
  }

  /** Submits pending work without waiting for it; returns the error scopes the next read checks. */
  flush(): ScopeResult[] {
    this.submit();
    const scopes = this.scopes;
    this.scopes = [];
    return scopes;
  }

  /** Submits the pending encoder (if any); its error scopes stay queued for the next read. */
  private submit(): void {
    if (this.encoder) {
      const encoder = this.encoder;
      this.scoped('submit', () => this.device.queue.submit([encoder.finish()]));
      // One promise for the batch, so a loop that never reads holds one per submit, not per call.
      const batch = this.scopes;
      this.scopes = [Promise.all(batch).then((found) => found.find((m) => m !== null) ?? null)];
      this.submissions++;
      this.encoder = null;
      this.dispatches = 0;
      for (const buffer of this.scratch) this.pool.release(buffer);
      this.scratch = [];
    }
    this.pool.submitted();
  }

  /** Gives a buffer back to the pool once no unsubmitted command can read it. */
  release(buffer: GPUBuffer): void {
    if (this.disposed) return;
    this.pool.release(buffer);
    // With no commands recorded, nothing unsubmitted can still read the released buffers.
    if (!this.encoder) this.pool.submitted();
  }

  async sync(op: string): Promise<void> {
    const scopes = this.flush();
    await this.untilLost(op, this.device.queue.onSubmittedWorkDone());
    await this.throwScopeErrors(op, scopes);
  }

  /**
   * Records copies into a MAP_READ staging buffer of `bytes` (with `record`), submits everything
   * pending, and resolves with a copy of the staging contents once the GPU is done. Rejects with the
   * loss reason if the device is lost, or with the GPU's error if the submitted commands were invalid
   * or ran out of memory.
   */
  async readBack(op: string, bytes: number, record: (encoder: GPUCommandEncoder, staging: GPUBuffer) => void): Promise<ArrayBuffer> {
    const staging = this.pool.acquire({ label: `${op} staging`, size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    record(this.currentEncoder(), staging);
    const scopes = this.flush();
    try {
      await this.untilLost(op, staging.mapAsync(MapMode.READ));
      await this.throwScopeErrors(op, scopes);
      return staging.getMappedRange(0, bytes).slice(0);
    } finally {
      if (staging.mapState === 'mapped') staging.unmap();
      if (!this.disposed) this.pool.release(staging);
    }
  }

  /**
   * Waits for a GPU promise, failing with the loss reason if the device is lost first. A lost device
   * can also make the promise itself reject (mapAsync: "unmapped before mapping was resolved") before
   * `device.lost` settles, so a rejection waits briefly for the loss to name it.
   */
  untilLost<T>(op: string, promise: Promise<T>): Promise<T> {
    const lost = this.lostPromise.then((info) => {
      throw lostError(op, info);
    });
    return Promise.race([promise, lost]).catch(async (error: unknown) => {
      const settle = new Promise((resolve) => setTimeout(resolve, LOSS_GRACE_MS));
      await Promise.race([this.lostPromise, settle]);
      throw this.lost ? lostError(op, this.lost) : error;
    });
  }

  async throwScopeErrors(op: string, scopes: ScopeResult[]): Promise<void> {
    for (const error of await Promise.all(scopes)) {
      if (error) throw new Error(`${op}: the GPU rejected argpool's commands in ${foundIn.get(error) ?? 'a submit'}: ${error.message}`);
    }
  }

  destroy(): void {
    if (this.disposed) return;
    this.flush();
    this.disposed = true;
    this.pool.destroy();
  }
}

export function lostError(op: string, info: GPUDeviceLostInfo): Error {
  return new Error(`${op}: the GPU device was lost (${info.reason}): ${info.message}`);
}
