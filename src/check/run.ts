/**
 * Runs the conformance plan (src/check/plan.ts) on a WebGPU adapter: every case on the GPU and on the
 * CPU reference (`cpu`, written from the rules, never from the WGSL), every output compared, then
 * the speed table (src/check/speed.ts). Used by `npx argpool check` (bin/argpool.js) in Node and by
 * the demo's "Check this GPU" view in the browser, so both run the same plan and write the same report.
 */
import { ArgPool, cpu, type PoolOptions, type Tensor, type UnpoolOptions } from '../index.js';
import { compareBits, compareClose, compareHalfBits, compareInts, COMPARISON_RULES, magnitude, type Comparison } from './compare.js';
import { conformancePlan, largestTensorBytes, type CheckCase, type ContextName } from './plan.js';
import { runSpeed, type SpeedReport } from './speed.js';
import { makeHalfValues, makeValues, type ValueKind } from './values.js';

export type ProfileName = 'emulated' | 'gpu';

export interface CheckOptions {
  /** Where the adapter comes from: `navigator.gpu` in a browser, the `webgpu` package's `create([...])` in Node. */
  gpu: GPU;
  powerPreference?: GPUPowerPreference;
  /** The launch profile of the primary context (default: the one argpool picks for this adapter). */
  profile?: ProfileName;
  /** Leave out the tensors over 128 MiB and half of the random configurations; a shorter speed table. */
  quick?: boolean;
  /** Run only the cases whose id contains this text (to rerun a failing case). */
  only?: string;
  /** Skip the speed table. */
  skipSpeed?: boolean;
  /**
   * Corrupts the expected result of the check with this number (1-based, in plan order), so that a
   * report with a failure can be seen and the failure path tested. Never set in a real check.
   */
  injectMismatch?: number;
  /** What runs the check, for the report (the Node version, the browser's user agent). */
  environment?: string;
  /** argpool's version, for the report. */
  version?: string;
  onProgress?: (progress: CheckProgress) => void;
}

export interface CheckProgress {
  phase: 'conformance' | 'speed';
  /** Case runs (a case on one context) finished, and how many there are; for the speed phase, rows. */
  done: number;
  total: number;
  label: string;
  passed: number;
  failed: number;
}

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean | null;
  features: string[];
  /** The adapter's limits that decide what argpool can run. */
  limits: Record<string, number>;
  /** The same limits on the device argpool created (it raises the buffer limits to the adapter's). */
  deviceLimits: Record<string, number>;
  /** The launch profile argpool picks for this adapter, and the one the primary context used. */
  autoProfile: ProfileName;
  primaryProfile: ProfileName;
}

export interface CheckResult {
  /** `case context output`, unique. */
  id: string;
  case: string;
  context: ContextName;
  output: string;
  comparison: Comparison | 'refusal' | 'fault' | 'error scope';
  ok: boolean;
  detail?: string;
}

export interface Failure extends CheckResult {
  /** The case, complete, so that it can be rerun. */
  definition: CheckCase;
}

export interface ConformanceReport {
  passed: number;
  total: number;
  failures: Failure[];
  skipped: { case: string; reason: string }[];
  cases: number;
  contexts: Record<ContextName, string>;
  /** How the primary context stores float16: natively where the adapter has 'shader-f16', else packed (the 'float16-packed' context then does not run). */
  float16Storage: 'float16-native' | 'float16-packed';
  rules: Record<string, string>;
  durationMs: number;
  /** Milliseconds per case run (a case on one context), GPU and reference together. */
  runs: { case: string; context: ContextName; ms: number }[];
  checks: CheckResult[];
}

export interface CheckReport {
  tool: 'argpool check';
  version: string;
  date: string;
  environment: string;
  options: { quick: boolean; profile: ProfileName | 'auto'; powerPreference: GPUPowerPreference | 'default'; only?: string; injectMismatch?: number };
  ok: boolean;
  adapter: AdapterReport;
  conformance: ConformanceReport;
  speed: SpeedReport | null;
}

/** Thrown when the GPU object finds no adapter; `argpool check` turns it into what to install. */
export class NoAdapterError extends Error {
  readonly code = 'no-adapter';
  constructor() {
    super('argpool check: requestAdapter() found no WebGPU adapter');
  }
}

const LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupStorageSize',
  'maxUniformBufferBindingSize',
] as const;

function pickLimits(limits: GPUSupportedLimits): Record<string, number> {
  return Object.fromEntries(LIMITS.map((name) => [name, Number(limits[name])]));
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The spatial sizes of a shape. */
function spatialOf(shape: readonly number[], layout: PoolOptions['layout']): number[] {
  return layout === 'NHWC' ? shape.slice(1, -1) : shape.slice(2);
}

/**
 * Unpooling takes explicit padding: 'same' becomes the amounts the pooling used (SAME_UPPER: the
 * total a dimension needs, the larger half at the end).
 */
function explicitPadding(c: CheckCase): UnpoolOptions['padding'] {
  const p = c.pool.padding;
  if (p !== 'same') return p;
  const spatial = spatialOf(c.shape, c.pool.layout);
  const perDim = (v: PoolOptions['kernelSize'] | undefined, fallback: number) => spatial.map((_, i) => (v === undefined ? fallback : typeof v === 'number' ? v : v[i]));
  const kernel = perDim(c.pool.kernelSize, 1);
  const stride = c.pool.stride === undefined ? kernel : perDim(c.pool.stride, 1);
  const dilation = perDim(c.pool.dilation, 1);
  const begin: number[] = [];
  const end: number[] = [];
  spatial.forEach((n, i) => {
    const out = Math.ceil(n / stride[i]);
    const total = Math.max(0, (out - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - n);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  });
  return [...begin, ...end];
}

/** Collects the checks of a run, numbering them, and corrupts the expectation of the one to inject. */
class Recorder {
  readonly checks: CheckResult[] = [];
  readonly failures: Failure[] = [];

  constructor(private readonly inject: number | undefined) {}

  get passed(): number {
    return this.checks.length - this.failures.length;
  }

  /** Whether the next check is the one whose expectation is corrupted. */
  private injectingNext(): boolean {
    return this.inject === this.checks.length + 1;
  }

  add(c: CheckCase, context: ContextName, output: string, comparison: CheckResult['comparison'], detail: string | null): void {
    const result: CheckResult = { id: `${c.id} ${context} ${output}`, case: c.id, context, output, comparison, ok: detail === null };
    if (detail !== null) {
      result.detail = detail;
      this.failures.push({ ...result, definition: c });
    }
    this.checks.push(result);
  }

  /** Compares an output; the injected mismatch flips the lowest bit of the first expected element. */
  compare(
    c: CheckCase,
    context: ContextName,
    output: string,
    comparison: Comparison,
    actual: Float32Array | Int32Array | Uint8Array | Uint16Array,
    expected: Float32Array | Int32Array | Uint8Array | Uint16Array,
    scale = 1,
  ): void {
    if (this.injectingNext() && expected.length > 0) {
      expected = expected.slice();
      if (expected instanceof Float32Array) new Uint32Array(expected.buffer)[0] ^= 1;
      else expected[0] ^= 1;
    }
    const detail =
      comparison === 'ints'
        ? compareInts(actual as Int32Array, expected as Int32Array)
        : comparison === 'close'
          ? compareClose(actual as Float32Array, expected as Float32Array, scale)
          : comparison === 'half-bits' || comparison === 'half-sum-bits'
            ? compareHalfBits(actual as Uint16Array, expected as Uint16Array, { anyNaN: comparison === 'half-sum-bits' })
            : compareBits(actual as Float32Array, expected as Float32Array, { anyNaN: comparison === 'sum-bits' });
    this.add(c, context, output, comparison, detail);
  }

  /** A check whose expectation is a message: that the GPU path refuses, or reports a fault, in the reference's words. */
  expectMessage(c: CheckCase, context: ContextName, output: string, kind: 'refusal' | 'fault', expected: string, got: string | null): void {
    if (this.injectingNext()) expected = `${expected} (corrupted)`;
    const detail = got === null ? `the GPU path gave a result; the reference ${kind === 'refusal' ? 'refuses' : 'reports'}: ${expected}` : got.includes(expected) ? null : `the GPU path said: ${got}; the reference: ${expected}`;
    this.add(c, context, output, kind, detail);
  }
}

/** Runs one case on one context: pooling, unpooling and both gradients against the CPU reference. */
async function runCase(ap: ArgPool, c: CheckCase, context: ContextName, record: Recorder): Promise<void> {
  // float16 cases: float16 bits on both sides, float tensors stored as float16, results read as bits.
  const half = c.dtype === 'float16';
  const makeData = (kind: ValueKind, length: number, seed: number) => (half ? makeHalfValues(kind, length, seed) : makeValues(kind, length, seed));
  const upload = (bits: Float32Array | Uint16Array, shape: number[]) => (half ? ap.tensor(bits as Uint16Array, shape, 'float16') : ap.tensor(bits as Float32Array, shape));
  const read = (t: Tensor): Promise<Float32Array | Uint16Array> => (half ? (t as Tensor<'float16'>).readFloat16Bits() : (t as Tensor<'float32'>).read());
  const bits: Comparison = half ? 'half-bits' : 'bits';
  const data = makeData(c.kind, size(c.shape), c.seed);
  const made: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => {
    made.push(t);
    return t;
  };
  try {
    let expected;
    try {
      expected = cpu.maxPool({ data, shape: c.shape }, c.pool);
    } catch (error) {
      const x = keep(upload(data, c.shape));
      let got: string | null = null;
      try {
        keep(ap.maxPool(x, c.pool).values);
      } catch (gpuError) {
        got = message(gpuError);
      }
      record.expectMessage(c, context, 'refused', 'refusal', message(error), got);
      return;
    }
    const x = keep(upload(data, c.shape));
    const { values, indices } = ap.maxPool(x, c.pool);
    keep(values);
    keep(indices);
    record.compare(c, context, 'values', bits, await read(values), expected.values.data);
    record.compare(c, context, 'indices', 'ints', await indices.read(), expected.indices.data);

    // Unpooling back to the input's size where the options allow it (the sizes PyTorch accepts).
    const base: UnpoolOptions = { kernelSize: c.pool.kernelSize, layout: c.pool.layout, indexFormat: c.pool.indexFormat };
    if (c.pool.stride !== undefined) base.stride = c.pool.stride;
    if (c.pool.dilation !== undefined) base.dilation = c.pool.dilation;
    const padding = explicitPadding(c);
    if (padding !== undefined) base.padding = padding;
    if (c.fill) base.fill = c.fill;
    let unpool: UnpoolOptions = { ...base, outputSize: spatialOf(c.shape, c.pool.layout) };
    try {
      cpu.maxUnpool(expected.values, expected.indices, unpool);
    } catch (error) {
      if (/outputSize/.test(message(error))) unpool = base;
    }
    let expectedUnpooled;
    let refusal = '';
    try {
      expectedUnpooled = cpu.maxUnpool(expected.values, expected.indices, unpool);
    } catch (error) {
      refusal = message(error);
    }
    if (refusal && !/invalid (max |window )?index/.test(refusal)) {
      let got: string | null = null;
      try {
        keep(ap.maxUnpool(values, indices, unpool));
      } catch (error) {
        got = message(error);
      }
      record.expectMessage(c, context, 'maxUnpool refused', 'refusal', refusal, got);
    } else if (refusal) {
      // An index outside the default output size: the reference throws, the GPU result's read rejects.
      const unpooled = keep(ap.maxUnpool(values, indices, unpool));
      let got: string | null = null;
      try {
        await unpooled.read();
      } catch (error) {
        got = message(error);
      }
      record.expectMessage(c, context, 'maxUnpool fault', 'fault', refusal, got);
    } else if (expectedUnpooled) {
      const unpooled = keep(ap.maxUnpool(values, indices, unpool));
      const bilinear = unpool.fill === 'bilinear';
      record.compare(c, context, `maxUnpool (fill ${unpool.fill ?? 'zero'})`, bilinear ? 'close' : bits, await read(unpooled), expectedUnpooled.data, bilinear ? magnitude(data as Float32Array) : 1);
      // The gradient of unpooling (a gather; fills other than zero have none).
      const gradient: UnpoolOptions = { ...unpool };
      delete gradient.fill;
      const gradData = makeData(c.kind, expectedUnpooled.data.length, c.seed + 2);
      const expectedGrad = cpu.maxUnpoolBackward({ data: gradData, shape: expectedUnpooled.shape }, expected.indices, gradient);
      const grad = keep(ap.maxUnpoolBackward(keep(upload(gradData, expectedUnpooled.shape)), indices, gradient));
      record.compare(c, context, 'maxUnpoolBackward', bits, await read(grad), expectedGrad.data);
    }

    // The gradient of pooling: sums where overlapping windows chose one element, in a fixed order.
    const gradOutput = makeData(c.kind === 'all-neg-inf' ? 'random' : c.kind, expected.values.data.length, c.seed + 1);
    const backward = { ...c.pool, inputShape: c.shape };
    const expectedGradInput = cpu.maxPoolBackward({ data: gradOutput, shape: expected.values.shape }, expected.indices, backward);
    const gradInput = keep(ap.maxPoolBackward(keep(upload(gradOutput, expected.values.shape)), indices, backward));
    record.compare(c, context, 'maxPoolBackward', half ? 'half-sum-bits' : 'sum-bits', await read(gradInput), expectedGradInput.data);
  } finally {
    for (const t of made) t.destroy();
  }
}

/** Adapter facts for the report, from a separate request with the same preference. */
async function describeAdapter(gpu: GPU, powerPreference: GPUPowerPreference | undefined): Promise<Omit<AdapterReport, 'deviceLimits' | 'autoProfile' | 'primaryProfile'>> {
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) throw new NoAdapterError();
  const info = (adapter.info ?? {}) as Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean };
  const fallback = info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: typeof fallback === 'boolean' ? fallback : null,
    features: [...adapter.features].map(String).sort(),
    limits: pickLimits(adapter.limits),
  };
}

/** Runs the conformance plan and the speed table; never throws for a mismatch (the report holds it). */
export async function runCheck(options: CheckOptions): Promise<CheckReport> {
  const quick = options.quick ?? false;
  const adapterFacts = await describeAdapter(options.gpu, options.powerPreference);
  const primary = await ArgPool.create({ gpu: options.gpu, powerPreference: options.powerPreference, launchProfile: options.profile ?? 'auto' });
  const contexts: ArgPool[] = [primary];
  try {
    const device = primary.device;
    const auto = await ArgPool.create({ device, launchProfile: 'auto' });
    contexts.push(auto);
    const primaryProfile = primary.launchProfile.name;
    const otherProfile: ProfileName = primaryProfile === 'gpu' ? 'emulated' : 'gpu';
    const byName: Record<ContextName, ArgPool> = {
      primary,
      'other-profile': await ArgPool.create({ device, launchProfile: otherProfile }),
      general: await ArgPool.create({ device, launchProfile: primaryProfile, specialisedKernels: false }),
      'float16-packed': await ArgPool.create({ device, launchProfile: primaryProfile, float16Storage: 'packed' }),
    };
    contexts.push(byName['other-profile'], byName.general, byName['float16-packed']);
    // Where the primary context stores float16 packed already (no 'shader-f16'), the packed context would repeat it.
    const nativeFloat16 = primary.float16Storage === 'float16-native';
    const adapter: AdapterReport = { ...adapterFacts, deviceLimits: pickLimits(device.limits), autoProfile: auto.launchProfile.name, primaryProfile };

    const plan = conformancePlan({ quick }).filter((c) => options.only === undefined || c.id.includes(options.only));
    const record = new Recorder(options.injectMismatch);
    const skipped: ConformanceReport['skipped'] = [];
    const bindingLimit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    const runs = plan.flatMap((c) => c.contexts.filter((context) => context !== 'float16-packed' || nativeFloat16).map((context) => ({ c, context })));
    const started = performance.now();
    let done = 0;
    const runTimes: ConformanceReport['runs'] = [];
    for (const { c, context } of runs) {
      const runStarted = performance.now();
      options.onProgress?.({ phase: 'conformance', done, total: runs.length, label: `${c.id} (${context})`, passed: record.passed, failed: record.failures.length });
      if (largestTensorBytes(c) > bindingLimit) {
        skipped.push({ case: `${c.id} ${context}`, reason: `needs a ${largestTensorBytes(c)}-byte binding; this device allows ${bindingLimit}` });
      } else {
        const ap = byName[context];
        device.pushErrorScope('out-of-memory');
        device.pushErrorScope('validation');
        try {
          await runCase(ap, c, context, record);
        } catch (error) {
          record.add(c, context, 'run', 'error scope', `threw: ${message(error)}`);
        }
        const validation = await device.popErrorScope();
        const outOfMemory = await device.popErrorScope();
        for (const error of [validation, outOfMemory]) {
          if (error) record.add(c, context, 'GPU errors', 'error scope', `${error.constructor?.name ?? 'GPUError'}: ${error.message}`);
        }
        if (primary.lost) {
          record.add(c, context, 'device', 'error scope', `the device was lost: ${primary.lost.reason} ${primary.lost.message}`);
          break;
        }
        runTimes.push({ case: c.id, context, ms: Math.round(performance.now() - runStarted) });
      }
      done++;
    }
    const conformance: ConformanceReport = {
      passed: record.passed,
      total: record.checks.length,
      failures: record.failures,
      skipped,
      cases: plan.length,
      float16Storage: primary.float16Storage,
      contexts: {
        primary: `launch profile '${primaryProfile}', specialised kernels`,
        'other-profile': `launch profile '${otherProfile}', specialised kernels`,
        general: `launch profile '${primaryProfile}', specialisedKernels: false`,
        'float16-packed': nativeFloat16
          ? `launch profile '${primaryProfile}', float16 stored packed (primary stores it natively: shader-f16)`
          : `not run: the primary context stores float16 packed already (the adapter has no shader-f16)`,
      },
      rules: { ...COMPARISON_RULES, refusal: 'the GPU path refuses before any GPU work, in the reference’s words', fault: 'the GPU result’s read rejects with the reference’s message' },
      durationMs: performance.now() - started,
      runs: runTimes,
      checks: record.checks,
    };
    options.onProgress?.({ phase: 'conformance', done, total: runs.length, label: 'conformance done', passed: record.passed, failed: record.failures.length });

    let speed: SpeedReport | null = null;
    if (!options.skipSpeed && !primary.lost) {
      let row = 0;
      speed = await runSpeed(primary, {
        quick,
        onProgress: (label) => options.onProgress?.({ phase: 'speed', done: row++, total: 7, label, passed: record.passed, failed: record.failures.length }),
      });
    }
    return {
      tool: 'argpool check',
      version: options.version ?? '',
      date: new Date().toISOString(),
      environment: options.environment ?? '',
      options: {
        quick,
        profile: options.profile ?? 'auto',
        powerPreference: options.powerPreference ?? 'default',
        ...(options.only !== undefined ? { only: options.only } : {}),
        ...(options.injectMismatch !== undefined ? { injectMismatch: options.injectMismatch } : {}),
      },
      ok: record.failures.length === 0 && conformance.total > 0,
      adapter,
      conformance,
      speed,
    };
  } finally {
    for (const ap of contexts.slice(1)) ap.destroy();
    primary.destroy();
  }
}
