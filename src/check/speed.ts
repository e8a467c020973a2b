/**
 * The speed table of `argpool check`: each kernel's GPU time on one workload against copying the same
 * bytes (a compute copy kernel and `copyBufferToBuffer`), and the host time of recording an operation.
 *
 * GPU times come from `ArgPool.measure`: timestamp queries around the operation's compute passes where
 * the device offers 'timestamp-query', else the wall time from submit to done. The copy kernel is
 * timed the same way. `copyBufferToBuffer` is outside any pass, so it is always timed from submit to
 * done, with several copies in one submit divided by their number (one submit alone would measure
 * the submit's latency on some adapters).
 */
import type { ArgPool, PoolOptions, Tensor } from '../index.js';
import copyWgsl from './copy.wgsl?raw';
import { makeValues } from './values.js';

/** GPUBufferUsage and GPUMapMode flags (Node's `webgpu` package installs no globals). */
const Usage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80, QUERY_RESOLVE: 0x200 } as const;
const MAP_READ = 0x1;

export type TimingMethod = 'timestamp-query' | 'submit-to-done';

export interface SpeedRow {
  kernel: string;
  /** Input shape of the operation. */
  shape: number[];
  options: Record<string, unknown>;
  /** Bytes of the tensors the operation reads and writes. */
  bytes: number;
  /** argpool's GPU time, median of the repetitions. */
  ms: number;
  method: TimingMethod;
  /** The copy kernel moving `bytes` (reading half, writing half), timed by the same method. */
  copyKernelMs: number;
  /** copyBufferToBuffer of bytes / 2, submit to done. */
  copyBufferMs: number;
  /** ms / copyKernelMs. */
  ratioToCopyKernel: number;
  /** ms / copyBufferMs. */
  ratioToCopyBuffer: number;
}

export interface HostTiming {
  /** Microseconds of host time per recorded operation, best round. */
  usPerOperation: number;
  rounds: number[];
  pairs: number;
  shape: number[];
  what: string;
}

export interface SpeedReport {
  workload: number[];
  repetitions: number;
  method: TimingMethod;
  copyBuffersPerSubmit: number;
  rows: SpeedRow[];
  host: HostTiming;
}

export interface SpeedOptions {
  quick?: boolean;
  onProgress?: (label: string) => void;
}

const COPIES_PER_SUBMIT = 4;

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The copy kernel and copyBufferToBuffer on the argpool context's device. */
class CopyFloor {
  private readonly pipeline: GPUComputePipeline;
  private readonly querySet: GPUQuerySet | null;

  constructor(private readonly device: GPUDevice) {
    const module = device.createShaderModule({ label: 'argpool check copy', code: copyWgsl });
    this.pipeline = device.createComputePipeline({ label: 'argpool check copy', layout: 'auto', compute: { module, entryPoint: 'main', constants: { WORKGROUP_SIZE: 64 } } });
    this.querySet = device.features.has('timestamp-query') ? device.createQuerySet({ label: 'argpool check copy timer', type: 'timestamp', count: 2 }) : null;
  }

  /** Median times for copying `copyBytes` (rounded up to 16): kernel (timestamps or submit-to-done) and copyBufferToBuffer. */
  async measure(copyBytes: number, reps: number): Promise<{ kernelMs: number; bufferMs: number }> {
    const { device } = this;
    const bytes = Math.max(16, Math.ceil(copyBytes / 16) * 16);
    const usage = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;
    const src = device.createBuffer({ label: 'argpool check copy src', size: bytes, usage });
    const dst = device.createBuffer({ label: 'argpool check copy dst', size: bytes, usage });
    const params = device.createBuffer({ label: 'argpool check copy params', size: 16, usage: Usage.UNIFORM | Usage.COPY_DST });
    const resolve = device.createBuffer({ label: 'argpool check copy resolve', size: 16, usage: Usage.QUERY_RESOLVE | Usage.COPY_SRC });
    const staging = device.createBuffer({ label: 'argpool check copy staging', size: 16, usage: Usage.MAP_READ | Usage.COPY_DST });
    try {
      const words = bytes / 16;
      const groups = Math.ceil(words / 64);
      const most = device.limits.maxComputeWorkgroupsPerDimension;
      const gx = Math.min(groups, most);
      const gy = Math.ceil(groups / gx);
      device.queue.writeBuffer(params, 0, new Uint32Array([words, gx, gy, 0]));
      const bindGroup = device.createBindGroup({
        label: 'argpool check copy',
        layout: this.pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: params } },
          { binding: 1, resource: { buffer: src } },
          { binding: 2, resource: { buffer: dst } },
        ],
      });
      const kernelOnce = async (): Promise<number> => {
        const encoder = device.createCommandEncoder({ label: 'argpool check copy kernel' });
        const pass = encoder.beginComputePass({
          label: 'argpool check copy kernel',
          timestampWrites: this.querySet ? { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } : undefined,
        });
        pass.setPipeline(this.pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(gx, gy);
        pass.end();
        if (this.querySet) {
          encoder.resolveQuerySet(this.querySet, 0, 2, resolve, 0);
          encoder.copyBufferToBuffer(resolve, 0, staging, 0, 16);
        }
        const start = performance.now();
        device.queue.submit([encoder.finish()]);
        if (!this.querySet) {
          await device.queue.onSubmittedWorkDone();
          return performance.now() - start;
        }
        await staging.mapAsync(MAP_READ);
        const stamps = new BigUint64Array(staging.getMappedRange().slice(0));
        staging.unmap();
        return Number(stamps[1] - stamps[0]) / 1e6;
      };
      const bufferOnce = async (): Promise<number> => {
        const encoder = device.createCommandEncoder({ label: 'argpool check copyBufferToBuffer' });
        for (let i = 0; i < COPIES_PER_SUBMIT; i++) encoder.copyBufferToBuffer(src, 0, dst, 0, bytes);
        const start = performance.now();
        device.queue.submit([encoder.finish()]);
        await device.queue.onSubmittedWorkDone();
        return (performance.now() - start) / COPIES_PER_SUBMIT;
      };
      await kernelOnce();
      await bufferOnce();
      const kernel: number[] = [];
      const buffer: number[] = [];
      for (let i = 0; i < reps; i++) {
        kernel.push(await kernelOnce());
        buffer.push(await bufferOnce());
      }
      return { kernelMs: median(kernel), bufferMs: median(buffer) };
    } finally {
      for (const b of [src, dst, params, resolve, staging]) b.destroy();
    }
  }

  destroy(): void {
    this.querySet?.destroy();
  }
}

interface SpeedKernel {
  kernel: string;
  options: PoolOptions;
  layout?: 'NHWC';
  /** Records the operation from the prepared inputs; returns what it made, to be destroyed. */
  run: (ap: ArgPool, inputs: Inputs) => Tensor[];
  /** Bytes read and written, from the input's and the pooled output's element counts. */
  bytes: (inputCount: number, pooledCount: number) => number;
}

interface Inputs {
  x: Tensor<'float32'>;
  values: Tensor<'float32'>;
  indices: Tensor;
  gradPooled: Tensor<'float32'>;
  gradInput: Tensor<'float32'>;
}

const POOL_2x2 = { kernelSize: 2, stride: 2 };

const SPEED_KERNELS: SpeedKernel[] = [
  {
    kernel: 'maxPool 2x2/2',
    options: POOL_2x2,
    run: (ap, { x }) => Object.values(ap.maxPool(x, POOL_2x2)),
    bytes: (n, m) => 4 * n + 8 * m,
  },
  {
    kernel: 'maxPool 3x3/2 pad 1',
    options: { kernelSize: 3, stride: 2, padding: 1 },
    run: (ap, { x }) => Object.values(ap.maxPool(x, { kernelSize: 3, stride: 2, padding: 1 })),
    bytes: (n, m) => 4 * n + 8 * m,
  },
  {
    kernel: "maxPool 2x2/2 'window' indices",
    options: { ...POOL_2x2, indexFormat: 'window' },
    run: (ap, { x }) => Object.values(ap.maxPool(x, { ...POOL_2x2, indexFormat: 'window' })),
    bytes: (n, m) => 4 * n + 5 * m,
  },
  {
    kernel: 'maxUnpool 2x2/2',
    options: POOL_2x2,
    run: (ap, { values, indices }) => [ap.maxUnpool(values, indices, POOL_2x2)],
    bytes: (n, m) => 8 * m + 4 * n,
  },
  {
    kernel: 'maxPoolBackward 2x2/2',
    options: POOL_2x2,
    run: (ap, { gradPooled, indices, x }) => [ap.maxPoolBackward(gradPooled, indices, { ...POOL_2x2, inputShape: x.shape })],
    bytes: (n, m) => 8 * m + 4 * n,
  },
  {
    kernel: 'maxUnpoolBackward 2x2/2',
    options: POOL_2x2,
    run: (ap, { gradInput, indices }) => [ap.maxUnpoolBackward(gradInput, indices, POOL_2x2)],
    bytes: (n, m) => 4 * n + 8 * m,
  },
];

/** Host µs per recorded operation: 1000 small pool + unpool pairs without reads, tensors destroyed, best of `rounds` after a warm-up round. */
async function hostTiming(ap: ArgPool, rounds: number): Promise<HostTiming> {
  const shape = [1, 4, 16, 16];
  const pairs = 1000;
  const x = ap.tensor(makeValues('random', size(shape), 1), shape);
  const times: number[] = [];
  try {
    // One round first that is not counted: it compiles the pipelines and warms the JIT.
    for (let round = -1; round < rounds; round++) {
      const start = performance.now();
      for (let i = 0; i < pairs; i++) {
        const { values, indices } = ap.maxPool(x, POOL_2x2);
        const y = ap.maxUnpool(values, indices, POOL_2x2);
        values.destroy();
        indices.destroy();
        y.destroy();
      }
      const elapsed = performance.now() - start;
      await ap.sync();
      if (round >= 0) times.push((elapsed * 1000) / (2 * pairs));
    }
  } finally {
    x.destroy();
  }
  return {
    usPerOperation: Math.min(...times),
    rounds: times,
    pairs,
    shape,
    what: `${pairs} maxPool + maxUnpool pairs (2x2/2) on ${shape.join('x')} per round after a warm-up round, recorded without reads, tensors destroyed; host time / ${2 * pairs}`,
  };
}

/** Runs the speed table on `ap`'s device. */
export async function runSpeed(ap: ArgPool, options: SpeedOptions = {}): Promise<SpeedReport> {
  const quick = options.quick ?? false;
  const workload = quick ? [1, 16, 256, 256] : [1, 32, 512, 512];
  const reps = quick ? 5 : 10;
  const floor = new CopyFloor(ap.device);
  const n = size(workload);
  const x = ap.tensor(makeValues('random', n, 7), workload);
  const pooled = ap.maxPool(x, POOL_2x2);
  const m = pooled.values.size;
  const inputs: Inputs = {
    x,
    values: pooled.values,
    indices: pooled.indices,
    gradPooled: ap.tensor(makeValues('random', m, 8), pooled.values.shape),
    gradInput: ap.tensor(makeValues('random', n, 9), workload),
  };
  const rows: SpeedRow[] = [];
  let method: TimingMethod = 'submit-to-done';
  try {
    for (const k of SPEED_KERNELS) {
      options.onProgress?.(k.kernel);
      const times: number[] = [];
      for (let i = 0; i < reps + 1; i++) {
        const measured = await ap.measure(() => k.run(ap, inputs));
        for (const t of measured.result) t.destroy();
        method = measured.method;
        if (i > 0) times.push(measured.gpuMs);
      }
      const bytes = k.bytes(n, m);
      const copy = await floor.measure(bytes / 2, reps);
      const ms = median(times);
      rows.push({
        kernel: k.kernel,
        shape: workload,
        options: { ...k.options },
        bytes,
        ms,
        method,
        copyKernelMs: copy.kernelMs,
        copyBufferMs: copy.bufferMs,
        ratioToCopyKernel: ms / copy.kernelMs,
        ratioToCopyBuffer: ms / copy.bufferMs,
      });
    }
    options.onProgress?.('host time per operation');
    const host = await hostTiming(ap, 5);
    return { workload, repetitions: reps, method, copyBuffersPerSubmit: COPIES_PER_SUBMIT, rows, host };
  } finally {
    for (const t of Object.values(inputs)) t.destroy();
    floor.destroy();
  }
}
