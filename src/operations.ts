/**
 * Operations on tensors: check the arguments, plan (every other check, src/plan.ts), reserve a timed
 * pass if a measurement runs, then allocate the results and record. Nothing after planning throws,
 * so a refused call leaves the batch and every earlier result as they were.
 */
import { carriedFaults, invalidIndex, invalidTap, newFault, poolBackwardFault } from './faults.js';
import type { LaunchProfile } from './launch.js';
import {
  joinShape,
  opName,
  product,
  resolvePoolBackwardGeometry,
  resolvePoolGeometry,
  resolveUnpoolBackwardGeometry,
  resolveUnpoolGeometry,
  type IndexFormat,
  type PoolBackwardOptions,
  type PoolGeometry,
  type PoolOptions,
  type SpatialRank,
  type UnpoolGeometry,
  type UnpoolOptions,
} from './options.js';
import { floatBytes, planMaxPool, planMaxPoolBackward, planMaxUnpool, planMaxUnpoolBackward, type OperationPlan, type PlanContext, limitsOf, windowIndexBytes } from './plan.js';
import type { PreparedPlan } from './executor.js';
import type { Profiler } from './profiling.js';
import { faultBinding, type Session } from './session.js';
import type { FloatStorage } from './shaders.js';
import { Tensor, type DType, type FloatDType, type IndexDType, type TensorHost } from './tensor.js';

/**
 * Pooling results: values of the input's dtype, and int32 indices, or uint8 taps for indexFormat
 * 'window' (see `WindowPoolResult`).
 */
export interface PoolResult<I extends IndexDType = 'int32', F extends FloatDType = 'float32'> {
  values: Tensor<F>;
  indices: Tensor<I>;
}

export type WindowPoolResult<F extends FloatDType = 'float32'> = PoolResult<'uint8', F>;

/** The float dtype of a values tensor's type; both float dtypes when the type does not say which. */
export type FloatOf<T> = T extends Tensor<infer D> ? ([D] extends ['float32'] ? 'float32' : [D] extends ['float16'] ? 'float16' : FloatDType) : FloatDType;

/**
 * The dtype of the indices that pooling with options of type O returns: 'uint8' for indexFormat
 * 'window', 'int32' for the other formats and when O has no indexFormat, both when O allows either.
 */
export type IndexOf<O> = O extends { indexFormat: 'window' }
  ? 'uint8'
  : 'indexFormat' extends keyof O
    ? 'window' extends O['indexFormat' & keyof O]
      ? IndexDType
      : 'int32'
    : 'int32';

/** Checks that `tensor` holds values (float32 or float16) and returns its dtype. */
function floatDType(op: string, argument: string, tensor: Tensor): FloatDType {
  if (tensor.dtype === 'float32' || tensor.dtype === 'float16') return tensor.dtype;
  throw new TypeError(`${op}: ${argument} must be a float32 or float16 tensor, got ${tensor.dtype}`);
}

/**
 * Refuses mixed float dtypes: indices from a pooling remember the dtype of the values it pooled, and
 * the values or gradients that go with them must have that dtype.
 */
function checkSameFloat(op: string, argument: string, dtype: FloatDType, indices: Tensor): void {
  const pooled = indices.pooledDType;
  if (pooled && pooled !== dtype) {
    throw new TypeError(
      `${op}: ${argument} is ${dtype} but indices come from a pooling of ${pooled} values; mixed float dtypes are not supported (pass ${pooled} ${argument})`,
    );
  }
}

/** How this context stores tensors of a float dtype. */
function storageOf(host: OperationHost, dtype: FloatDType): FloatStorage {
  return dtype === 'float16' ? host.float16 : 'float32';
}

/** The plan cache's kind of an operation on a float storage (float32 keeps the bare kind). */
function floatKind(kind: string, storage: FloatStorage): string {
  return storage === 'float32' ? kind : `${kind}@${storage}`;
}

/** The dtype of the indices of an index format. */
function indexDType(format: IndexFormat): 'int32' | 'uint8' {
  return format === 'window' ? 'uint8' : 'int32';
}

/** Checks the indices tensor's dtype against the index format (uint8 for 'window', int32 otherwise). */
function checkIndexDType(op: string, indices: Tensor, format: IndexFormat): void {
  const dtype = indexDType(format);
  if (indices.dtype === dtype) return;
  if (format === 'window') throw new TypeError(`${op}: indices must be a uint8 tensor for indexFormat 'window', got ${indices.dtype}`);
  const hint = indices.dtype === 'uint8' ? " (uint8 taps need indexFormat 'window')" : '';
  throw new TypeError(`${op}: indices must be a int32 tensor, got ${indices.dtype}${hint}`);
}

/** What an operation needs from its context. */
export interface OperationHost {
  session: Session;
  profiler: Profiler;
  specialised: boolean;
  launch: LaunchProfile;
  /** The owner of the tensors (ArgPool). */
  owner: TensorHost;
  /**
   * Recent calls by options object (see `CallMemo`). Kept by the context, so an options object that
   * outlives the context does not keep it, or its device, alive.
   */
  memos: CallMemos;
  /** The options objects of recent calls (see `seenRecently`). */
  recentOptions: RecentOptions;
  /** How float16 tensors are stored: native where the device has 'shader-f16' (unless forced packed). */
  float16: 'float16-packed' | 'float16-native';
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return `${typeof value} ${String(value)}`;
}

export function checkTensor(host: OperationHost, op: string, argument: string, tensor: Tensor, dtype?: DType): void {
  if (!(tensor instanceof Tensor)) {
    throw new TypeError(`${op}: ${argument} must be a Tensor from this ArgPool, got ${describeValue(tensor)}`);
  }
  if (tensor.host !== host.owner) throw new Error(`${op}: ${argument} belongs to another ArgPool`);
  if (tensor.destroyed) throw new Error(`${op}: ${argument} has been destroyed`);
  if (dtype && tensor.dtype !== dtype) {
    throw new TypeError(`${op}: ${argument} must be a ${dtype} tensor, got ${tensor.dtype}`);
  }
}

function planContext(host: OperationHost, float: FloatStorage, indices?: Tensor): PlanContext {
  return {
    limits: limitsOf(host.session.device),
    launch: host.launch,
    specialised: host.specialised,
    pooledBy: indices?.pooledBy,
    float,
  };
}

/**
 * The key of a plan in the device's cache: the operation, every field of its geometry, and what the
 * context adds (kernel choice, launch profile, the pooling that produced the indices). The device's
 * limits are the executor's own, so they need no place in it.
 */
export function planKey(kind: string, host: Pick<OperationHost, 'specialised' | 'launch'>, geometry: PoolGeometry | UnpoolGeometry, pooledBy?: PoolGeometry): string {
  const context = `${host.specialised ? 's' : 'g'}${host.launch.name}`;
  return pooledBy ? `${kind}|${context}|${geometryKey(geometry)}|${geometryKey(pooledBy)}` : `${kind}|${context}|${geometryKey(geometry)}`;
}

/** Keys of geometries already keyed: the pooling behind a tensor's indices is keyed when it runs. */
const geometryKeys = new WeakMap<PoolGeometry | UnpoolGeometry, string>();

/**
 * Every field of a geometry, in the resolver's order (arrays as comma lists). Built by hand: this runs
 * for every call, and concatenation is several times faster than `Object.values(g).join('|')`.
 */
function geometryKey(geometry: PoolGeometry | UnpoolGeometry): string {
  let key = geometryKeys.get(geometry);
  if (key !== undefined) return key;
  key = '';
  const fields = geometry as unknown as Record<string, string | number | boolean | readonly number[]>;
  for (const name in fields) {
    const value = fields[name];
    if (typeof value === 'object') {
      for (let i = 0; i < value.length; i++) key += `${value[i]},`;
      key += '|';
    } else key += `${value}|`;
  }
  geometryKeys.set(geometry, key);
  return key;
}

/**
 * The last call made with an options object, so that a loop passing the same options to the same
 * shapes skips resolving them and building the plan key again. It is used only while everything the
 * resolver read is unchanged: the same operation, context, input shapes, pooling behind the indices,
 * and options equal key for key and element for element (mutating the object in place, adding a
 * key or changing an array is noticed), and while its plan is still cached. Anything else resolves
 * and checks the call from the start.
 */
interface CallMemo<G> {
  kind: string;
  shapes: (readonly number[])[];
  pooledBy: PoolGeometry | undefined;
  keys: string[];
  /** Each key's value: a primitive, or a copy of an array of numbers. */
  values: unknown[];
  geometry: G;
  plan: PreparedPlan;
}

/** Memos of one options object, newest first (one loop may pass it to several operations and shapes). */
export type CallMemos = WeakMap<object, CallMemo<unknown>[]>;

/** Memos kept per options object. */
const MEMOS_PER_OPTIONS = 8;

/** A copy of the options' values for `CallMemo`, or null when they hold something else than primitives and arrays of numbers. */
function snapshotOptions(options: object): { keys: string[]; values: unknown[] } | null {
  const proto = Object.getPrototypeOf(options);
  if (proto !== Object.prototype && proto !== null) return null;
  const keys = Object.keys(options);
  const values: unknown[] = [];
  for (const key of keys) {
    const value = (options as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      if (!value.every((v) => typeof v === 'number')) return null;
      values.push(value.slice());
    } else if (value !== null && typeof value === 'object') return null;
    else if (typeof value === 'function') return null;
    else values.push(value);
  }
  return { keys, values };
}

function sameShapes(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  }
  return true;
}

function sameOptions(options: object, memo: CallMemo<unknown>): boolean {
  const { keys, values } = memo;
  let count = 0;
  for (const key in options) {
    if (!Object.prototype.hasOwnProperty.call(options, key)) return false;
    count++;
  }
  if (count !== keys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const value = (options as Record<string, unknown>)[keys[i]];
    const known = values[i];
    if (Array.isArray(known)) {
      if (!Array.isArray(value) || value.length !== known.length) return false;
      for (let j = 0; j < known.length; j++) if (value[j] !== known[j]) return false;
    } else if (value !== known) return false;
  }
  return true;
}

/** The memo of an earlier call that this one repeats exactly, or undefined. */
function recall<G>(kind: string, host: Pick<OperationHost, 'memos'>, options: unknown, shapes: (readonly number[])[], pooledBy?: PoolGeometry): CallMemo<G> | undefined {
  if (options === null || typeof options !== 'object') return undefined;
  const memos = host.memos.get(options);
  if (memos === undefined) return undefined;
  for (const memo of memos) {
    if (memo.kind === kind && memo.pooledBy === pooledBy && !memo.plan.evicted && sameShapes(shapes, memo.shapes)) {
      return sameOptions(options, memo) ? (memo as CallMemo<G>) : undefined;
    }
  }
  return undefined;
}

/** Remembers a call that resolved and planned without error (see `CallMemo`). */
function remember<G>(kind: string, host: Pick<OperationHost, 'memos'>, options: unknown, shapes: (readonly number[])[], pooledBy: PoolGeometry | undefined, geometry: G, plan: PreparedPlan): void {
  if (options === null || typeof options !== 'object') return;
  const snapshot = snapshotOptions(options);
  if (!snapshot) return;
  const memo: CallMemo<unknown> = { kind, shapes: shapes.map((shape) => shape.slice()), pooledBy, ...snapshot, geometry, plan };
  // Memos made from an older state of the options are dropped; the rest stay, newest first.
  const kept = (host.memos.get(options) ?? []).filter(
    (m) => !m.plan.evicted && sameOptions(options, m) && !(m.kind === kind && m.pooledBy === pooledBy && sameShapes(shapes, m.shapes)),
  );
  host.memos.set(options, [memo, ...kept].slice(0, MEMOS_PER_OPTIONS));
}

/**
 * Resolves the geometry and prepares the plan of a call, or takes both from the memo of an identical
 * earlier call.
 */
function resolveAndPrepare<G extends PoolGeometry | UnpoolGeometry>(
  host: OperationHost,
  kind: string,
  options: unknown,
  shapes: (readonly number[])[],
  pooledBy: PoolGeometry | undefined,
  resolve: () => G,
  plan: (geometry: G) => OperationPlan,
): { geometry: G; plan: PreparedPlan } {
  const memo = recall<G>(kind, host, options, shapes, pooledBy);
  if (memo) return memo;
  const geometry = resolve();
  const prepared = host.session.prepare(planKey(kind.split('|')[0], host, geometry, pooledBy), () => plan(geometry));
  // Options written in the call are a new object every time: remembering those would only cost.
  // An object seen among the last few calls' options is one that a loop passes again.
  if (seenRecently(host, options)) remember(kind, host, options, shapes, pooledBy, geometry, prepared);
  return { geometry, plan: prepared };
}

/** Options objects of the last calls that were not recognised, newest overwriting oldest. */
export interface RecentOptions {
  objects: unknown[];
  next: number;
}

/** How many unrecognised options objects a context keeps in view. */
const RECENT_OPTIONS = 16;

/** Whether `options` was passed to one of the last calls; notes it for the next ones if not. */
function seenRecently(host: Pick<OperationHost, 'recentOptions'>, options: unknown): boolean {
  const recent = host.recentOptions;
  if (recent.objects.includes(options)) return true;
  recent.objects[recent.next] = options;
  recent.next = (recent.next + 1) % RECENT_OPTIONS;
  return false;
}

export function maxPool(host: OperationHost, base: string, input: Tensor, options: PoolOptions, rank?: SpatialRank): PoolResult<IndexDType, FloatDType> {
  const op = opName(base, rank ?? input?.shape?.length - 2);
  const { session } = host;
  session.checkUsable(op);
  checkTensor(host, op, 'input', input);
  const dtype = floatDType(op, 'input', input);
  const float = storageOf(host, dtype);
  const { geometry, plan } = resolveAndPrepare(
    host, `${floatKind('maxPool', float)}|${base}|${rank}`, options, [input.shape], undefined,
    () => resolvePoolGeometry(base, input.shape, options, rank),
    (g) => planMaxPool(g, planContext(host, float)),
  );
  const timestampWrites = host.profiler.reservePass(op);
  const outShape = joinShape(geometry.batch, geometry.channels, geometry.outSpatial, geometry.layout);
  const count = product(outShape);
  const windowed = geometry.indexFormat === 'window';
  const values = session.allocateStorage(`${op} values`, floatBytes(float, count));
  const indices = session.allocateStorage(`${op} indices`, windowed ? windowIndexBytes(count) : count * 4);
  session.record(plan, { input: input.buffer, values, indices }, timestampWrites);
  return {
    values: new Tensor(host.owner, values, outShape, dtype, true, input.faults),
    indices: new Tensor(host.owner, indices, outShape, indexDType(geometry.indexFormat), true, input.faults, geometry, dtype),
  };
}

export function maxUnpool(host: OperationHost, base: string, values: Tensor, indices: Tensor, options: UnpoolOptions, rank?: SpatialRank): Tensor<FloatDType> {
  const op = opName(base, rank ?? values?.shape?.length - 2);
  const { session } = host;
  session.checkUsable(op);
  checkTensor(host, op, 'values', values);
  checkTensor(host, op, 'indices', indices);
  const dtype = floatDType(op, 'values', values);
  const float = storageOf(host, dtype);
  checkSameFloat(op, 'values', dtype, indices);
  const { geometry, plan } = resolveAndPrepare(
    host, `${floatKind('maxUnpool', float)}|${base}|${rank}`, options, [values.shape, indices.shape], indices.pooledBy,
    () => {
      const g = resolveUnpoolGeometry(base, values.shape, indices.shape, options, rank);
      checkIndexDType(op, indices, g.indexFormat);
      return g;
    },
    (g) => planMaxUnpool(g, planContext(host, float, indices)),
  );
  checkIndexDType(op, indices, geometry.indexFormat);
  const timestampWrites = host.profiler.reservePass(op);
  const outShape = joinShape(geometry.batch, geometry.channels, geometry.outSpatial, geometry.layout);
  const output = session.allocateStorage(`${op} output`, floatBytes(float, product(outShape)));
  const outVolume = product(geometry.outSpatial);
  const fault = newFault(session, indices, geometry.layout, (index, where) =>
    geometry.indexFormat === 'window'
      ? invalidTap(op, index, where, geometry.kernel, 'unpooled output', geometry.outSpatial)
      : invalidIndex(op, index, where, outVolume),
  );
  session.record(plan, { values: values.buffer, indices: indices.buffer, output, status: faultBinding(fault) }, timestampWrites);
  return new Tensor(host.owner, output, outShape, dtype, true, carriedFaults([values, indices], fault));
}

export function maxPoolBackward(host: OperationHost, gradOutput: Tensor, indices: Tensor, options: PoolBackwardOptions): Tensor<FloatDType> {
  const op = opName('maxPoolBackward', options?.inputShape?.length - 2);
  const { session } = host;
  session.checkUsable(op);
  checkTensor(host, op, 'gradOutput', gradOutput);
  checkTensor(host, op, 'indices', indices);
  const dtype = floatDType(op, 'gradOutput', gradOutput);
  const float = storageOf(host, dtype);
  checkSameFloat(op, 'gradOutput', dtype, indices);
  const { geometry, plan } = resolveAndPrepare(
    host, floatKind('maxPoolBackward', float), options, [gradOutput.shape, indices.shape], indices.pooledBy,
    () => {
      const g = resolvePoolBackwardGeometry(gradOutput.shape, indices.shape, options);
      checkIndexDType(op, indices, g.indexFormat);
      return g;
    },
    (g) => planMaxPoolBackward(g, planContext(host, float, indices)),
  );
  checkIndexDType(op, indices, geometry.indexFormat);
  const timestampWrites = host.profiler.reservePass(op);
  const inShape = joinShape(geometry.batch, geometry.channels, geometry.inSpatial, geometry.layout);
  const gradInput = session.allocateStorage(`${op} gradInput`, floatBytes(float, product(inShape)));
  const fault = newFault(session, indices, geometry.layout, (index, where) =>
    geometry.indexFormat === 'window'
      ? invalidTap(op, index, where, geometry.kernel, 'pooling input', geometry.inSpatial)
      : poolBackwardFault(geometry, index, where),
  );
  session.record(plan, { gradOutput: gradOutput.buffer, indices: indices.buffer, gradInput, status: faultBinding(fault) }, timestampWrites);
  return new Tensor(host.owner, gradInput, inShape, dtype, true, carriedFaults([gradOutput, indices], fault));
}

export function maxUnpoolBackward(host: OperationHost, gradOutput: Tensor, indices: Tensor, options: UnpoolOptions): Tensor<FloatDType> {
  const op = opName('maxUnpoolBackward', indices?.shape?.length - 2);
  const { session } = host;
  session.checkUsable(op);
  checkTensor(host, op, 'gradOutput', gradOutput);
  checkTensor(host, op, 'indices', indices);
  const dtype = floatDType(op, 'gradOutput', gradOutput);
  const float = storageOf(host, dtype);
  checkSameFloat(op, 'gradOutput', dtype, indices);
  const { geometry, plan } = resolveAndPrepare(
    host, floatKind('maxUnpoolBackward', float), options, [gradOutput.shape, indices.shape], undefined,
    () => {
      const g = resolveUnpoolBackwardGeometry(gradOutput.shape, indices.shape, options);
      checkIndexDType(op, indices, g.indexFormat);
      return g;
    },
    (g) => planMaxUnpoolBackward(g, planContext(host, float)),
  );
  checkIndexDType(op, indices, geometry.indexFormat);
  const timestampWrites = host.profiler.reservePass(op);
  const gradValues = session.allocateStorage(`${op} gradValues`, floatBytes(float, indices.size));
  const outVolume = product(geometry.outSpatial);
  const fault = newFault(session, indices, geometry.layout, (index, where) =>
    geometry.indexFormat === 'window'
      ? invalidTap(op, index, where, geometry.kernel, 'unpooled output', geometry.outSpatial)
      : invalidIndex(op, index, where, outVolume),
  );
  session.record(plan, { gradOutput: gradOutput.buffer, indices: indices.buffer, gradValues, status: faultBinding(fault) }, timestampWrites);
  return new Tensor(host.owner, gradValues, indices.shape, dtype, true, carriedFaults([gradOutput, indices], fault));
}
