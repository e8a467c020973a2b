/**
 * A context's view of its device's executor (src/executor.ts): what one ArgPool owns on a device that
 * other contexts and the adapters may share. The executor batches, submits, pools and caches for
 * every context on the device; the session adds the context's own state: whether it is destroyed, and
 * the buffers and fault slots its tensors hold, which it gives back when it is destroyed.
 */
import { executorFor, lostError, type Binding, type Executor, type PreparedPlan, type ScopeResult } from './executor.js';
import { STATUS_BYTES, type OperationPlan } from './plan.js';
import type { FaultStatus, Tensor } from './tensor.js';

export { MAX_DISPATCHES_PER_SUBMIT } from './executor.js';

/**
 * Items a context holds, each knowing its place in the list (`heldAt`), so that adding and removing one
 * costs no hashing: these change with every tensor made and destroyed.
 */
class Holdings<T extends { heldAt: number }> {
  private readonly items: T[] = [];

  add(item: T): void {
    item.heldAt = this.items.length;
    this.items.push(item);
  }

  delete(item: T): void {
    const at = item.heldAt;
    if (at < 0 || this.items[at] !== item) return;
    const last = this.items.pop()!;
    if (last !== item) {
      this.items[at] = last;
      last.heldAt = at;
    }
    item.heldAt = -1;
  }

  /** Every item, and empties the list. */
  take(): T[] {
    const items = this.items.splice(0);
    for (const item of items) item.heldAt = -1;
    return items;
  }
}

export class Session {
  disposed = false;
  readonly executor: Executor;
  /** Tensors on pooled buffers that this context made and has not had back. */
  private readonly tensors = new Holdings<Tensor>();
  /** Fault statuses this context's tensors hold. */
  private readonly faults = new Holdings<FaultStatus>();

  constructor(readonly device: GPUDevice) {
    this.executor = executorFor(device);
    this.executor.attach();
  }

  /** Set when the device is lost; every later call, and every pending read, fails with its reason. */
  get lost(): GPUDeviceLostInfo | null {
    return this.executor.lost;
  }

  checkUsable(op: string): void {
    if (this.disposed) throw new Error(`${op}: this ArgPool has been destroyed`);
    const lost = this.executor.lost;
    if (lost) throw lostError(op, lost);
  }

  /** A pooled buffer of `bytes` with STORAGE | COPY_SRC | COPY_DST usage, for a tensor (see `hold`). */
  allocateStorage(label: string, bytes: number): GPUBuffer {
    return this.executor.allocateStorage(label, bytes);
  }

  /** Holds a tensor made on a pooled buffer of `allocateStorage`, until `release` or `destroy`. */
  hold(tensor: Tensor): void {
    this.tensors.add(tensor);
  }

  /** Gives a held tensor's buffer back to the pool once no unsubmitted command can read it. */
  release(tensor: Tensor): void {
    if (this.disposed) return;
    this.tensors.delete(tensor);
    this.executor.release(tensor.buffer);
  }

  /**
   * A fault status in a slot of the device's fault arena (the operation that writes it clears it
   * first); `message` turns what it found into the error message, at coordinates of `shape` in `layout`.
   */
  acquireFault(message: FaultStatus['message'], shape: readonly number[], layout: FaultStatus['layout']): FaultStatus {
    const slot = this.executor.faults.acquire();
    const fault: FaultStatus = { buffer: slot.buffer, offset: slot.offset, refs: 0, message, shape, layout, heldAt: -1 };
    this.faults.add(fault);
    return fault;
  }

  /** Gives a fault status's slot back (when the last tensor that carries it is destroyed). */
  releaseFault(fault: FaultStatus): void {
    if (this.disposed) return;
    this.faults.delete(fault);
    this.executor.releaseFault(faultBinding(fault));
  }

  /** The device's plan under `key` (see Executor.prepare). */
  prepare(key: string, build: () => OperationPlan): PreparedPlan {
    return this.executor.prepare(key, build);
  }

  /** Records a prepared plan (see Executor.record). Does not throw. */
  record(prepared: PreparedPlan, buffers: Readonly<Record<string, GPUBuffer | Binding>>, timestampWrites?: GPUComputePassTimestampWrites): void {
    this.executor.record(prepared, buffers, timestampWrites);
  }

  /** Submits the device's pending work; returns the error scopes the next read checks. */
  flush(): ScopeResult[] {
    return this.executor.flush();
  }

  sync(op: string): Promise<void> {
    return this.executor.sync(op);
  }

  readBack(op: string, bytes: number, record: (encoder: GPUCommandEncoder, staging: GPUBuffer) => void): Promise<ArrayBuffer> {
    return this.executor.readBack(op, bytes, record);
  }

  /**
   * Submits what is pending (so nothing recorded is lost) and gives back every buffer and fault slot
   * this context's tensors still hold; tensors of other contexts on the device are untouched.
   */
  destroy(): void {
    if (this.disposed) return;
    const { executor } = this;
    executor.flush();
    this.disposed = true;
    for (const tensor of this.tensors.take()) executor.release(tensor.buffer);
    for (const fault of this.faults.take()) executor.releaseFault(faultBinding(fault));
    executor.detach();
  }
}

/** The range of the fault arena that a fault status occupies, as a program binds it. */
export function faultBinding(fault: FaultStatus): Binding {
  return { buffer: fault.buffer, offset: fault.offset, size: STATUS_BYTES };
}
