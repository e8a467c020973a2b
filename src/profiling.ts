/**
 * Profiling: `ArgPool.measure`. With 'timestamp-query', each operation recorded inside the callback
 * gets timestamp writes around its compute pass (reserved in planning, so a call over the cap is
 * refused before any GPU work); otherwise the wall time from submit to completion.
 */
import type { Session } from './session.js';
import { BufferUsage } from './webgpu_constants.js';

/** Compute passes one `measure` call can time with timestamp queries. */
export const MAX_TIMED_PASSES = 256;

/** What `ArgPool.measure` found. */
export interface Measurement<T> {
  result: T;
  /** GPU time of the work recorded inside the callback, in milliseconds. */
  gpuMs: number;
  /** Per compute pass (one per operation) when timestamp queries are available. */
  passes: { label: string; ms: number }[];
  /** 'timestamp-query' when the adapter has it; otherwise the wall time from submit to completion. */
  method: 'timestamp-query' | 'submit-to-done';
}

export class Profiler {
  private timer: { querySet: GPUQuerySet; labels: string[] } | null = null;
  private querySet: GPUQuerySet | null = null;

  constructor(private readonly session: Session) {}

  /**
   * Timestamp writes for the next operation's pass while a measurement runs (else undefined). Throws
   * when the measurement already times MAX_TIMED_PASSES passes: call it in planning, before recording.
   */
  reservePass(op: string): GPUComputePassTimestampWrites | undefined {
    const timer = this.timer;
    if (!timer) return undefined;
    const pass = timer.labels.length;
    if (pass >= MAX_TIMED_PASSES) throw new RangeError(`measure: at most ${MAX_TIMED_PASSES} operations can be timed at once (${op} is one more)`);
    timer.labels.push(op);
    return { querySet: timer.querySet, beginningOfPassWriteIndex: 2 * pass, endOfPassWriteIndex: 2 * pass + 1 };
  }

  async measure<T>(fn: () => T, sync: () => Promise<void>): Promise<Measurement<T>> {
    const op = 'measure';
    const { device } = this.session;
    await sync();
    if (!device.features.has('timestamp-query')) {
      const result = fn();
      const start = performance.now();
      await sync();
      return { result, gpuMs: performance.now() - start, passes: [], method: 'submit-to-done' };
    }
    this.querySet ??= device.createQuerySet({ label: 'argpool measure', type: 'timestamp', count: 2 * MAX_TIMED_PASSES });
    const timer = { querySet: this.querySet, labels: [] as string[] };
    this.timer = timer;
    let result: T;
    try {
      result = fn();
    } finally {
      this.timer = null;
    }
    const count = timer.labels.length;
    if (count === 0) return { result, gpuMs: 0, passes: [], method: 'timestamp-query' };
    const bytes = count * 16;
    const { pool } = this.session.executor;
    const resolved = pool.acquire({ label: 'measure resolve', size: bytes, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    try {
      const mapped = await this.session.readBack(op, bytes, (encoder, staging) => {
        encoder.resolveQuerySet(timer.querySet, 0, 2 * count, resolved, 0);
        encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
      });
      const stamps = new BigUint64Array(mapped);
      const passes = timer.labels.map((label, i) => ({ label, ms: Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6 }));
      return { result, gpuMs: passes.reduce((sum, p) => sum + p.ms, 0), passes, method: 'timestamp-query' };
    } finally {
      this.session.executor.release(resolved);
    }
  }

  destroy(): void {
    this.querySet?.destroy();
  }
}
