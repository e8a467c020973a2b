/**
 * `InferenceSession` for ONNX models whose pooling needs argmax indices: the graph is split at every
 * MaxPool with an Indices output and every MaxUnpool (plan.ts); ONNX Runtime runs the parts on its
 * WebGPU provider, argpool runs those nodes, and tensors cross as GPU buffers on one GPUDevice.
 *
 * Whose device. ONNX Runtime Web creates its own GPUDevice with its first WebGPU session and
 * destroys it when its last session is released (seen on 1.23.0, 1.30.0 and 1.31.1 in Chromium);
 * an `ort.env.webgpu.device` set before the first session is accepted and ignored (ORT then reports
 * a device of its own). ORT 1.23+ does run on a device passed in the WebGPU provider's options
 * (`{ name: 'webgpu', device }`), and releasing those sessions leaves it alive, but with no session
 * on ORT's own device the parts then fail at run time ("Failed to find allocator for device ...
 * DeviceId:0" on 1.31.1, "Failed to wait for the operation:3" on 1.23.0). So the adapter shares
 * ORT's device and holds it: one keeper session (a one-node Identity model) per ORT module, created
 * by the first adapter session and released when the last adapter session and the last GPU-buffer
 * output it returned are gone. Whatever the application does with its own ORT sessions, the device
 * outlives every adapter session. An application that names a device in its WebGPU provider options
 * gets that device used for argpool too, and then owns its lifetime.
 *
 * Ordering on the shared queue: ORT submits a part's work before its `run` resolves; argpool records
 * into its own encoder, which is flushed before every ORT run and every submit of the adapter's own
 * index conversions. A buffer that a step read is given back (to ORT, argpool or the adapter's
 * scratch pool) only after that flush, so whoever reuses it next writes it in a later submit.
 */
import type * as OrtModule from 'onnxruntime-web';
import { ArgPool, type NanRule, type PoolOptions, type Tensor as ArgTensor, type UnpoolOptions } from '../index.js';
import { flatScatterOptions, resolveMaxPool, resolveMaxUnpool } from './attributes.js';
import { paddedBytes, readBuffer, recordNarrow, recordWiden, ScratchBuffers } from './indices.js';
import { DataType, dataTypeOf, encodeModel, ortTypeName, toNumber, type TensorProto } from './onnx.js';
import { partModel, planModel, runPlan, type MaxPoolStep, type MaxUnpoolStep, type OrtStep, type Plan, type RunOrtStep, type RunPlan } from './plan.js';

/** The application's `onnxruntime-web` module (`import * as ort from 'onnxruntime-web/webgpu'`). */
export type Ort = typeof OrtModule;
/** A tensor of that module. */
export type OrtTensor = OrtModule.Tensor;
type OrtSession = OrtModule.InferenceSession;
type Location = OrtModule.Tensor.DataLocation;

/** ORT's session options plus `ort`, the application's own `onnxruntime-web` module, and argpool's NaN rule. */
export interface SessionOptions extends OrtModule.InferenceSession.SessionOptions {
  ort: Ort;
  /**
   * The NaN rule of the MaxPool nodes argpool runs: 'first' (ONNX Runtime 1.29 and later: a NaN wins
   * only as the window's first tap), 'ignore' (ONNX Runtime up to 1.27: a NaN never wins over a
   * number) or 'propagate' (PyTorch: a NaN always wins). By default the rule of the `ort` module's
   * own CPU kernel for MaxPool with Indices; docs/engines.md has the rules and the measurements.
   */
  nan?: NanRule;
}

const NAN_RULES: readonly NanRule[] = ['first', 'ignore', 'propagate'];

/**
 * The NaN rule of ONNX Runtime's CPU MaxPool with an Indices output, for the version of `ort`: from
 * 1.29.0 the first in-bounds tap seeds the maximum (a NaN there stays); up to 1.27.0 the maximum
 * started at the lowest float and only a greater tap replaced it, so a NaN never won (measured on
 * onnxruntime-web 1.23.0, 1.27.0, 1.29.0, 1.30.0 and 1.31.1; no 1.28 was published on npm).
 */
export function ortNanRule(ort: Ort): NanRule {
  const match = /^(\d+)\.(\d+)/.exec(ort.env?.versions?.web ?? ort.env?.versions?.common ?? '');
  if (!match) return 'first';
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 1 || (major === 1 && minor >= 29) ? 'first' : 'ignore';
}

export type Feeds = Record<string, OrtTensor>;
export type Outputs = Record<string, OrtTensor>;

/** One step of a timed run: an ORT part or an argpool node, with the GPU finished after it. */
/** A timed run as a whole. */
export interface RunTiming {
  /** ORT parts (ORT sessions) the run went through; 1 when ORT runs the model unchanged. */
  parts: number;
  /** Wall time from the call to the outputs, waits for the GPU after every step included. */
  totalMs: number;
  /** Time inside ORT's `session.run` calls. */
  ortMs: number;
  /** Time waiting for the GPU to finish each step (what `run` does not wait for). */
  gpuWaitMs: number;
  /** The adapter's own host time: everything outside ORT's calls and the GPU waits. */
  hostMs: number;
  /** GPU time of argpool's passes (timestamp queries), where the device has them. */
  argpoolGpuMs?: number;
}

export interface StepTiming {
  kind: 'ort' | 'argpool';
  label: string;
  /** Wall time from the step's start until the GPU finished its work. */
  ms: number;
  /** argpool steps, where the device has timestamp queries: GPU time of argpool's own passes. */
  gpuMs?: number;
}

/** What the adapter knows about one value during a run; any of the forms may be present. */
interface Slot {
  /** An ORT tensor (on the CPU or a GPU buffer); `ownsOrt`: the adapter disposes it. */
  ort?: OrtTensor;
  ownsOrt?: boolean;
  /** An argpool tensor: float32 or float16 values, or int32 'flat' indices (`pooled` set) of a MaxPool. */
  ap?: ArgTensor;
  /** When `ap` is a reshaped view: the tensor that owns its buffer (and carries its faults). */
  owner?: ArgTensor;
  /** For indices from a MaxPool run here: the pooling input's shape, storage order and resolved geometry. */
  pooled?: { inShape: number[]; inSpatial: number[]; columnMajor: boolean; options: PoolOptions };
  /** int32 indices narrowed from `ort` (int64), for argpool's unpooling. */
  narrow?: ArgTensor;
  /** Adapter-owned buffers behind `ort` or `narrow`. */
  scratch: GPUBuffer[];
  /** Who made the value: ORT (a part's output, a feed, an initializer) or an argpool step. */
  origin: 'ort' | 'argpool';
  /** The argpool step that made it. */
  label?: string;
}

const WEBGPU = 'webgpu';
/** The ONNX element types argpool pools and unpools. */
const FLOAT_TYPES = [DataType.FLOAT, DataType.FLOAT16] as number[];

function usesWebGpu(options: SessionOptions): boolean {
  return (options.executionProviders ?? []).some((ep) => (typeof ep === 'string' ? ep : ep.name) === WEBGPU);
}

function toBytes(model: Uint8Array | ArrayBufferLike): Uint8Array {
  if (model instanceof Uint8Array) return model;
  if (model instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && model instanceof SharedArrayBuffer)) return new Uint8Array(model);
  throw new TypeError('InferenceSession.create: model must be a Uint8Array or an ArrayBuffer of an .onnx file');
}

/** A one-node model whose WebGPU session keeps ORT's device alive. */
function keeperModel(): Uint8Array {
  const info = { name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 4 }] } } } };
  return encodeModel({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'argpool device keeper', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [info], output: [{ ...info, name: 'y' }] },
  });
}

/** One keeper session per ORT module, and how many adapter sessions and GPU outputs still need the device. */
interface Keeper {
  session: Promise<OrtSession>;
  holds: number;
}
const keepers = new WeakMap<Ort, Keeper>();

/**
 * A hold on ORT's WebGPU device: the first hold creates the keeper session (and with it ORT's device,
 * if ORT has none yet); the device stays alive until every hold is given back.
 */
async function holdOrtDevice(ort: Ort): Promise<DeviceHold> {
  let keeper = keepers.get(ort);
  if (!keeper) {
    keeper = { session: ort.InferenceSession.create(keeperModel(), { executionProviders: [WEBGPU] }), holds: 0 };
    keepers.set(ort, keeper);
  }
  const held = keeper;
  const retain = () => {
    held.holds++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--held.holds > 0) return;
      if (keepers.get(ort) === held) keepers.delete(ort);
      void held.session.then((session) => session.release(), () => undefined);
    };
  };
  const release = retain();
  try {
    await held.session;
    const device = (await ort.env.webgpu.device) as GPUDevice | undefined;
    if (!device) throw new Error('InferenceSession.create: ONNX Runtime has no WebGPU device (ort.env.webgpu.device is empty after a WebGPU session was created)');
    return { device, release };
  } catch (error) {
    release();
    throw error;
  }
}

/** The device a session runs on, and how to give back its hold on it. */
interface DeviceHold {
  device: GPUDevice;
  release: () => void;
}

/** A device the application named in its WebGPU provider options, if any (it then owns its lifetime). */
function namedDevice(options: SessionOptions): GPUDevice | undefined {
  for (const ep of options.executionProviders ?? []) {
    const named = typeof ep === 'string' ? undefined : (ep as { name: string; device?: GPUDevice });
    if (named?.name === WEBGPU && named.device) return named.device;
  }
  return undefined;
}

export class InferenceSession {
  /** Graph inputs the caller feeds. */
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * What a run does, in order: 'ORT part 0', 'MaxPool node "pool1"', ... Empty when ORT runs the
   * model unchanged (no node for argpool, or no 'webgpu' provider in the options).
   */
  readonly steps: readonly string[];

  /**
   * The GPUDevice that ORT's parts and argpool share (null when ORT runs the model unchanged). Feeds
   * given as GPU buffers must live on it; pass it to other ORT sessions (`{ name: 'webgpu', device }`)
   * to chain their GPU outputs into this one.
   */
  readonly device: GPUDevice | null;

  /** The NaN rule of the MaxPool nodes argpool runs (`SessionOptions.nan`, or the ORT module's own). */
  readonly nan: NanRule;

  /**
   * GPU buffers argpool has created for this session's pooling and unpooling so far (0 when ORT runs
   * the model unchanged): its pool reuses them, so after the first run further runs add none.
   */
  get argpoolBuffersCreated(): number {
    return this.ap?.buffersCreated ?? 0;
  }

  private released = false;
  /** GPU-buffer outputs handed out and not yet disposed: they keep argpool's buffers and the device. */
  private liveOutputs = 0;

  private constructor(
    private readonly ort: Ort,
    private readonly plan: RunPlan,
    /** The whole model on ORT, when nothing needs argpool (or no WebGPU provider was asked for). */
    private readonly whole: OrtSession | null,
    /** One ORT session per ORT step, by step. */
    private readonly parts: Map<RunOrtStep, OrtSession>,
    private readonly ap: ArgPool | null,
    private readonly scratch: ScratchBuffers | null,
    private readonly locations: SessionOptions['preferredOutputLocation'],
    nan: NanRule,
    /** The hold on the device, given back once the session is released and its GPU outputs disposed. */
    private readonly hold: DeviceHold | null,
    /** Initializers a run reads outside ORT's parts, and shared ones on the GPU: made once, at create. */
    private readonly resident: Map<string, OrtTensor> = new Map(),
    /** The GPU buffers behind the shared initializers. */
    private readonly residentBuffers: GPUBuffer[] = [],
  ) {
    this.inputNames = whole ? whole.inputNames : plan.inputNames;
    this.outputNames = whole ? whole.outputNames : plan.outputNames;
    this.steps = whole ? [] : plan.steps.map((step) => step.label);
    this.device = ap ? ap.device : null;
    this.nan = nan;
  }

  /**
   * Parses the model, splits it, and creates the ORT sessions of its parts on the WebGPU provider
   * and an ArgPool on ORT's device. A model with no node that argpool runs, or options without the
   * 'webgpu' provider, gives one plain ORT session.
   */
  static async create(model: Uint8Array | ArrayBufferLike, options: SessionOptions): Promise<InferenceSession> {
    if (!options || typeof options !== 'object' || !options.ort || typeof options.ort.InferenceSession?.create !== 'function') {
      throw new TypeError("InferenceSession.create: options.ort must be the application's onnxruntime-web module (import * as ort from 'onnxruntime-web/webgpu')");
    }
    const { ort, preferredOutputLocation, nan: nanOption, ...ortOptions } = options;
    if (nanOption !== undefined && !NAN_RULES.includes(nanOption)) {
      throw new RangeError(`InferenceSession.create: options.nan must be 'first', 'ignore' or 'propagate', got ${JSON.stringify(nanOption)}`);
    }
    const nan = nanOption ?? ortNanRule(ort);
    const bytes = toBytes(model);
    const plan = planModel(bytes);
    if (!plan.split || !usesWebGpu(options)) {
      const whole = await ort.InferenceSession.create(bytes, { ...ortOptions, preferredOutputLocation });
      return new InferenceSession(ort, runPlan(plan), whole, new Map(), null, null, preferredOutputLocation, nan, null);
    }
    const named = namedDevice(options);
    const hold: DeviceHold = named ? { device: named, release: () => undefined } : await holdOrtDevice(ort);
    const device = hold.device;
    const types = new Map(plan.knownTypes);
    const parts = new Map<OrtStep, OrtSession>();
    const residentBuffers: GPUBuffer[] = [];
    try {
      for (const [s, step] of plan.steps.entries()) {
        if (step.kind !== 'ort') continue;
        propagateTypes(plan, types);
        const sub = partModel(plan, step, (name) => types.get(name) ?? 0);
        const where: Record<string, Location> = {};
        for (const name of step.outputs) where[name] = step.cpu ? 'cpu' : partOutputLocation(plan, s, name, preferredOutputLocation);
        const partOptions = step.cpu ? { ...ortOptions, executionProviders: ['wasm'] } : ortOptions;
        const session = await ort.InferenceSession.create(encodeModel(sub), { ...partOptions, preferredOutputLocation: where });
        parts.set(step, session);
        for (const meta of session.outputMetadata) if (meta.isTensor) types.set(meta.name, dataTypeOf(meta.type));
      }
      propagateTypes(plan, types);
      checkTypes(plan, types);
      const resident = residentInitializers(ort, plan, device, residentBuffers);
      const ap = await ArgPool.create({ device });
      // The parsed model goes here: the parts keep their graphs, the session what a run needs.
      const slim = runPlan(plan);
      const byStep = new Map<RunOrtStep, OrtSession>();
      plan.steps.forEach((step, i) => {
        if (step.kind === 'ort') byStep.set(slim.steps[i] as RunOrtStep, parts.get(step)!);
      });
      return new InferenceSession(ort, slim, null, byStep, ap, new ScratchBuffers(device), preferredOutputLocation, nan, hold, resident, residentBuffers);
    } catch (error) {
      for (const buffer of residentBuffers) buffer.destroy();
      for (const session of parts.values()) await session.release();
      hold.release();
      throw error;
    }
  }

  /**
   * Runs the model: `feeds` and the result map input and output names to the `ort` module's tensors.
   * `options` (ORT's run options) go to every ORT part. Every graph output is returned.
   */
  async run(feeds: Feeds, options?: OrtModule.InferenceSession.RunOptions): Promise<Outputs> {
    if (Array.isArray(options)) throw new TypeError('InferenceSession.run: fetches are not supported; every graph output is returned');
    return (await this.execute(feeds, null, options)).outputs;
  }

  /**
   * Runs the model waiting for the GPU after every step, and reports each step's time: the split
   * between ORT's parts and argpool's operations (a benchmark aid; slower than `run`).
   */
  async runTimed(feeds: Feeds, options?: OrtModule.InferenceSession.RunOptions): Promise<{ outputs: Outputs; steps: StepTiming[]; run: RunTiming }> {
    const steps: StepTiming[] = [];
    const start = performance.now();
    const { outputs, ortMs, gpuWaitMs } = await this.execute(feeds, steps, options);
    const totalMs = performance.now() - start;
    const gpu = steps.filter((s) => s.gpuMs !== undefined);
    const run: RunTiming = {
      parts: this.whole ? 1 : this.plan.steps.filter((s) => s.kind === 'ort').length,
      totalMs,
      ortMs,
      gpuWaitMs,
      hostMs: totalMs - ortMs - gpuWaitMs,
      ...(gpu.length > 0 ? { argpoolGpuMs: gpu.reduce((a, s) => a + s.gpuMs!, 0) } : {}),
    };
    return { outputs, steps, run };
  }

  /**
   * Releases the ORT sessions, argpool's buffers and the hold on the device. GPU-buffer outputs
   * already returned stay valid until the caller disposes them: what they need (ORT reads an ORT
   * tensor through its session) goes when the last of them is disposed.
   */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.whole) await this.whole.release();
    if (this.liveOutputs === 0) await this.teardown();
  }

  private async teardown(): Promise<void> {
    for (const buffer of this.residentBuffers) buffer.destroy();
    this.scratch?.destroy();
    this.ap?.destroy();
    for (const session of this.parts.values()) await session.release();
    this.hold?.release();
  }

  /** Counts a GPU-buffer output handed to the caller; the returned function is its disposal. */
  private trackOutput(): () => void {
    this.liveOutputs++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.liveOutputs === 0 && this.released) void this.teardown();
    };
  }

  private async execute(
    feeds: Feeds,
    timings: StepTiming[] | null,
    options?: OrtModule.InferenceSession.RunOptions,
  ): Promise<{ outputs: Outputs; ortMs: number; gpuWaitMs: number }> {
    if (this.released) throw new Error('InferenceSession.run: this session has been released');
    if (!feeds || typeof feeds !== 'object') throw new TypeError('InferenceSession.run: feeds must be an object of ort.Tensor by input name');
    for (const name of this.inputNames) {
      if (!(name in feeds)) throw new Error(`InferenceSession.run: input ${JSON.stringify(name)} is missing from feeds (inputs: ${this.inputNames.join(', ')})`);
    }
    if (this.whole) {
      const start = performance.now();
      const outputs = (await this.whole.run(feeds, options ?? {})) as Outputs;
      const ms = performance.now() - start;
      timings?.push({ kind: 'ort', label: 'whole model', ms });
      return { outputs, ortMs: ms, gpuWaitMs: 0 };
    }
    const run = new Run(this.ort, this.plan, this.ap!, this.scratch!, feeds, options ?? {}, () => this.trackOutput(), this.resident, this.nan);
    let gpuWaitMs = 0;
    try {
      for (const [s, step] of this.plan.steps.entries()) {
        const start = performance.now();
        let gpuMs: number | undefined;
        if (step.kind === 'ort') await run.ortStep(step, this.parts.get(step)!);
        else gpuMs = await run.argpoolStep(step, timings !== null);
        if (timings) {
          run.flush();
          const wait = performance.now();
          await this.ap!.device.queue.onSubmittedWorkDone();
          gpuWaitMs += performance.now() - wait;
          timings.push({ kind: step.kind === 'ort' ? 'ort' : 'argpool', label: step.label, ms: performance.now() - start, gpuMs });
        }
        run.releaseAfter(s);
      }
      const outputs: Outputs = {};
      for (const name of this.plan.outputNames) outputs[name] = await run.output(name, outputLocation(name, this.locations));
      return { outputs, ortMs: run.ortMs, gpuWaitMs };
    } finally {
      run.finish();
    }
  }
}

/**
 * The element types of what argpool makes, from what it reads: MaxPool's Y and MaxUnpool's output
 * have X's type (float32 or float16), once an ORT part has reported it.
 */
function propagateTypes(plan: Plan, types: Map<string, number>): void {
  for (const step of plan.steps) {
    if (step.kind === 'maxPool' && step.values && types.has(step.input)) types.set(step.values, types.get(step.input)!);
    if (step.kind === 'maxUnpool' && types.has(step.values)) types.set(step.output, types.get(step.values)!);
  }
}

/**
 * The element types of what argpool reads, once every ORT part has reported its outputs' types:
 * X float32 or float16 (integer pooling is refused here, before any run), I int64, output_shape int64.
 * An inspection runs it on the types the model declares.
 */
export function checkTypes(plan: Plan, types: Map<string, number>): void {
  const expectType = (label: string, input: string, name: string, want: number[]) => {
    const type = types.get(name);
    if (type === undefined || want.includes(type)) return;
    throw new TypeError(`${label}: input ${input} (${JSON.stringify(name)}) is ${typeName(type)}, argpool/onnxruntime-web runs ${want.map(typeName).join(' or ')} here`);
  };
  for (const step of plan.steps) {
    if (step.kind === 'maxPool') expectType(step.label, 'X', step.input, FLOAT_TYPES);
    if (step.kind === 'maxUnpool') {
      expectType(step.label, 'X', step.values, FLOAT_TYPES);
      expectType(step.label, 'I', step.indices, [DataType.INT64]);
      if (step.outputShape) expectType(step.label, 'output_shape', step.outputShape, [DataType.INT64]);
    }
  }
}

function typeName(type: number): string {
  try {
    return ortTypeName(type);
  } catch {
    return `element type ${type}`;
  }
}

/** The caller's preferred location for a graph output (ORT's default: the CPU). */
function outputLocation(name: string, preferred: SessionOptions['preferredOutputLocation']): Location {
  if (!preferred) return 'cpu';
  if (typeof preferred === 'string') return preferred;
  return preferred[name] ?? 'cpu';
}

/** Where an ORT part should leave an output: on the GPU when a later step reads it there. */
function partOutputLocation(plan: Plan, step: number, name: string, preferred: SessionOptions['preferredOutputLocation']): Location {
  const readLaterOnGpu =
    plan.readByArgpool.has(name) || plan.steps.some((s, i) => i > step && s.kind === 'ort' && s.inputs.includes(name));
  if (readLaterOnGpu) return 'gpu-buffer';
  if (plan.outputNames.includes(name)) return outputLocation(name, preferred);
  return 'cpu';
}

/** The state of one run: the values by name, in whatever forms the steps have needed. */
class Run {
  private readonly slots = new Map<string, Slot>();
  /** Time inside ORT's `session.run` calls so far. */
  ortMs = 0;
  /** Slots whose last reader was recorded but maybe not submitted: released at the next flush. */
  private pending: Slot[] = [];

  constructor(
    private readonly ort: Ort,
    private readonly plan: RunPlan,
    private readonly ap: ArgPool,
    private readonly scratch: ScratchBuffers,
    private readonly feeds: Feeds,
    private readonly runOptions: OrtModule.InferenceSession.RunOptions,
    /** Registers a GPU-buffer output with the session; call the result when the caller disposes it. */
    private readonly trackOutput: () => () => void,
    private readonly resident: Map<string, OrtTensor>,
    /** The NaN rule of argpool's MaxPool nodes. */
    private readonly nan: NanRule,
  ) {}

  /** Submits argpool's recorded work, then gives back what the submitted work was the last to read. */
  flush(): void {
    this.ap.flush();
    for (const slot of this.pending) this.releaseSlot(slot);
    this.pending = [];
  }

  async ortStep(step: RunOrtStep, session: OrtSession): Promise<void> {
    const feeds: Feeds = {};
    for (const name of step.inputs) feeds[name] = this.ortTensor(name);
    this.flush();
    if (step.cpu) {
      // ORT's wasm provider reads CPU tensors only.
      for (const [name, tensor] of Object.entries(feeds)) {
        if (tensor.location === 'gpu-buffer') feeds[name] = new this.ort.Tensor(tensor.type as 'float32', (await tensor.getData()) as Float32Array, tensor.dims);
      }
    }
    let results: Outputs;
    try {
      const start = performance.now();
      results = (await session.run(feeds, this.runOptions)) as Outputs;
      this.ortMs += performance.now() - start;
    } catch (error) {
      throw new Error(`InferenceSession.run: ${step.label} failed on ONNX Runtime: ${(error as Error).message}`);
    }
    for (const name of step.outputs) this.slots.set(name, { ort: results[name], ownsOrt: true, scratch: [], origin: 'ort' });
    // ORT returns every output of the part; dispose those nobody reads (none by construction).
    for (const [name, tensor] of Object.entries(results)) if (!step.outputs.includes(name)) tensor.dispose();
  }

  /** Runs a MaxPool or MaxUnpool in argpool; with `time`, returns argpool's GPU time for it. */
  async argpoolStep(step: MaxPoolStep | MaxUnpoolStep, time: boolean): Promise<number | undefined> {
    const label = step.label;
    if (step.kind === 'maxPool') {
      const resolved = resolveMaxPool(step.attributes, this.dimsOf(step.input));
      const x = this.argpoolFloat(step.input, label, 'X');
      const options: PoolOptions = { ...resolved.options, nan: this.nan };
      const pool = () => this.call(label, () => this.ap.maxPool(x, options));
      const { result, gpuMs } = await this.measured(pool, time);
      if (result.values.shape.some((d, i) => d !== resolved.outShape[i])) {
        throw new Error(`${label}: argpool pooled to ${show(result.values.shape)}, ONNX Runtime's size is ${show(resolved.outShape)}`);
      }
      if (step.values) this.slots.set(step.values, { ap: result.values, scratch: [], origin: 'argpool' });
      else result.values.destroy();
      const columnMajor = step.attributes.storageOrder === 1;
      const pooled = { inShape: x.shape.slice(), inSpatial: x.shape.slice(2), columnMajor, options: resolved.options };
      this.slots.set(step.indices, { ap: result.indices, pooled, scratch: [], origin: 'argpool' });
      return gpuMs;
    }
    // Shapes are checked as ONNX Runtime checks them, before any GPU work.
    const xShape = this.dimsOf(step.values);
    const source = this.slot(step.indices);
    const indicesShape = this.dimsOf(step.indices);
    if (!sameList(indicesShape, xShape)) {
      throw new RangeError(`${label}: input I has shape ${show(indicesShape)}, X has ${show(xShape)}; they must be the same (as ONNX Runtime requires)`);
    }
    const shape = step.outputShape ? await this.cpuShape(step.outputShape, label) : undefined;
    const resolved = this.call(label, () => resolveMaxUnpool(step.attributes, xShape, shape));
    const x = this.argpoolFloat(step.values, label, 'X');
    if (source.origin === 'argpool' && source.pooled && !source.pooled.columnMajor && sameList(source.pooled.inShape, resolved.outShape) && sameGeometry(source.pooled.options, resolved.options)) {
      // Indices of a pooling run here, unpooled to that pooling's input size: ONNX's flat indices
      // are argpool's 'flat' ones, and argpool knows they lie in their windows.
      const indices = source.ap!;
      const { result, gpuMs } = await this.measured(() => this.call(label, () => this.ap.maxUnpool(x, indices, resolved.options)), time);
      this.slots.set(step.output, { ap: result, scratch: [], origin: 'argpool', label });
      return gpuMs;
    }
    // Anything else is ONNX's flat scatter over the whole tensor: one 1-D plane in argpool.
    const indices = this.argpoolIndices(step.indices, label);
    const inCount = x.size;
    const outCount = resolved.outShape.reduce((a, b) => a * b, 1);
    const options = flatScatterOptions(label, inCount, outCount);
    const flatX = this.call(label, () => this.ap.fromBuffer(x.buffer, [1, 1, inCount], x.dtype as 'float32' | 'float16'));
    const flatI = this.call(label, () => this.ap.fromBuffer(indices.buffer, [1, 1, inCount], 'int32'));
    const { result, gpuMs } = await this.measured(() => this.call(label, () => this.ap.maxUnpool1d(flatX, flatI, options)), time);
    flatX.destroy();
    flatI.destroy();
    const view = this.call(label, () => this.ap.fromBuffer(result.buffer, resolved.outShape, result.dtype));
    this.slots.set(step.output, { ap: view, owner: result, scratch: [], origin: 'argpool', label });
    return gpuMs;
  }

  private async measured<T>(fn: () => T, time: boolean): Promise<{ result: T; gpuMs?: number }> {
    if (!time || !this.ap.device.features.has('timestamp-query')) return { result: fn() };
    const m = await this.ap.measure(fn);
    return { result: m.result, gpuMs: m.gpuMs };
  }

  /** Gives back the values whose last reader was step `s` (after the work that reads them is submitted). */
  releaseAfter(s: number): void {
    for (const [name, last] of this.plan.lastUse) {
      if (last !== s) continue;
      const slot = this.slots.get(name);
      if (!slot) continue;
      this.slots.delete(name);
      this.pending.push(slot);
    }
  }

  /** A graph output at the caller's preferred location; what is handed over leaves the slot. */
  async output(name: string, location: Location): Promise<OrtTensor> {
    const slot = this.slot(name);
    if (slot.origin === 'argpool' && !slot.pooled) {
      const values = slot.ap!;
      // The owner's read reports invalid indices of the unpooling that made a reshaped view.
      const owner = slot.owner ?? values;
      this.flush();
      // float16 goes to ORT as its bits (a Uint16Array), as ORT holds float16 data.
      const half = values.dtype === 'float16';
      const read = async () => (half ? await owner.readFloat16Bits() : ((await owner.read()) as Float32Array));
      if (location === 'gpu-buffer' && values.buffer.size % 16 === 0) {
        slot.ap = slot.owner = undefined;
        const untrack = this.trackOutput();
        const dispose = () => {
          values.destroy();
          owner.destroy();
          untrack();
        };
        return half
          ? this.ort.Tensor.fromGpuBuffer(values.buffer, { dataType: 'float16', dims: values.shape, download: () => owner.readFloat16Bits(), dispose })
          : this.ort.Tensor.fromGpuBuffer(values.buffer, { dataType: 'float32', dims: values.shape, download: async () => (await owner.read()) as Float32Array, dispose });
      }
      try {
        const data = await read();
        return data instanceof Uint16Array ? new this.ort.Tensor('float16', data, values.shape) : new this.ort.Tensor('float32', data, values.shape);
      } catch (error) {
        // An unpooling found an invalid index: name the node that ran it.
        throw slot.label ? renamed(error, slot.label) : error;
      }
    }
    if (slot.origin === 'argpool') {
      const wide = this.widen(slot).gpuBuffer as GPUBuffer;
      const dims = slot.ap!.shape;
      if (location === 'gpu-buffer') {
        slot.scratch = slot.scratch.filter((b) => b !== wide);
        this.scratch.detach(wide);
        const device = this.ap.device;
        const count = dims.reduce((a, b) => a * b, 1);
        const untrack = this.trackOutput();
        return this.ort.Tensor.fromGpuBuffer(wide, {
          dataType: 'int64',
          dims,
          download: async () => new BigInt64Array(await readBuffer(device, wide, count * 8)),
          dispose: () => {
            wide.destroy();
            untrack();
          },
        });
      }
      const count = dims.reduce((a, b) => a * b, 1);
      return new this.ort.Tensor('int64', new BigInt64Array(await readBuffer(this.ap.device, wide, count * 8)), dims);
    }
    const tensor = slot.ort!;
    if (tensor.location === 'gpu-buffer' && location === 'cpu') {
      return new this.ort.Tensor(tensor.type as 'float32', (await tensor.getData()) as Float32Array, tensor.dims);
    }
    slot.ownsOrt = false;
    if (tensor.location !== 'gpu-buffer') return tensor;
    // ORT's GPU tensor lives on the device the session holds: keep the hold until it is disposed.
    const untrack = this.trackOutput();
    return this.ort.Tensor.fromGpuBuffer(tensor.gpuBuffer as GPUBuffer, {
      dataType: tensor.type as 'float32',
      dims: tensor.dims,
      download: async () => (await tensor.getData()) as Float32Array,
      dispose: () => {
        tensor.dispose();
        untrack();
      },
    });
  }

  /** Releases everything this run still holds (after an error too). */
  finish(): void {
    this.flush();
    for (const slot of this.slots.values()) this.releaseSlot(slot);
    this.slots.clear();
  }

  private releaseSlot(slot: Slot): void {
    slot.ap?.destroy();
    slot.owner?.destroy();
    slot.narrow?.destroy();
    if (slot.ownsOrt) slot.ort?.dispose();
    for (const buffer of slot.scratch) this.scratch.release(buffer);
    slot.scratch = [];
  }

  private call<T>(label: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw renamed(error, label);
    }
  }

  /** The slot of a value: computed earlier, fed by the caller, or an initializer. */
  private slot(name: string): Slot {
    let slot = this.slots.get(name);
    if (slot) return slot;
    if (name in this.feeds) slot = { ort: this.feeds[name], ownsOrt: false, scratch: [], origin: 'ort' };
    else if (this.resident.has(name)) slot = { ort: this.resident.get(name)!, ownsOrt: false, scratch: [], origin: 'ort' };
    else throw new Error(`InferenceSession.run: no value ${JSON.stringify(name)} (not fed, not computed)`);
    this.slots.set(name, slot);
    return slot;
  }

  /** A value's shape, in whichever form it is held. */
  private dimsOf(name: string): number[] {
    const slot = this.slot(name);
    return [...(slot.ap ? slot.ap.shape : slot.ort!.dims)];
  }

  /** A value as an ORT tensor, for an ORT part. */
  private ortTensor(name: string): OrtTensor {
    const slot = this.slot(name);
    if (slot.ort) return slot.ort;
    const ap = slot.ap!;
    if (slot.pooled) return this.widen(slot);
    let buffer = ap.buffer;
    if (buffer.size % 16 !== 0) {
      // ORT takes GPU buffers whose size is a multiple of 16 bytes.
      buffer = this.scratch.acquire('onnx float copy', ap.byteLength);
      slot.scratch.push(buffer);
      this.flush();
      const encoder = this.ap.device.createCommandEncoder({ label: 'onnx float copy' });
      encoder.copyBufferToBuffer(ap.buffer, 0, buffer, 0, ap.byteLength);
      this.ap.device.queue.submit([encoder.finish()]);
    }
    slot.ort = this.ort.Tensor.fromGpuBuffer(buffer, { dataType: ap.dtype === 'float16' ? 'float16' : 'float32', dims: ap.shape });
    slot.ownsOrt = false;
    return slot.ort;
  }

  /** argpool's int32 indices of a MaxPool as ONNX's int64 (column-major if its storage_order asks). */
  private widen(slot: Slot): OrtTensor {
    if (slot.ort) return slot.ort;
    const indices = slot.ap!;
    const wide = this.scratch.acquire('onnx indices int64', indices.size * 8);
    slot.scratch.push(wide);
    recordWiden(this.ap.device, indices.buffer, wide, indices.size, slot.pooled!.inSpatial, slot.pooled!.columnMajor);
    // ORT, or the caller, reads the result in submissions of its own: submit it now.
    this.flush();
    slot.ort = this.ort.Tensor.fromGpuBuffer(wide, { dataType: 'int64', dims: indices.shape });
    slot.ownsOrt = false;
    return slot.ort;
  }

  private argpoolFloat(name: string, label: string, input: string): ArgTensor {
    const slot = this.slot(name);
    if (slot.ap && !slot.pooled) return slot.ap;
    const tensor = slot.ort;
    if (!tensor || (tensor.type !== 'float32' && tensor.type !== 'float16')) {
      throw new TypeError(`${label}: input ${input} (${JSON.stringify(name)}) must be a float32 or float16 tensor, got ${tensor ? tensor.type : 'int64 indices'}`);
    }
    const dtype = tensor.type;
    // ORT keeps float16 as two bytes per element, little-endian: argpool's float16 layout.
    slot.ap =
      tensor.location === 'gpu-buffer'
        ? this.call(label, () => this.ap.fromBuffer(tensor.gpuBuffer as GPUBuffer, tensor.dims, dtype))
        : dtype === 'float16'
          ? this.call(label, () => this.ap.tensor(tensor.data as Uint16Array, tensor.dims, 'float16'))
          : this.call(label, () => this.ap.tensor(tensor.data as Float32Array, tensor.dims));
    return slot.ap;
  }

  private argpoolIndices(name: string, label: string): ArgTensor {
    const slot = this.slot(name);
    if (slot.ap && slot.pooled && !slot.pooled.columnMajor) return slot.ap;
    if (slot.narrow) return slot.narrow;
    const tensor = slot.ap ? this.widen(slot) : slot.ort!;
    if (tensor.type !== 'int64') throw new TypeError(`${label}: input I (${JSON.stringify(name)}) must be an int64 tensor, got ${tensor.type}`);
    if (tensor.location !== 'gpu-buffer') {
      slot.narrow = this.call(label, () => this.ap.tensor(tensor.data as BigInt64Array, tensor.dims));
      return slot.narrow;
    }
    const count = tensor.dims.reduce((a, b) => a * b, 1);
    const narrow = this.scratch.acquire('onnx indices int32', count * 4);
    slot.scratch.push(narrow);
    recordNarrow(this.ap.device, tensor.gpuBuffer as GPUBuffer, narrow, count);
    slot.narrow = this.call(label, () => this.ap.fromBuffer(narrow, tensor.dims, 'int32'));
    return slot.narrow;
  }

  /** MaxUnpool's output_shape, read on the CPU. */
  private async cpuShape(name: string, label: string): Promise<number[]> {
    const slot = this.slot(name);
    const tensor = slot.ort;
    if (!tensor || tensor.type !== 'int64') throw new TypeError(`${label}: input output_shape (${JSON.stringify(name)}) must be an int64 tensor`);
    const data = (tensor.location === 'cpu' ? tensor.data : await tensor.getData()) as BigInt64Array;
    return Array.from(data, (v) => Number(v));
  }
}

/** The error with the node's name in front of its message (same class). */
function renamed(error: unknown, label: string): Error {
  const e = error as Error;
  if (!(e instanceof Error) || e.message.startsWith(label)) return e;
  return new (e.constructor as ErrorConstructor)(`${label}: ${e.message}`);
}

/** Whether an unpooling's windows are exactly those of the pooling that made its indices. */
function sameGeometry(pool: PoolOptions, unpool: UnpoolOptions): boolean {
  const list = (v: unknown) => (Array.isArray(v) ? (v as number[]) : []);
  return (
    sameList(list(pool.kernelSize), list(unpool.kernelSize)) &&
    sameList(list(pool.stride), list(unpool.stride)) &&
    sameList(list(pool.padding), list(unpool.padding)) &&
    list(pool.dilation).every((d) => d === 1)
  );
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function show(values: readonly number[]): string {
  return `[${values.join(', ')}]`;
}

/**
 * The initializers a run reads outside ORT's parts, made once: shared float32 weights as GPU tensors
 * (one upload, however many parts read them), and those argpool or a CPU read takes, or the graph
 * returns, as CPU tensors.
 */
function residentInitializers(ort: Ort, plan: Plan, device: GPUDevice, buffers: GPUBuffer[]): Map<string, OrtTensor> {
  const resident = new Map<string, OrtTensor>();
  for (const name of plan.sharedInitializers) {
    const cpu = tensorFromProto(ort, plan.initializers.get(name)!);
    const data = cpu.data as Float32Array;
    const buffer = device.createBuffer({ label: `onnx initializer ${name}`, size: paddedBytes(data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    buffers.push(buffer);
    device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    resident.set(name, ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims: cpu.dims }));
  }
  const readHere = new Set([...plan.readByArgpool, ...plan.readOnCpu, ...plan.outputNames]);
  for (const name of readHere) {
    const proto = plan.initializers.get(name);
    if (proto && !resident.has(name)) resident.set(name, tensorFromProto(ort, proto));
  }
  return resident;
}

/** A CPU ORT tensor of an initializer (float32, int32 or int64; raw or typed fields). */
function tensorFromProto(ort: Ort, proto: TensorProto): OrtTensor {
  const dims = (proto.dims ?? []).map(toNumber);
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = proto.rawData && proto.rawData.length > 0 ? proto.rawData : null;
  const copy = (bytes: number) => raw!.slice(0, count * bytes).buffer;
  switch (proto.dataType) {
    case DataType.FLOAT:
      return new ort.Tensor('float32', raw ? new Float32Array(copy(4)) : Float32Array.from(proto.floatData ?? []), dims);
    case DataType.INT32:
      return new ort.Tensor('int32', raw ? new Int32Array(copy(4)) : Int32Array.from(proto.int32Data ?? []), dims);
    case DataType.INT64:
      return new ort.Tensor('int64', raw ? new BigInt64Array(copy(8)) : BigInt64Array.from((proto.int64Data ?? []).map((v) => BigInt(toNumber(v)))), dims);
    default:
      throw new TypeError(`InferenceSession.run: initializer ${JSON.stringify(proto.name)} of type ${ortTypeName(proto.dataType ?? 0)} cannot be read here`);
  }
}

