/**
 * Planning: each operation becomes a plan, plain data that says everything the GPU will be asked to do
 * (ONNX Runtime Web's ProgramInfo is the model): the buffers it reads and writes with their sizes, the
 * scratch buffers it needs, the buffers to clear, and its programs (the program, its override
 * constants and params, the pipeline cache key, bindings by role, a dispatch already folded to the
 * device's limits). Where several kernels can run an operation, an ordered list of candidate programs
 * (src/programs/) decides: the first whose `applies` gives a launch runs. Every decision and every
 * check happens here, so a plan that comes back can be recorded without failing (src/executor.ts),
 * and node tests can inspect plans without a GPU.
 */
import { LAUNCH_PROFILES, type LaunchProfile } from './launch.js';
import { show, type PoolGeometry, type UnpoolGeometry } from './options.js';
import { packFields, poolFieldValues, unpoolFieldValues } from './params.js';
import type { FlatWork } from './programs/flat.js';
import { elements } from './programs/grids.js';
import { indexFault } from './programs/index_fault.js';
import { maxPool } from './programs/max_pool.js';
import { maxPoolBackwardCheck } from './programs/max_pool_backward_check.js';
import { maxPoolChannelsLast } from './programs/max_pool_channels_last.js';
import { maxPoolGlobal } from './programs/max_pool_global.js';
import { maxPoolOverlapTiled } from './programs/max_pool_overlap_tiled.js';
import { maxPoolTiled } from './programs/max_pool_tiled.js';
import { maxUnpoolBackward } from './programs/max_unpool_backward.js';
import { maxUnpoolChannelsLast } from './programs/max_unpool_channels_last.js';
import { maxUnpoolClaim } from './programs/max_unpool_claim.js';
import { maxUnpoolOverlapTiled } from './programs/max_unpool_overlap_tiled.js';
import { maxUnpoolTiled } from './programs/max_unpool_tiled.js';
import { maxUnpoolWrite } from './programs/max_unpool_write.js';
import { onnxIndicesNarrow, onnxIndicesWiden } from './programs/onnx_indices.js';
import { hasFloats, shaderFile, type DeviceFacts, type FloatStorage, type Launch, type PlanLimits, type Program } from './programs/program.js';
import { atomicFloatWrites, storageKey } from './programs/storage.js';
import { windowGather } from './programs/window_gather.js';
import { windowIndicesPack } from './programs/window_indices_pack.js';
import { windowIndicesUnpack } from './programs/window_indices_unpack.js';
import { windowScatter } from './programs/window_scatter.js';
import { BufferUsage } from './webgpu_constants.js';

export type { FloatStorage, PlanLimits } from './programs/program.js';

/** Pooling: the first candidate that applies runs; the last, the general kernel, applies everywhere. */
export const POOLING_CANDIDATES = [maxPoolTiled, maxPoolOverlapTiled, maxPoolGlobal, maxPoolChannelsLast, maxPool] as const;

/**
 * Unpooling indices from a known pooling, and the pooling gradient: the gathering programs, in order.
 * Specialised contexts end at window_scatter (any geometry); the general kernel is window_gather.
 */
export const WINDOW_GATHER_CANDIDATES = [maxUnpoolTiled, maxUnpoolChannelsLast, maxUnpoolOverlapTiled, windowScatter, windowGather] as const;

/** The passes that are not chosen among candidates: index conversions, checks, the general scatter. */
const FIXED_PASSES = [
  windowIndicesPack,
  windowIndicesUnpack,
  maxPoolBackwardCheck,
  maxUnpoolClaim,
  maxUnpoolWrite,
  maxUnpoolBackward,
  indexFault,
  onnxIndicesWiden,
  onnxIndicesNarrow,
] as const;

const ALL_PROGRAMS = [...POOLING_CANDIDATES, ...WINDOW_GATHER_CANDIDATES, ...FIXED_PASSES] as const;

/** Every program the planner can run. */
export const PROGRAMS: readonly Program<never>[] = ALL_PROGRAMS;

/** The kernel files of the programs, as plans name them. */
export type ShaderName = `${(typeof ALL_PROGRAMS)[number]['name']}.wgsl`;

const PROGRAM_BY_SHADER = new Map<string, Program<never>>(PROGRAMS.map((p) => [shaderFile(p), p]));

/** The program a plan's dispatch runs. */
export function programOf(plan: Pick<ProgramPlan, 'shader'>): Program<never> {
  const program = PROGRAM_BY_SHADER.get(plan.shader);
  if (!program) throw new Error(`internal: no program runs ${plan.shader}`);
  return program;
}

/** Bytes of the fault status an unpooling (or any index-reading) kernel writes: two u32 words. */
export const STATUS_BYTES = 8;

/** Bytes of a program's params uniform at most (a slot of the executor's uniform arena). */
export const MAX_UNIFORM_BYTES = 256;

export function limitsOf(device: GPUDevice): PlanLimits {
  const { maxComputeWorkgroupsPerDimension, maxStorageBufferBindingSize, maxBufferSize } = device.limits;
  return { maxComputeWorkgroupsPerDimension, maxStorageBufferBindingSize, maxBufferSize };
}

export interface PlanContext {
  limits: PlanLimits;
  /** Rows per invocation and workgroup counts (see src/launch.ts); default 'emulated'. */
  launch?: LaunchProfile;
  /** false: general kernels only. Default true. */
  specialised?: boolean;
  /** For operations that read indices: the pooling that produced them (see RecordOptions.pooledBy). */
  pooledBy?: PoolGeometry;
  /** How the operation's float tensors (values, gradients) are stored; default 'float32'. */
  float?: FloatStorage;
}

/** Bytes of `count` float elements: 4 each for float32; 2 each for float16, in whole 32-bit words. */
export function floatBytes(storage: FloatStorage | undefined, count: number): number {
  return !storage || storage === 'float32' ? count * 4 : Math.ceil(count / 2) * 4;
}

/** A buffer the caller provides (a tensor): at least `bytes` long, with STORAGE usage. */
export interface BufferNeed {
  role: string;
  bytes: number;
}

/** A buffer the operation allocates for itself. */
export interface ScratchPlan {
  role: string;
  label: string;
  bytes: number;
  usage: number;
}

/**
 * One dispatch, as plain data: a program (named by its kernel file), its pipeline's storage and
 * constants, its params, its bindings by role, its grid.
 */
export interface ProgramPlan {
  label: string;
  /** The program's kernel file, shaders/<name>.wgsl (see `programOf`). */
  shader: ShaderName;
  constants: Record<string, number>;
  /** The float storage the program is compiled for ('float32' for programs that move no float data). */
  float: FloatStorage;
  /** Holds exactly what changes the compiled pipeline: the program, its storage's text and its constants. */
  cacheKey: string;
  /** The buffer role of each binding, by binding number; the uniform binding's role is 'params' (`uniform`). */
  bindings: string[];
  /** The words of the program's params uniform (its declared fields), or null when it has none. */
  uniform: Uint32Array<ArrayBuffer> | null;
  grid: [number, number, number];
}

export interface OperationPlan {
  op: string;
  needs: BufferNeed[];
  scratch: ScratchPlan[];
  /** Zero-filled (clearBuffer) before the pass. */
  clears: { role: string; bytes: number }[];
  /** Recorded in one compute pass, in order. */
  programs: ProgramPlan[];
}

/** The pipeline cache key of a program on a float storage with its constants. */
export function cacheKeyOf(program: Program<never>, constants: Record<string, number>, float: FloatStorage = 'float32'): string {
  const storage = storageKey(program, float);
  let key = storage === 'float32' ? program.name : `${program.name}|${storage}`;
  key += '|';
  for (const name in constants) key += `${name}=${constants[name]},`;
  return key;
}

/**
 * A program's dispatch: `roles` names the buffer of each binding other than the params uniform, in
 * binding order; `fields` gives the values of its params.
 */
export function programPlan(
  label: string,
  program: Program<never>,
  launch: Launch,
  float: FloatStorage,
  roles: readonly string[],
  fields?: Readonly<Record<string, number>>,
): ProgramPlan {
  let next = 0;
  const bindings = program.bindings.map((b) => (b.kind === 'uniform' ? 'params' : roles[next++]));
  if (next !== roles.length || bindings.includes(undefined as never)) {
    throw new Error(`internal: ${program.name} has ${next} buffer bindings, given roles ${show(roles)}`);
  }
  const storage = hasFloats(program) ? float : 'float32';
  return {
    label,
    shader: shaderFile(program) as ShaderName,
    constants: launch.constants,
    float: storage,
    cacheKey: cacheKeyOf(program, launch.constants, storage),
    bindings,
    uniform: program.uniforms.length > 0 ? packFields(program.uniforms, fields ?? {}) : null,
    grid: launch.grid,
  };
}

/** The first candidate that applies (only the general ones when `specialised` is false). */
function choose<G>(candidates: readonly Program<G>[], geometry: G, facts: DeviceFacts, specialised: boolean): { program: Program<G>; launch: Launch } {
  for (const program of candidates) {
    if (!specialised && !program.general) continue;
    const launch = program.applies!(geometry, facts);
    if (launch) return { program, launch };
  }
  throw new Error(`internal: no program applies (candidates ${candidates.map((p) => p.name).join(', ')})`);
}

/** A fixed pass of one invocation per item of a flat count. */
function flatPass(label: string, program: Program<FlatWork>, op: string, count: number, facts: DeviceFacts, roles: readonly string[], fields?: Record<string, number>): ProgramPlan {
  return programPlan(label, program as Program<never>, program.applies!({ op, count }, facts)!, facts.float, roles, fields);
}

/**
 * Copies the first bad element's index next to its position in the status (index_fault.wgsl);
 * `packedTaps`: the indices are 'window' taps, one byte each.
 */
function faultPass(op: string, facts: DeviceFacts, packedTaps = false): ProgramPlan {
  return programPlan(`${op}: index_fault`, indexFault as Program<never>, indexFault.applies!({ packedTaps }, facts)!, facts.float, ['indices', 'status']);
}

function deviceFacts(context: PlanContext): DeviceFacts {
  return { limits: context.limits, launch: context.launch ?? LAUNCH_PROFILES.emulated, float: context.float ?? 'float32' };
}

/**
 * Bytes of `count` 'window' indices: one each, packed four to a 32-bit word, in whole 16-byte blocks
 * (the tiled kernels read them as vec4s of words).
 */
export function windowIndexBytes(count: number): number {
  return Math.ceil(count / 16) * 16;
}

/** The same geometry with 'spatial' indices: what the kernels see once 'window' taps are converted. */
function asSpatial<G extends PoolGeometry | UnpoolGeometry>(g: G): G {
  return g.indexFormat === 'window' ? { ...g, indexFormat: 'spatial' } : g;
}

/**
 * The pooling windows that an unpooling's 'window' taps number: the pooled size is the unpooling's
 * input, the pooling input its output.
 */
function unpoolWindows(g: UnpoolGeometry): PoolGeometry {
  return {
    op: g.op, rank: g.rank, layout: g.layout, indexFormat: 'spatial', batch: g.batch, channels: g.channels,
    inSpatial: g.outSpatial, outSpatial: g.inSpatial, kernel: g.kernel, stride: g.stride,
    padBegin: g.padBegin, padEnd: g.padEnd, dilation: g.dilation, ceilMode: false, nan: 'propagate',
  };
}

/**
 * Whether 'window' taps from pooling `source` are read with the same windows: then they lie inside
 * their own windows, and the single-pass gathers apply.
 */
function sameWindows(windows: PoolGeometry, source: PoolGeometry | undefined): boolean {
  return (
    source !== undefined &&
    source.indexFormat === 'window' &&
    (['kernel', 'stride', 'padBegin', 'dilation'] as const).every((key) => sameList(windows[key], source[key]))
  );
}

/**
 * Runs a plan of an index-reading operation on 'window' taps: where its one program reads taps
 * directly (taps from this very pooling, which none can be invalid), with WINDOW_TAPS; otherwise
 * window_indices_unpack.wgsl first turns the taps into spatial indices (scratch), faulting on bad
 * taps, the spatial plan's programs read those, and its fault pass reports the tap itself.
 */
function readingWindowTaps(plan: OperationPlan, windows: PoolGeometry, pooledCount: number, facts: DeviceFacts): OperationPlan {
  const op = plan.op;
  const needs = plan.needs.map((need) => (need.role === 'indices' ? { role: 'indices', bytes: windowIndexBytes(pooledCount) } : need));
  const only = plan.programs.length === 1 ? plan.programs[0] : null;
  if (only && programOf(only).windowTaps) {
    const constants = { ...only.constants, WINDOW_TAPS: 1 };
    return finishPlan({ ...plan, needs, programs: [{ ...only, constants, cacheKey: cacheKeyOf(programOf(only), constants, only.float) }] }, facts.limits);
  }
  const unpack = flatPass(`${op}: window_indices_unpack`, windowIndicesUnpack, op, Math.ceil(pooledCount / 4), facts, ['indices', 'spatialIndices', 'status'], poolFieldValues(windows));
  const programs = plan.programs
    .filter((p) => p.shader !== 'index_fault.wgsl')
    .map((p) => ({ ...p, bindings: p.bindings.map((role) => (role === 'indices' ? 'spatialIndices' : role)) }));
  return finishPlan(
    {
      op,
      needs,
      scratch: [...plan.scratch, { role: 'spatialIndices', label: `${op} spatial indices`, bytes: pooledCount * 4, usage: BufferUsage.STORAGE }],
      clears: plan.clears,
      programs: [unpack, ...programs, faultPass(op, facts, true)],
    },
    facts.limits,
  );
}

/**
 * Completes a plan and checks it against the device's limits: adds the clears its programs need (the
 * bindings they declare zeroed, and the float buffers packed float16 stores into with atomicOr),
 * refuses any buffer over the binding or buffer size with the limit's name, before any GPU work.
 */
export function finishPlan(plan: OperationPlan, limits: PlanLimits): OperationPlan {
  const sizes = new Map<string, { bytes: number; storage: boolean }>();
  for (const need of plan.needs) sizes.set(need.role, { bytes: need.bytes, storage: true });
  for (const s of plan.scratch) sizes.set(s.role, { bytes: s.bytes, storage: (s.usage & BufferUsage.STORAGE) !== 0 });
  for (const [role, { bytes, storage }] of sizes) {
    if (storage && bytes > limits.maxStorageBufferBindingSize) {
      throw new RangeError(`${plan.op}: ${role} needs ${bytes} bytes, more than this device's maxStorageBufferBindingSize (${limits.maxStorageBufferBindingSize})`);
    }
    if (bytes > limits.maxBufferSize) {
      throw new RangeError(`${plan.op}: ${role} needs ${bytes} bytes, more than this device's maxBufferSize (${limits.maxBufferSize})`);
    }
  }
  const clears = [...plan.clears];
  for (const p of plan.programs) {
    for (const role of p.bindings) {
      if (role !== 'params' && !sizes.has(role)) throw new Error(`${plan.op}: internal: program ${p.label} binds unknown buffer ${role}`);
    }
    if (p.uniform && p.uniform.byteLength > MAX_UNIFORM_BYTES) throw new Error(`${plan.op}: internal: ${p.label} has ${p.uniform.byteLength} bytes of params`);
    if (p.grid.some((n) => !Number.isInteger(n) || n < 1 || n > limits.maxComputeWorkgroupsPerDimension)) {
      throw new RangeError(`${plan.op}: grid ${show(p.grid)} does not fit maxComputeWorkgroupsPerDimension (${limits.maxComputeWorkgroupsPerDimension})`);
    }
    const program = programOf(p);
    const zeroed = [...(program.zeroed ?? []), ...atomicFloatWrites(program, p.float)];
    for (const name of zeroed) {
      const role = p.bindings[program.bindings.findIndex((b) => b.name === name)];
      if (!clears.some((c) => c.role === role)) clears.push({ role, bytes: sizes.get(role)!.bytes });
    }
  }
  return { ...plan, clears };
}

/** Max pooling with indices: one pass writes both outputs ('window' taps: packed from spatial indices after it). */
export function planMaxPool(geometry: PoolGeometry, context: PlanContext): OperationPlan {
  const op = geometry.op;
  const facts = deviceFacts(context);
  const outputCount = elements(geometry, geometry.outSpatial);
  const windowed = geometry.indexFormat === 'window';
  const fields = poolFieldValues(asSpatial(geometry));
  const { program, launch } = choose(POOLING_CANDIDATES, geometry, facts, context.specialised !== false);
  const programs = [programPlan(`${op}: ${program.name}`, program as Program<never>, launch, facts.float, ['input', 'values', windowed ? 'spatialIndices' : 'indices'], fields)];
  const scratch: ScratchPlan[] = [];
  if (windowed) {
    scratch.push({ role: 'spatialIndices', label: `${op} spatial indices`, bytes: outputCount * 4, usage: BufferUsage.STORAGE });
    programs.push(flatPass(`${op}: window_indices_pack`, windowIndicesPack, op, Math.ceil(outputCount / 4), facts, ['spatialIndices', 'indices'], fields));
  }
  return finishPlan(
    {
      op,
      needs: [
        { role: 'input', bytes: floatBytes(facts.float, elements(geometry, geometry.inSpatial)) },
        { role: 'values', bytes: floatBytes(facts.float, outputCount) },
        { role: 'indices', bytes: windowed ? windowIndexBytes(outputCount) : outputCount * 4 },
      ],
      scratch,
      clears: [],
      programs,
    },
    context.limits,
  );
}

/**
 * Max unpooling. Indices known to come from a pooling whose input is this unpooling's output (and
 * fill 'zero'): a window gather, no faults possible. Otherwise a deterministic general scatter: clear
 * the owner map and the status, let every pooled element claim its target (the last in memory order
 * wins), write every output element once, and complete the fault status.
 */
export function planMaxUnpool(geometry: UnpoolGeometry, context: PlanContext): OperationPlan {
  const facts = deviceFacts(context);
  if (geometry.indexFormat === 'window') {
    const windows = unpoolWindows(geometry);
    const pooledBy = sameWindows(windows, context.pooledBy) ? asSpatial(context.pooledBy!) : undefined;
    const plan = planMaxUnpool(asSpatial(geometry), { ...context, pooledBy });
    return readingWindowTaps(plan, windows, elements(geometry, geometry.inSpatial), facts);
  }
  const op = geometry.op;
  const pooledCount = elements(geometry, geometry.inSpatial);
  const outputCount = elements(geometry, geometry.outSpatial);
  const needs = [
    { role: 'values', bytes: floatBytes(facts.float, pooledCount) },
    { role: 'indices', bytes: pooledCount * 4 },
    { role: 'output', bytes: floatBytes(facts.float, outputCount) },
    { role: 'status', bytes: STATUS_BYTES },
  ];
  const clears = [{ role: 'status', bytes: STATUS_BYTES }];
  const source = context.specialised === false ? undefined : context.pooledBy;
  if (source && geometry.fill === 'zero' && unpoolsPooling(geometry, source)) {
    const { program, launch } = choose(WINDOW_GATHER_CANDIDATES, { op, pooling: source, gradient: false }, facts, true);
    const gather = programPlan(`${op}: ${program.name}`, program as Program<never>, launch, facts.float, ['values', 'indices', 'output'], poolFieldValues(source));
    return finishPlan({ op, needs, scratch: [], clears, programs: [gather] }, context.limits);
  }
  if (geometry.fill !== 'zero') {
    // max_unpool_write.wgsl forms (2*dst + 1) * in = q * (2*out) + r exactly, which needs 2*out < 2^31.
    const largest = Math.max(...geometry.outSpatial);
    if (2 * largest >= 2 ** 31) {
      throw new RangeError(`${op}: fill '${geometry.fill}' supports output sizes below 2^30, got ${show(geometry.outSpatial)}`);
    }
  }
  const fields = unpoolFieldValues(geometry);
  return finishPlan(
    {
      op,
      needs,
      scratch: [{ role: 'owner', label: `${op} owner map`, bytes: outputCount * 4, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST }],
      clears,
      programs: [
        flatPass(`${op}: max_unpool_claim`, maxUnpoolClaim, op, pooledCount, facts, ['indices', 'owner', 'status'], fields),
        flatPass(`${op}: max_unpool_write`, maxUnpoolWrite, op, outputCount, facts, ['values', 'owner', 'output'], fields),
        faultPass(op, facts),
      ],
    },
    context.limits,
  );
}

/**
 * Gradient of max pooling: a check that every index lies inside its own window (skipped for indices
 * from this very pooling), then a gather in which each input element sums the gradients of the
 * outputs that chose it. `geometry` is the forward pooling's (input shape and options).
 */
export function planMaxPoolBackward(geometry: PoolGeometry, context: PlanContext): OperationPlan {
  const facts = deviceFacts(context);
  if (geometry.indexFormat === 'window') {
    const windows = asSpatial(geometry);
    const pooledBy = sameWindows(windows, context.pooledBy) ? asSpatial(context.pooledBy!) : undefined;
    const plan = planMaxPoolBackward(windows, { ...context, pooledBy });
    return readingWindowTaps(plan, windows, elements(geometry, geometry.outSpatial), facts);
  }
  const op = geometry.op;
  const pooledCount = elements(geometry, geometry.outSpatial);
  const inputCount = elements(geometry, geometry.inSpatial);
  const fields = poolFieldValues(geometry);
  const { program, launch } = choose(WINDOW_GATHER_CANDIDATES, { op, pooling: geometry, gradient: true }, facts, context.specialised !== false);
  const gather = programPlan(`${op}: ${program.name}`, program as Program<never>, launch, facts.float, ['gradOutput', 'indices', 'gradInput'], fields);
  const source = context.specialised === false ? undefined : context.pooledBy;
  const programs =
    source && samePooling(geometry, source)
      ? [gather]
      : [flatPass(`${op}: max_pool_backward_check`, maxPoolBackwardCheck, op, pooledCount, facts, ['indices', 'status'], fields), gather, faultPass(op, facts)];
  return finishPlan(
    {
      op,
      needs: [
        { role: 'gradOutput', bytes: floatBytes(facts.float, pooledCount) },
        { role: 'indices', bytes: pooledCount * 4 },
        { role: 'gradInput', bytes: floatBytes(facts.float, inputCount) },
        { role: 'status', bytes: STATUS_BYTES },
      ],
      scratch: [],
      clears: [{ role: 'status', bytes: STATUS_BYTES }],
      programs,
    },
    context.limits,
  );
}

/** Gradient of max unpooling with respect to the pooled values: a gather at each index. */
export function planMaxUnpoolBackward(geometry: UnpoolGeometry, context: PlanContext): OperationPlan {
  const facts = deviceFacts(context);
  if (geometry.indexFormat === 'window') {
    const plan = planMaxUnpoolBackward(asSpatial(geometry), context);
    return readingWindowTaps(plan, unpoolWindows(geometry), elements(geometry, geometry.inSpatial), facts);
  }
  const op = geometry.op;
  const pooledCount = elements(geometry, geometry.inSpatial);
  return finishPlan(
    {
      op,
      needs: [
        { role: 'gradOutput', bytes: floatBytes(facts.float, elements(geometry, geometry.outSpatial)) },
        { role: 'indices', bytes: pooledCount * 4 },
        { role: 'gradValues', bytes: floatBytes(facts.float, pooledCount) },
        { role: 'status', bytes: STATUS_BYTES },
      ],
      scratch: [],
      clears: [{ role: 'status', bytes: STATUS_BYTES }],
      programs: [
        flatPass(`${op}: max_unpool_backward`, maxUnpoolBackward, op, pooledCount, facts, ['gradOutput', 'indices', 'gradValues', 'status'], unpoolFieldValues(geometry)),
        faultPass(op, facts),
      ],
    },
    context.limits,
  );
}

/**
 * ONNX's int64 indices from argpool's int32 'flat' ones: `count` indices of a pooling whose input has
 * the spatial size `inSpatial`, column-major in the spatial part when `columnMajor` (ONNX's
 * storage_order 1). Buffers: 'indices' (int32) and 'wide' (int64, two u32 words each).
 */
export function planWidenIndices(limits: PlanLimits, count: number, inSpatial: readonly number[], columnMajor: boolean): OperationPlan {
  const op = 'widen indices to int64';
  const facts: DeviceFacts = { limits, launch: LAUNCH_PROFILES.emulated, float: 'float32' };
  const [in_d, in_h, in_w] = [1, 1, 1, ...inSpatial].slice(-3);
  const program = programPlan(op, onnxIndicesWiden as Program<never>, onnxIndicesWiden.applies!({ op, count, columnMajor }, facts)!, 'float32', ['indices', 'wide'], { count, in_d, in_h, in_w });
  return finishPlan({ op, needs: [{ role: 'indices', bytes: count * 4 }, { role: 'wide', bytes: count * 8 }], scratch: [], clears: [], programs: [program] }, limits);
}

/** argpool's int32 indices from `count` int64 ones ('wide'); a value outside int32 becomes -1, which names no element. */
export function planNarrowIndices(limits: PlanLimits, count: number): OperationPlan {
  const op = 'narrow indices to int32';
  const facts: DeviceFacts = { limits, launch: LAUNCH_PROFILES.emulated, float: 'float32' };
  const program = programPlan(op, onnxIndicesNarrow as Program<never>, onnxIndicesNarrow.applies!({ op, count }, facts)!, 'float32', ['wide', 'indices'], { count });
  return finishPlan({ op, needs: [{ role: 'wide', bytes: count * 8 }, { role: 'indices', bytes: count * 4 }], scratch: [], clears: [], programs: [program] }, limits);
}

/** Whether an unpooling puts back exactly what a pooling took: its output is that pooling's input. */
function unpoolsPooling(unpool: UnpoolGeometry, pool: PoolGeometry): boolean {
  return (
    unpool.layout === pool.layout &&
    unpool.indexFormat === pool.indexFormat &&
    unpool.batch === pool.batch &&
    unpool.channels === pool.channels &&
    sameList(unpool.inSpatial, pool.outSpatial) &&
    sameList(unpool.outSpatial, pool.inSpatial)
  );
}

/** Whether two pooling geometries describe the same windows over the same input. */
function samePooling(a: PoolGeometry, b: PoolGeometry): boolean {
  return (
    a.layout === b.layout &&
    a.indexFormat === b.indexFormat &&
    a.batch === b.batch &&
    a.channels === b.channels &&
    (['inSpatial', 'outSpatial', 'kernel', 'stride', 'padBegin', 'dilation'] as const).every((key) => sameList(a[key], b[key]))
  );
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
