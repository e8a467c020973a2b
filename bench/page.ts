/**
 * In-page side of `npm run bench` (see run.mjs): runs every workload in this browser on one WebGPU
 * adapter and hands the results back through `window.__runBench`.
 *
 * For each workload and operation (pool, unpool, pool gradient) it measures:
 * - argpool on the GPU, two ways: `ap.measure` (timestamp queries around each compute pass) and the
 *   wall time from submitting the recorded work to its completion (`ap.sync()`);
 * - the memory-bound limit: copying as many bytes as the operation must move, as copyBufferToBuffer
 *   (submit to done) and as a trivial compute copy kernel (timestamp queries);
 * - TensorFlow.js on its WebGPU backend (same browser and adapter) and on its CPU backend;
 * - argpool's CPU reference (`cpu.*`), which also gates correctness: the GPU outputs must match it.
 * Then the same operations on float16 tensors (the input rounded to float16): argpool's timestamps
 * against float32's and against the copy kernel of the float16 traffic, checked against the CPU
 * reference on the float16 bits.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { ArgPool, cpu, type PoolOptions, type Tensor } from '../src/index';
import { dispatchGrid } from '../src/low-level';
import copyWgsl from '../src/check/copy.wgsl?raw';
import { OPS, workloads, type OpKind, type TfjsPlan, type Workload } from './workloads';

// ---------------------------------------------------------------------------------------------
// Result types (serialised to bench/results.json)
// ---------------------------------------------------------------------------------------------

export interface BenchConfig {
  quick: boolean;
  only: string | null;
}

export interface Timing {
  /** Per operation; with `opsPerSubmit` > 1, the submission's time divided by that count. */
  medianMs: number;
  minMs: number;
  maxMs: number;
  reps: number;
  warmup: number;
  method: string;
  /** Submit-to-done only: operations recorded back to back into each timed submission (see SUBMIT_TARGET_MS). */
  opsPerSubmit?: number;
}

/** A measurement, or why there is none. */
export type Maybe<T> = T | { na: string };

export interface OpResult {
  workload: string;
  title: string;
  op: OpKind;
  shape: number[];
  layout: string;
  /** Bytes the operation must read and write at least (each element once). */
  bytesRead: number;
  bytesWritten: number;
  argpool: Maybe<{ timestamp: Timing | null; submit: Timing }>;
  limit: CopyLimitResult;
  /**
   * Unpooling only: the same unpooling from the same pooling's 'window' indices (uint8 taps, one
   * byte each) against its int32 indices: index memory and GPU time (timestamps).
   */
  windowIndices?: Maybe<{ int32Bytes: number; windowBytes: number; timestamp: Timing | null; submit: Timing; check: { ok: boolean; detail: string } }>;
  tfjsWebgpu: Maybe<{ timestamp: Timing | null; submit: Timing; what: string }>;
  tfjsCpu: Maybe<{ wall: Timing; what: string }>;
  cpuReference: Maybe<Timing>;
  check: { ok: boolean; detail: string } | null;
  error?: string;
}

/** One operation on float16 tensors (the workload's input rounded to float16). */
export interface Float16Result {
  workload: string;
  title: string;
  op: OpKind;
  layout: string;
  /** Bytes the operation must read and write at least: float16 values two bytes each, indices four. */
  bytesRead: number;
  bytesWritten: number;
  argpool: Maybe<{ timestamp: Timing | null; submit: Timing }>;
  limit: CopyLimitResult | null;
  check: { ok: boolean; detail: string } | null;
  error?: string;
}

export interface ChainResult {
  title: string;
  levels: number;
  timestamp: Timing | null;
  submit: Timing;
  /** Wall time from the first recorded op to completion (recording included). */
  endToEnd: Timing;
  /**
   * ap.buffersCreated growth in each run after the first: plain runs (record + ap.sync) and runs
   * inside ap.measure (whose first 6-pass call also creates its own query resolve/staging buffers).
   */
  buffersCreated: { plain: number[]; measured: number[] };
  check: { ok: boolean; detail: string };
  error?: string;
}

export interface BenchResults {
  date: string;
  quick: boolean;
  only: string | null;
  userAgent: string;
  adapter: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    isFallbackAdapter: boolean | null;
    features: string[];
  };
  tfjsAdapter: { vendor: string; architecture: string; description: string } | null;
  timestampQuery: boolean;
  reps: { gpu: number; gpuWarmup: number; copy: number; copyWarmup: number; cpuMin: number; cpuMax: number; cpuBudgetMs: number };
  gradientAvailable: boolean;
  gradientTolerance: string;
  ops: OpResult[];
  float16: Float16Result[];
  chain: ChainResult | null;
  failures: string[];
  totalMs: number;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

declare global {
  interface Window {
    __benchLog?: (line: string) => void;
    __benchReady?: boolean;
    __runBench?: (config: BenchConfig) => Promise<BenchResults>;
    __benchResults?: BenchResults;
  }
}

function log(line: string): void {
  if (window.__benchLog) void window.__benchLog(line);
  else console.log(line);
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function summarize(samples: number[], warmup: number, method: string): Timing {
  return {
    medianMs: median(samples),
    minMs: Math.min(...samples),
    maxMs: Math.max(...samples),
    reps: samples.length,
    warmup,
    method,
  };
}

interface RepPlan {
  warmup: number;
  reps: number;
}

/** Runs `once` warm-up times, then `reps` times, and summarises the times it returns. */
async function repeat(plan: RepPlan, method: string, once: () => Promise<number>): Promise<Timing> {
  for (let i = 0; i < plan.warmup; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < plan.reps; i++) samples.push(await once());
  return summarize(samples, plan.warmup, method);
}

/**
 * Runs several measurements of the same work in rounds (each round runs every one once, starting
 * with a different one each round), so that slow drifts and other load on the machine hit every
 * method alike. `plan.warmup` untimed rounds come first.
 */
async function repeatInterleaved(plan: RepPlan, methods: string[], onces: (() => Promise<number>)[]): Promise<Timing[]> {
  for (let round = 0; round < plan.warmup; round++) for (const once of onces) await once();
  const samples: number[][] = onces.map(() => []);
  for (let round = 0; round < plan.reps; round++) {
    for (let k = 0; k < onces.length; k++) {
      const which = (round + k) % onces.length;
      samples[which].push(await onces[which]());
    }
  }
  return samples.map((list, i) => summarize(list, plan.warmup, methods[i]));
}

/**
 * Submit-to-done has a floor here: \`onSubmittedWorkDone\` resolved about 2.2 ms after submit however
 * little work there was (SwiftShader in headless Chromium), so a single fast operation reads as
 * that floor. Every submit-to-done measurement (argpool, the copy, tfjs) therefore records k
 * operations back to back into one submission and reports time / k, with k grown until one
 * submission takes at least this long (k = 1 for operations at least this slow). Same rule for all.
 */
const SUBMIT_TARGET_MS = 20;
/** Outputs of the k batched operations are all alive until the submission: cap their bytes. */
const MAX_BATCH_OUTPUT_BYTES = 256 * 2 ** 20;

/** Submit-to-done time per op with k ops recorded back to back into one submission. */
type PerOpTime = (k: number) => Promise<number>;

/**
 * Picks k for a submit-to-done measurement: one warm-up run, then k grows (at least doubling) until
 * a submission of k ops takes SUBMIT_TARGET_MS, or k reaches `maxK` or the memory cap.
 */
async function opsPerSubmit(perOp: PerOpTime, outputBytes: number, maxK: number): Promise<number> {
  const cap = Math.max(1, Math.min(maxK, Math.floor(MAX_BATCH_OUTPUT_BYTES / Math.max(1, outputBytes))));
  await perOp(1);
  let k = 1;
  for (;;) {
    const submission = (await perOp(k)) * k;
    if (submission >= SUBMIT_TARGET_MS || k >= cap) return k;
    k = Math.min(cap, Math.max(2 * k, Math.ceil((k * SUBMIT_TARGET_MS) / Math.max(submission, 0.01))));
  }
}

/** For slow CPU work: at least `min` repetitions, more (up to `max`) while within `budgetMs`. */
async function repeatAdaptive(
  plan: { warmup: number; min: number; max: number; budgetMs: number },
  method: string,
  once: () => Promise<number>,
): Promise<Timing> {
  for (let i = 0; i < plan.warmup; i++) await once();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < plan.min || (samples.length < plan.max && performance.now() - start < plan.budgetMs)) {
    samples.push(await once());
  }
  return summarize(samples, plan.warmup, method);
}

/** Deterministic pseudo-random floats in [-1, 1) (mulberry32), so every run sees the same data. */
function randomFloats(count: number, seed: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(count);
  let a = seed >>> 0;
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2147483648 - 1;
  }
  return out;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
const yieldToBrowser = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** First difference of two arrays compared as bit patterns (exact, NaN- and -0-aware). */
function firstBitDifference(
  gpu: Float32Array | Int32Array | Uint8Array,
  reference: Float32Array | Int32Array | Uint8Array,
  what: string,
): string | null {
  if (gpu.length !== reference.length) return `${what}: GPU gave ${gpu.length} elements, the CPU reference ${reference.length}`;
  const bits = (x: Float32Array | Int32Array | Uint8Array) => (x instanceof Uint8Array ? x : new Int32Array(x.buffer, x.byteOffset, x.length));
  const a = bits(gpu);
  const b = bits(reference);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return `${what}[${i}]: GPU ${gpu[i]} but CPU reference ${reference[i]}` + countRest(a, b, i, (x, y) => x !== y);
    }
  }
  return null;
}

const GRAD_ABS_TOL = 1e-6;
const GRAD_REL_TOL = 1e-5;
const GRADIENT_TOLERANCE = `|gpu - cpu| <= ${GRAD_ABS_TOL} + ${GRAD_REL_TOL} * |cpu| (float32 sums may be added in another order)`;

function firstToleranceDifference(gpu: Float32Array, reference: Float32Array, what: string): string | null {
  if (gpu.length !== reference.length) return `${what}: GPU gave ${gpu.length} elements, the CPU reference ${reference.length}`;
  const bad = (x: number, y: number): boolean => !(Math.abs(x - y) <= GRAD_ABS_TOL + GRAD_REL_TOL * Math.abs(y));
  for (let i = 0; i < gpu.length; i++) {
    if (bad(gpu[i], reference[i])) {
      return `${what}[${i}]: GPU ${gpu[i]} but CPU reference ${reference[i]} (tolerance ${GRADIENT_TOLERANCE})` + countRest(gpu, reference, i, bad);
    }
  }
  return null;
}

function countRest<T extends ArrayLike<number>>(a: T, b: T, first: number, differ: (x: number, y: number) => boolean): string {
  let count = 0;
  for (let i = first; i < a.length; i++) if (differ(a[i], b[i])) count++;
  return `; ${count} of ${a.length} elements differ`;
}

// ---------------------------------------------------------------------------------------------
// The memory-bound limit: copies of the same number of bytes
// ---------------------------------------------------------------------------------------------

/**
 * The copy floor. The host's last-level cache holds 32 MiB: repeating a copy of a smaller buffer
 * measures that cache, not memory. The copies therefore rotate among `pairs` source/destination
 * pairs that together touch at least COPY_ROTATION_BYTES, so each copy reads memory that the
 * previous ones evicted from the cache (`bytesTouched` says how much the rotation spans).
 */
export interface CopyLimitResult {
  copyBytes: number;
  copySubmit: Timing;
  copyKernelTimestamp: Timing | null;
  pairs: number;
  bytesTouched: number;
}

/** Bytes a copy rotation spans at least: twice the 32 MiB cache of this machine's CPU (lscpu). */
const COPY_ROTATION_BYTES = 64 * 2 ** 20;
/** At most this many buffer pairs (tiny copies would otherwise need thousands). */
const COPY_ROTATION_MAX_PAIRS = 64;

class CopyLimit {
  private pipeline: GPUComputePipeline;
  private querySet: GPUQuerySet | null;

  constructor(private readonly device: GPUDevice) {
    const module = device.createShaderModule({ label: 'bench copy.wgsl', code: copyWgsl });
    this.pipeline = device.createComputePipeline({
      label: 'bench copy',
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants: { WORKGROUP_SIZE: COPY_WORKGROUP_SIZE } },
    });
    this.querySet = device.features.has('timestamp-query')
      ? device.createQuerySet({ label: 'bench copy timer', type: 'timestamp', count: 2 })
      : null;
  }

  /**
   * Times a copy whose traffic equals `trafficBytes` (a copy of S bytes reads S and writes S, so it
   * copies half the traffic), by submit-to-done for copyBufferToBuffer and by timestamps for the kernel.
   */
  async measure(trafficBytes: number, plan: RepPlan): Promise<CopyLimitResult> {
    const device = this.device;
    const copyBytes = Math.ceil(trafficBytes / 2 / 16) * 16;
    const pairs = Math.min(COPY_ROTATION_MAX_PAIRS, Math.max(1, Math.ceil(COPY_ROTATION_BYTES / (2 * copyBytes))));
    const bytesTouched = pairs * 2 * copyBytes;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const buffers: [GPUBuffer, GPUBuffer][] = [];
    for (let i = 0; i < pairs; i++) {
      buffers.push([
        device.createBuffer({ label: `bench copy src ${i}`, size: copyBytes, usage }),
        device.createBuffer({ label: `bench copy dst ${i}`, size: copyBytes, usage }),
      ]);
    }
    let next = 0;
    const nextPair = (): [GPUBuffer, GPUBuffer] => buffers[next++ % pairs];
    try {
      // Touch every buffer once so first-use costs (allocation, zeroing) are not timed.
      const init = device.createCommandEncoder();
      for (const [src, dst] of buffers) {
        init.clearBuffer(src);
        init.clearBuffer(dst);
      }
      device.queue.submit([init.finish()]);
      await device.queue.onSubmittedWorkDone();

      const copies: PerOpTime = async (k) => {
        const start = performance.now();
        const encoder = device.createCommandEncoder({ label: 'bench copyBufferToBuffer' });
        for (let i = 0; i < k; i++) {
          const [src, dst] = nextPair();
          encoder.copyBufferToBuffer(src, 0, dst, 0, copyBytes);
        }
        device.queue.submit([encoder.finish()]);
        await device.queue.onSubmittedWorkDone();
        return (performance.now() - start) / k;
      };
      const k = await opsPerSubmit(copies, 0, 8192);
      const copyOnce = () => copies(k);

      if (!this.querySet) {
        const copySubmit = await repeat(plan, 'submit-to-done', copyOnce);
        return { copyBytes, copySubmit: { ...copySubmit, opsPerSubmit: k }, copyKernelTimestamp: null, pairs, bytesTouched };
      }
      {
        const querySet = this.querySet;
        const words = copyBytes / 16;
        const [x, y, z] = dispatchGrid(words, COPY_WORKGROUP_SIZE, device.limits.maxComputeWorkgroupsPerDimension, 'bench copy');
        const params = device.createBuffer({ label: 'bench copy params', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
        device.queue.writeBuffer(params, 0, new Uint32Array([words, x, y, 0]));
        const resolve = device.createBuffer({ label: 'bench copy resolve', size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
        const staging = device.createBuffer({ label: 'bench copy staging', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        const bindGroups = buffers.map(([src, dst]) =>
          device.createBindGroup({
            label: 'bench copy',
            layout: this.pipeline.getBindGroupLayout(0),
            entries: [params, src, dst].map((buffer, binding) => ({ binding, resource: { buffer } })),
          }),
        );
        let nextGroup = 0;
        try {
          const kernelOnce = async (): Promise<number> => {
            const encoder = device.createCommandEncoder({ label: 'bench copy kernel' });
            const pass = encoder.beginComputePass({
              label: 'bench copy kernel',
              timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
            });
            pass.setPipeline(this.pipeline);
            pass.setBindGroup(0, bindGroups[nextGroup++ % pairs]);
            pass.dispatchWorkgroups(x, y, z);
            pass.end();
            encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
            encoder.copyBufferToBuffer(resolve, 0, staging, 0, 16);
            device.queue.submit([encoder.finish()]);
            await staging.mapAsync(GPUMapMode.READ);
            const stamps = new BigUint64Array(staging.getMappedRange().slice(0));
            staging.unmap();
            return Number(stamps[1] - stamps[0]) / 1e6;
          };
          const [copySubmit, copyKernelTimestamp] = await repeatInterleaved(
            plan,
            ['submit-to-done', 'timestamp-query'],
            [copyOnce, kernelOnce],
          );
          return { copyBytes, copySubmit: { ...copySubmit, opsPerSubmit: k }, copyKernelTimestamp, pairs, bytesTouched };
        } finally {
          params.destroy();
          resolve.destroy();
          staging.destroy();
        }
      }
    } finally {
      for (const [src, dst] of buffers) {
        src.destroy();
        dst.destroy();
      }
    }
  }
}

const COPY_WORKGROUP_SIZE = 256;

// ---------------------------------------------------------------------------------------------
// argpool
// ---------------------------------------------------------------------------------------------

type PoolBackward = (
  gradOutput: Tensor,
  indices: Tensor,
  options: PoolOptions & { inputShape: readonly number[] },
) => Tensor<'float32'>;

/** `ap.maxPoolBackward` when this build of argpool has it (it is being added), else null. */
function backwardOf(ap: ArgPool): PoolBackward | null {
  const candidate = (ap as unknown as { maxPoolBackward?: unknown }).maxPoolBackward;
  return typeof candidate === 'function' ? (candidate as PoolBackward).bind(ap) : null;
}

/** Times one recorded operation both ways: timestamp queries (ap.measure) and submit-to-done. */
async function timeArgpool(
  ap: ArgPool,
  plan: RepPlan,
  record: () => Tensor[],
  outputBytes: number,
): Promise<{ timestamp: Timing | null; submit: Timing }> {
  const batch: PerOpTime = async (k) => {
    await ap.sync();
    const outputs: Tensor[] = [];
    for (let i = 0; i < k; i++) outputs.push(...record());
    const start = performance.now();
    await ap.sync();
    const ms = (performance.now() - start) / k;
    for (const t of outputs) t.destroy();
    return ms;
  };
  const k = await opsPerSubmit(batch, outputBytes, 256);
  let method = '';
  const [timestamp, submit] = await repeatInterleaved(plan, ['timestamp-query', 'submit-to-done'], [
    async () => {
      const m = await ap.measure(record);
      for (const t of m.result) t.destroy();
      method = m.method;
      return m.gpuMs;
    },
    () => batch(k),
  ]);
  return { timestamp: method === 'timestamp-query' ? timestamp : null, submit: { ...submit, opsPerSubmit: k } };
}

// ---------------------------------------------------------------------------------------------
// TensorFlow.js
// ---------------------------------------------------------------------------------------------

interface TfjsOp {
  what: string;
  /** Builds the op's inputs on the current backend (untimed). */
  setup(): tf.Tensor[];
  /** The timed op; returns its outputs. */
  run(inputs: tf.Tensor[]): tf.Tensor[];
}

function tfjsOp(plan: TfjsPlan, op: OpKind, data: Float32Array): TfjsOp {
  const { shape, filterSize, strides, pad } = plan;
  const pool = (x: tf.Tensor4D, includeBatchInIndex = false) =>
    tf.maxPoolWithArgmax(x, filterSize, strides, pad, includeBatchInIndex);
  if (op === 'pool') {
    return {
      what: `tf.maxPoolWithArgmax(x, [${filterSize}], [${strides}], ${JSON.stringify(pad)})`,
      setup: () => [tf.tensor4d(data, shape)],
      run: ([x]) => {
        const { result, indexes } = pool(x as tf.Tensor4D);
        return [result, indexes];
      },
    };
  }
  if (op === 'unpool') {
    return {
      what: 'tf.scatterND(argmax as [N,1] flat indices, pooled values, [input size]) (sums duplicates)',
      setup: () => {
        const x = tf.tensor4d(data, shape);
        const { result, indexes } = pool(x, true);
        const updates = tf.reshape(result, [-1]);
        const indices = tf.reshape(indexes, [-1, 1]);
        tf.dispose([x, result, indexes]);
        return [indices, updates];
      },
      run: ([indices, updates]) => [tf.scatterND(indices, updates, [product(shape)])],
    };
  }
  return {
    what: "the MaxPoolGrad kernel that tf.grad(x => tf.maxPool(x, ...)) runs (runKernel('MaxPoolGrad', {dy, input, output}))",
    setup: () => {
      const x = tf.tensor4d(data, shape);
      const y = tf.maxPool(x, filterSize, strides, pad);
      const dy = tf.tensor(randomFloats(y.size, 99), y.shape);
      return [dy, x, y];
    },
    run: ([dy, input, output]) => [
      tf.engine().runKernel('MaxPoolGrad', { dy, input, output }, { filterSize, strides, pad }) as tf.Tensor,
    ],
  };
}

/** Submits what tfjs has recorded (as its own readbacks do) and waits until the GPU has done it. */
async function submitTfjs(backend: WebGPUBackend): Promise<void> {
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
}

async function timeTfjsWebgpu(
  op: TfjsOp,
  plan: RepPlan,
  outputBytes: number,
): Promise<{ timestamp: Timing | null; submit: Timing; what: string }> {
  await tf.setBackend('webgpu');
  await tf.ready();
  const backend = tf.backend() as WebGPUBackend;
  // tfjs submits on its own every N dispatches; batched ops must all wait for the one timed submit.
  const submitBatchFlag = 'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE';
  const submitBatchSize = tf.env().getNumber(submitBatchFlag);
  tf.env().set(submitBatchFlag, 1_000_000);
  const inputs = op.setup();
  try {
    await Promise.all(inputs.map((t) => t.data()));
    const batch: PerOpTime = async (k) => {
      await submitTfjs(backend);
      const outputs: tf.Tensor[] = [];
      for (let i = 0; i < k; i++) outputs.push(...op.run(inputs));
      const start = performance.now();
      await submitTfjs(backend);
      const ms = (performance.now() - start) / k;
      tf.dispose(outputs);
      return ms;
    };
    const k = await opsPerSubmit(batch, outputBytes, 256);
    let timestampOk = true;
    const [timestamp, submit] = await repeatInterleaved(plan, ['timestamp-query (tf.time kernelMs)', 'submit-to-done'], [
      async () => {
        let outputs: tf.Tensor[] = [];
        const info = await tf.time(() => {
          outputs = op.run(inputs);
        });
        tf.dispose(outputs);
        if (typeof info.kernelMs !== 'number') {
          timestampOk = false;
          return NaN;
        }
        return info.kernelMs;
      },
      () => batch(k),
    ]);
    return { timestamp: timestampOk ? timestamp : null, submit: { ...submit, opsPerSubmit: k }, what: op.what };
  } finally {
    tf.dispose(inputs);
    tf.env().set(submitBatchFlag, submitBatchSize);
  }
}

async function timeTfjsCpu(op: TfjsOp, plan: { warmup: number; min: number; max: number; budgetMs: number }): Promise<{ wall: Timing; what: string }> {
  await tf.setBackend('cpu');
  await tf.ready();
  const inputs = op.setup();
  try {
    const wall = await repeatAdaptive(plan, 'wall (op + await data())', async () => {
      const start = performance.now();
      const outputs = op.run(inputs);
      await Promise.all(outputs.map((t) => t.data()));
      const ms = performance.now() - start;
      tf.dispose(outputs);
      return ms;
    });
    return { wall, what: op.what };
  } finally {
    tf.dispose(inputs);
  }
}

// ---------------------------------------------------------------------------------------------
// One workload
// ---------------------------------------------------------------------------------------------

interface Context {
  ap: ArgPool;
  copy: CopyLimit;
  config: BenchConfig;
  gpuPlan: RepPlan;
  /** Copies are cheap but settle slowly on SwiftShader (first touches of fresh memory), and are bimodal: more of both. */
  copyPlan: RepPlan;
  cpuPlan: { warmup: number; min: number; max: number; budgetMs: number };
  wanted: (w: Workload, op: OpKind | 'chain', dtype?: 'float16') => boolean;
  failures: string[];
}

async function runWorkload(ctx: Context, w: Workload, seed: number): Promise<OpResult[]> {
  const { ap } = ctx;
  const ops = OPS.filter((op) => ctx.wanted(w, op));
  if (ops.length === 0) return [];
  log(`[${w.id}] ${w.title}: shape [${w.shape.join(', ')}] ${w.layout}, generating data`);
  const input = randomFloats(product(w.shape), seed);
  const reference = cpu.maxPool({ data: input, shape: w.shape }, w.pool);
  const pooledShape = reference.values.shape;
  const inBytes = input.byteLength;
  const outBytes = reference.values.data.byteLength;
  const spatial = w.layout === 'NHWC' ? w.shape.slice(1, -1) : w.shape.slice(2);
  const unpoolOptions = { ...w.pool, outputSize: spatial };
  const backward = backwardOf(ap);
  const gradOutput = randomFloats(product(pooledShape), seed + 1);

  const x = ap.tensor(input, w.shape);
  const pooled = ap.maxPool(x, w.pool);
  const gradTensor = ap.tensor(gradOutput, pooledShape);
  const results: OpResult[] = [];
  try {
    for (const op of ops) {
      const result: OpResult = {
        workload: w.id,
        title: w.title,
        op,
        shape: w.shape,
        layout: w.layout,
        bytesRead: op === 'pool' ? inBytes : 2 * outBytes,
        bytesWritten: op === 'pool' ? 2 * outBytes : inBytes,
        argpool: { na: 'not run' },
        limit: null as unknown as OpResult['limit'],
        tfjsWebgpu: { na: 'not run' },
        tfjsCpu: { na: 'not run' },
        cpuReference: { na: 'not run' },
        check: null,
      };
      results.push(result);
      const label = `[${w.id}] ${op}`;
      try {
        // The limit first: it needs no argpool op and is measured even where argpool has none.
        log(`${label}: copy limit for ${((result.bytesRead + result.bytesWritten) / 2 ** 20).toFixed(1)} MiB of traffic`);
        result.limit = await ctx.copy.measure(result.bytesRead + result.bytesWritten, ctx.copyPlan);

        // argpool on the GPU, its correctness check, and its CPU reference.
        let record: (() => Tensor[]) | null = null;
        let check: () => Promise<string | null> = async () => null;
        let cpuOnce: (() => unknown) | null = null;
        let windowRun: (() => Promise<NonNullable<OpResult['windowIndices']>>) | null = null;
        if (op === 'pool') {
          record = () => {
            const r = ap.maxPool(x, w.pool);
            return [r.values, r.indices];
          };
          check = async () =>
            firstBitDifference(await pooled.values.read(), reference.values.data, 'values') ??
            firstBitDifference(await pooled.indices.read(), reference.indices.data, 'indices');
          cpuOnce = () => cpu.maxPool({ data: input, shape: w.shape }, w.pool);
        } else if (op === 'unpool') {
          record = () => [ap.maxUnpool(pooled.values, pooled.indices, unpoolOptions)];
          const expected = cpu.maxUnpool(reference.values, reference.indices, unpoolOptions);
          check = async () => {
            const out = ap.maxUnpool(pooled.values, pooled.indices, unpoolOptions);
            try {
              return firstBitDifference(await out.read(), expected.data, 'output');
            } finally {
              out.destroy();
            }
          };
          cpuOnce = () => cpu.maxUnpool(reference.values, reference.indices, unpoolOptions);
          const windowTaps = w.pool.kernelSize ** (w.shape.length - 2);
          windowRun = async () => {
            if (windowTaps > 256) return { na: `'window' indices number at most 256 taps; this window has ${windowTaps}` };
            const windowOptions = { ...w.pool, indexFormat: 'window' as const };
            const taps = ap.maxPool(x, windowOptions);
            const options = { ...unpoolOptions, indexFormat: 'window' as const };
            try {
              const out = ap.maxUnpool(taps.values, taps.indices, options);
              const difference = firstBitDifference(await out.read(), expected.data, 'output');
              out.destroy();
              const timing = await timeArgpool(ap, ctx.gpuPlan, () => [ap.maxUnpool(taps.values, taps.indices, options)], result.bytesWritten);
              return {
                int32Bytes: pooled.indices.byteLength,
                windowBytes: taps.indices.byteLength,
                ...timing,
                check: difference ? { ok: false, detail: difference } : { ok: true, detail: 'bit-exact' },
              };
            } finally {
              taps.values.destroy();
              taps.indices.destroy();
            }
          };
        } else {
          const backwardOptions = { ...w.pool, inputShape: w.shape };
          const cpuBackward = (cpu as { maxPoolBackward?: typeof cpu.maxPoolBackward }).maxPoolBackward;
          if (cpuBackward) {
            cpuOnce = () => cpuBackward({ data: gradOutput, shape: pooledShape }, reference.indices, backwardOptions);
          }
          if (backward && cpuBackward) {
            record = () => [backward(gradTensor, pooled.indices, backwardOptions)];
            const expected = cpuBackward({ data: gradOutput, shape: pooledShape }, reference.indices, backwardOptions);
            check = async () => {
              const out = backward(gradTensor, pooled.indices, backwardOptions);
              try {
                return firstToleranceDifference(await out.read(), expected.data, 'gradInput');
              } finally {
                out.destroy();
              }
            };
          } else {
            result.argpool = { na: backward ? 'no cpu.maxPoolBackward to check against' : 'not available (ap.maxPoolBackward is not in this build)' };
          }
        }

        if (record) {
          log(`${label}: argpool GPU (${ctx.gpuPlan.warmup} warm-up + ${ctx.gpuPlan.reps} reps, timestamps and submit-to-done)`);
          const difference = await check();
          result.check = difference ? { ok: false, detail: difference } : { ok: true, detail: op === 'grad' ? 'within tolerance' : 'bit-exact' };
          if (difference) {
            const line = `${w.id} ${w.title} ${op}: GPU output differs from the CPU reference: ${difference}`;
            ctx.failures.push(line);
            log(`MISMATCH ${line}`);
          }
          result.argpool = await timeArgpool(ap, ctx.gpuPlan, record, result.bytesWritten);
        }
        if (windowRun) {
          log(`${label}: argpool GPU from 'window' indices`);
          result.windowIndices = await windowRun();
          const windowCheck = result.windowIndices;
          if ('check' in windowCheck && !windowCheck.check.ok) {
            const line = `${w.id} ${w.title} unpool from window indices: GPU output differs from the CPU reference: ${windowCheck.check.detail}`;
            ctx.failures.push(line);
            log(`MISMATCH ${line}`);
          }
        }
        if (cpuOnce) {
          const once = cpuOnce;
          log(`${label}: CPU reference`);
          result.cpuReference = await repeatAdaptive(ctx.cpuPlan, 'wall (performance.now)', async () => {
            const start = performance.now();
            once();
            const ms = performance.now() - start;
            await yieldToBrowser();
            return ms;
          });
        } else {
          result.cpuReference = { na: 'no cpu.maxPoolBackward' };
        }

        // TensorFlow.js.
        if ('na' in w.tfjs) {
          result.tfjsWebgpu = { na: w.tfjs.na };
          result.tfjsCpu = { na: w.tfjs.na };
        } else {
          const tfOp = tfjsOp(w.tfjs, op, input);
          log(`${label}: tfjs webgpu`);
          try {
            result.tfjsWebgpu = await timeTfjsWebgpu(tfOp, ctx.gpuPlan, result.bytesWritten);
          } catch (e) {
            result.tfjsWebgpu = { na: `failed: ${errorText(e)}` };
          }
          log(`${label}: tfjs cpu`);
          try {
            result.tfjsCpu = await timeTfjsCpu(tfOp, ctx.cpuPlan);
          } catch (e) {
            result.tfjsCpu = { na: `failed: ${errorText(e)}` };
          }
        }
        log(`${label}: ${summaryLine(result)}`);
      } catch (e) {
        result.error = errorText(e);
        ctx.failures.push(`${w.id} ${w.title} ${op}: ${result.error}`);
        log(`ERROR ${label}: ${result.error}`);
      }
    }
  } finally {
    x.destroy();
    pooled.values.destroy();
    pooled.indices.destroy();
    gradTensor.destroy();
    await ap.sync();
  }
  return results;
}

/** float16 sums (the gradient): within a float16 rounding of the reference, since float32 sums may be added in another order. */
function firstHalfDifference(gpu: Uint16Array, reference: Uint16Array, what: string, sums: boolean): string | null {
  if (gpu.length !== reference.length) return `${what}: GPU gave ${gpu.length} elements, the CPU reference ${reference.length}`;
  for (let i = 0; i < gpu.length; i++) {
    if (gpu[i] === reference[i]) continue;
    const a = cpu.float16BitsToNumber(gpu[i]);
    const e = cpu.float16BitsToNumber(reference[i]);
    if (sums && Math.abs(a - e) <= 2 ** -24 + 2 ** -10 * Math.abs(e)) continue;
    return `${what}[${i}]: GPU 0x${gpu[i].toString(16)} (${a}), CPU reference 0x${reference[i].toString(16)} (${e})${countRest(gpu, reference, i, (x, y) => x !== y)}`;
  }
  return null;
}

/**
 * The workload's operations on float16 tensors: the same input and output gradient as the float32
 * rows, rounded to float16. Timed as the float32 rows (timestamps, submit-to-done) with the copy kernel
 * of the float16 traffic as the floor; checked against the CPU reference on the float16 bits (pooling
 * and unpooling bit for bit, the gradient within a float16 rounding).
 */
async function runFloat16(ctx: Context, w: Workload, seed: number): Promise<Float16Result[]> {
  const { ap } = ctx;
  const ops = OPS.filter((op) => ctx.wanted(w, op, 'float16'));
  if (ops.length === 0) return [];
  log(`[${w.id}] float16: generating data`);
  const x = ap.tensor(randomFloats(product(w.shape), seed), w.shape, 'float16');
  const bits = await x.readFloat16Bits();
  const reference = cpu.maxPool({ data: bits, shape: w.shape }, w.pool);
  const pooledShape = reference.values.shape;
  const pooled = ap.maxPool(x, w.pool);
  const grad = ap.tensor(randomFloats(product(pooledShape), seed + 1), pooledShape, 'float16');
  const gradBits = await grad.readFloat16Bits();
  const spatial = w.layout === 'NHWC' ? w.shape.slice(1, -1) : w.shape.slice(2);
  const unpoolOptions = { ...w.pool, outputSize: spatial };
  const backwardOptions = { ...w.pool, inputShape: w.shape };
  const valuesBytes = pooled.values.byteLength;
  const indexBytes = pooled.indices.byteLength;
  const results: Float16Result[] = [];
  try {
    for (const op of ops) {
      const result: Float16Result = {
        workload: w.id,
        title: w.title,
        op,
        layout: w.layout,
        bytesRead: op === 'pool' ? x.byteLength : valuesBytes + indexBytes,
        bytesWritten: op === 'pool' ? valuesBytes + indexBytes : x.byteLength,
        argpool: { na: 'not run' },
        limit: null,
        check: null,
      };
      results.push(result);
      const label = `[${w.id}] float16 ${op}`;
      try {
        log(`${label}: copy limit for ${((result.bytesRead + result.bytesWritten) / 2 ** 20).toFixed(1)} MiB of traffic`);
        result.limit = await ctx.copy.measure(result.bytesRead + result.bytesWritten, ctx.copyPlan);
        const record: () => Tensor[] =
          op === 'pool'
            ? () => {
                const r = ap.maxPool(x, w.pool);
                return [r.values, r.indices];
              }
            : op === 'unpool'
              ? () => [ap.maxUnpool(pooled.values, pooled.indices, unpoolOptions)]
              : () => [ap.maxPoolBackward(grad, pooled.indices, backwardOptions)];
        let difference: string | null;
        if (op === 'pool') {
          difference =
            firstHalfDifference(await pooled.values.readFloat16Bits(), reference.values.data as Uint16Array, 'values', false) ??
            firstBitDifference(await pooled.indices.read(), reference.indices.data, 'indices');
        } else {
          const expected =
            op === 'unpool'
              ? cpu.maxUnpool(reference.values, reference.indices, unpoolOptions)
              : cpu.maxPoolBackward({ data: gradBits, shape: pooledShape }, reference.indices, backwardOptions);
          const [out] = record();
          difference = firstHalfDifference(await (out as Tensor<'float16'>).readFloat16Bits(), expected.data as Uint16Array, 'output', op === 'grad');
          out.destroy();
        }
        result.check = difference ? { ok: false, detail: difference } : { ok: true, detail: op === 'grad' ? 'within tolerance' : 'bit-exact' };
        if (difference) {
          const line = `${w.id} ${w.title} float16 ${op}: GPU output differs from the CPU reference: ${difference}`;
          ctx.failures.push(line);
          log(`MISMATCH ${line}`);
        }
        log(`${label}: argpool GPU (${ctx.gpuPlan.warmup} warm-up + ${ctx.gpuPlan.reps} reps)`);
        result.argpool = await timeArgpool(ap, ctx.gpuPlan, record, result.bytesWritten);
        const ms = (t: Timing | null | undefined) => (t ? `${t.medianMs.toFixed(2)} ms` : 'n/a');
        log(`${label}: argpool ts ${ms(result.argpool.timestamp)}, copy kernel ts ${ms(result.limit.copyKernelTimestamp)}`);
      } catch (e) {
        result.error = errorText(e);
        ctx.failures.push(`${w.id} ${w.title} float16 ${op}: ${result.error}`);
        log(`ERROR ${label}: ${result.error}`);
      }
    }
  } finally {
    for (const t of [x, pooled.values, pooled.indices, grad]) t.destroy();
    await ap.sync();
  }
  return results;
}

function summaryLine(r: OpResult): string {
  const ms = (t: Timing | null | undefined) => (t ? `${t.medianMs.toFixed(2)} ms` : 'n/a');
  const parts: string[] = [];
  if ('na' in r.argpool) parts.push(`argpool ${r.argpool.na}`);
  else parts.push(`argpool ts ${ms(r.argpool.timestamp)}, s→d ${ms(r.argpool.submit)}`);
  parts.push(`copy s→d ${ms(r.limit?.copySubmit)}`);
  if (!('na' in r.tfjsWebgpu)) parts.push(`tfjs-webgpu ts ${ms(r.tfjsWebgpu.timestamp)}`);
  if (!('na' in r.cpuReference)) parts.push(`cpu ref ${ms(r.cpuReference)}`);
  return parts.join('; ');
}

// ---------------------------------------------------------------------------------------------
// Encoder-decoder chain: three poolings then three unpoolings in one submission
// ---------------------------------------------------------------------------------------------

async function runChain(ctx: Context, quick: boolean): Promise<ChainResult> {
  const { ap } = ctx;
  const shape = quick ? [1, 16, 128, 128] : [1, 64, 256, 256];
  const levels = 3;
  const options = { kernelSize: 2, stride: 2 };
  const title = `${shape.join('x')}, ${levels} x maxPool 2x2/2 then ${levels} x maxUnpool`;
  log(`[chain] ${title}`);
  const input = randomFloats(product(shape), 7);
  const x = ap.tensor(input, shape);

  const record = (): { output: Tensor<'float32'>; temporaries: Tensor[] } => {
    const temporaries: Tensor[] = [];
    const stack: { indices: Tensor; spatial: number[] }[] = [];
    let current: Tensor = x;
    for (let level = 0; level < levels; level++) {
      const spatial = current.shape.slice(2);
      const { values, indices } = ap.maxPool(current, options);
      temporaries.push(values, indices);
      stack.push({ indices, spatial });
      current = values;
    }
    // `current` starts as the deepest pooled values; each unpooling feeds the next one up.
    for (let level = levels - 1; level >= 0; level--) {
      const { indices, spatial } = stack[level];
      current = ap.maxUnpool(current, indices, { ...options, outputSize: spatial });
      if (level > 0) temporaries.push(current);
    }
    return { output: current as Tensor<'float32'>, temporaries };
  };

  // CPU reference of the same chain.
  let reference = { data: input as Float32Array, shape };
  const cpuStack: { indices: { data: Int32Array; shape: number[] }; spatial: number[] }[] = [];
  for (let level = 0; level < levels; level++) {
    const r = cpu.maxPool(reference, options);
    cpuStack.push({ indices: r.indices, spatial: reference.shape.slice(2) });
    reference = r.values;
  }
  for (let level = levels - 1; level >= 0; level--) {
    reference = cpu.maxUnpool(reference, cpuStack[level].indices, { ...options, outputSize: cpuStack[level].spatial });
  }

  try {
    // First run: compiles pipelines and fills the buffer pool; its output is checked.
    const first = record();
    const difference = firstBitDifference(await first.output.read(), reference.data, 'chain output');
    first.output.destroy();
    for (const t of first.temporaries) t.destroy();
    if (difference) ctx.failures.push(`chain ${title}: GPU output differs from the CPU reference: ${difference}`);

    const buffersCreated = { plain: [] as number[], measured: [] as number[] };
    const counted = async <T>(kind: 'plain' | 'measured', fn: () => Promise<T>): Promise<T> => {
      const before = ap.buffersCreated;
      const value = await fn();
      buffersCreated[kind].push(ap.buffersCreated - before);
      return value;
    };
    const plan = ctx.gpuPlan;
    let method = '';
    const methods = ['submit-to-done', 'timestamp-query (sum of 6 passes)', 'record + submit + done (one ap.sync)'];
    const [submit, timestamp, endToEnd] = await repeatInterleaved(plan, methods, [
      () => counted('plain', async () => {
        await ap.sync();
        const r = record();
        const start = performance.now();
        await ap.sync();
        const ms = performance.now() - start;
        r.output.destroy();
        for (const t of r.temporaries) t.destroy();
        return ms;
      }),
      () => counted('measured', async () => {
        const m = await ap.measure(record);
        method = m.method;
        m.result.output.destroy();
        for (const t of m.result.temporaries) t.destroy();
        return m.gpuMs;
      }),
      () => counted('plain', async () => {
        await ap.sync();
        const start = performance.now();
        const r = record();
        await ap.sync();
        const ms = performance.now() - start;
        r.output.destroy();
        for (const t of r.temporaries) t.destroy();
        return ms;
      }),
    ]);
    const result: ChainResult = {
      title,
      levels,
      timestamp: method === 'timestamp-query' ? timestamp : null,
      submit,
      endToEnd,
      buffersCreated,
      check: difference ? { ok: false, detail: difference } : { ok: true, detail: 'bit-exact' },
    };
    log(
      `[chain] submit-to-done ${submit.medianMs.toFixed(2)} ms, timestamps ${timestamp.medianMs.toFixed(2)} ms, ` +
        `buffers created after the first run: plain runs ${sum(buffersCreated.plain)}, runs inside ap.measure ${sum(buffersCreated.measured)}`,
    );
    return result;
  } finally {
    x.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

async function runBench(config: BenchConfig): Promise<BenchResults> {
  const started = performance.now();
  if (!navigator.gpu) throw new Error('bench: this page has no navigator.gpu (WebGPU is off or the page is not a secure context)');
  // Keep the adapter argpool's device comes from, so the report names exactly that one.
  let adapter: GPUAdapter | null = null;
  const gpu = {
    requestAdapter: async (options?: GPURequestAdapterOptions) => (adapter = await navigator.gpu.requestAdapter(options)),
    getPreferredCanvasFormat: () => navigator.gpu.getPreferredCanvasFormat(),
    wgslLanguageFeatures: navigator.gpu.wgslLanguageFeatures,
  } as unknown as GPU;
  const ap = await ArgPool.create({ gpu });
  const info = (adapter as GPUAdapter | null)?.info;
  if (!info) throw new Error('bench: no adapter info');
  void ap.device.lost.then((lost) => {
    if (lost.reason !== 'destroyed') log(`DEVICE LOST (${lost.reason}): ${lost.message}`);
  });

  const only = config.only?.toLowerCase() ?? null;
  const wanted = (w: Workload, op: OpKind | 'chain', dtype?: 'float16'): boolean =>
    !only || `${w.id} ${w.title} ${w.layout} ${op}${dtype ? ` ${dtype}` : ''}`.toLowerCase().includes(only);
  const ctx: Context = {
    ap,
    copy: new CopyLimit(ap.device),
    config,
    gpuPlan: config.quick ? { warmup: 1, reps: 3 } : { warmup: 2, reps: 10 },
    copyPlan: config.quick ? { warmup: 2, reps: 5 } : { warmup: 8, reps: 20 },
    cpuPlan: config.quick ? { warmup: 0, min: 1, max: 2, budgetMs: 500 } : { warmup: 1, min: 3, max: 10, budgetMs: 3000 },
    wanted,
    failures: [],
  };

  await tf.setBackend('webgpu');
  await tf.ready();
  const tfDevice = (tf.backend() as WebGPUBackend).device as GPUDevice & { adapterInfo?: GPUAdapterInfo };
  const tfInfo = tfDevice.adapterInfo;

  const results: BenchResults = {
    date: new Date().toISOString(),
    quick: config.quick,
    only: config.only,
    userAgent: navigator.userAgent,
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? null,
      features: [...(adapter as unknown as GPUAdapter).features].sort(),
    },
    tfjsAdapter: tfInfo ? { vendor: tfInfo.vendor, architecture: tfInfo.architecture, description: tfInfo.description } : null,
    timestampQuery: ap.device.features.has('timestamp-query'),
    reps: {
      gpu: ctx.gpuPlan.reps,
      gpuWarmup: ctx.gpuPlan.warmup,
      copy: ctx.copyPlan.reps,
      copyWarmup: ctx.copyPlan.warmup,
      cpuMin: ctx.cpuPlan.min,
      cpuMax: ctx.cpuPlan.max,
      cpuBudgetMs: ctx.cpuPlan.budgetMs,
    },
    gradientAvailable: backwardOf(ap) !== null,
    gradientTolerance: GRADIENT_TOLERANCE,
    ops: [],
    float16: [],
    chain: null,
    failures: ctx.failures,
    totalMs: 0,
  };
  log(
    `adapter: ${info.vendor} / ${info.architecture} / ${info.description || '(no description)'}; ` +
      `timestamp-query: ${results.timestampQuery}; ap.maxPoolBackward: ${results.gradientAvailable ? 'yes' : 'not available'}`,
  );

  const list = workloads(config.quick);
  for (let i = 0; i < list.length; i++) {
    results.ops.push(...(await runWorkload(ctx, list[i], 1000 + i)));
    results.float16.push(...(await runFloat16(ctx, list[i], 1000 + i)));
  }
  const chainWanted = !only || 'chain encoder-decoder'.includes(only);
  if (chainWanted) {
    try {
      results.chain = await runChain(ctx, config.quick);
    } catch (e) {
      ctx.failures.push(`chain: ${errorText(e)}`);
      log(`ERROR [chain]: ${errorText(e)}`);
    }
  }
  ap.destroy();
  results.totalMs = performance.now() - started;
  window.__benchResults = results;
  return results;
}

window.__runBench = runBench;
window.__benchReady = true;
