/**
 * Operations on tensors, table-driven: each operation is a spec (its tensor arguments, how its
 * geometry resolves, how it plans, what it returns, what its faults say), and one runner does for
 * every operation what a call needs: check the arguments, resolve and plan (every other check,
 * src/plan.ts), reserve a timed pass if a measurement runs, then allocate the results and record.
 * Nothing after planning throws, so a refused call leaves the batch and every earlier result as they
 * were.
 */
import { carriedFaults, invalidIndex, invalidTap, newFault, poolBackwardFault } from './faults.js';
import type { Binding, PreparedPlan } from './executor.js';
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
import { floatBytes, limitsOf, planMaxPool, planMaxPoolBackward, planMaxUnpool, planMaxUnpoolBackward, windowIndexBytes, type OperationPlan, type PlanContext } from './plan.js';
import type { FloatStorage } from './programs/program.js';
import type { Profiler } from './profiling.js';
import { faultBinding, type Session } from './session.js';
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

/** What an operation needs from its context. */
export interface OperationHost {
  session: Session;
  profiler: Profiler;
  specialised: boolean;
  launch: LaunchProfile;
  /** The owner of the tensors (ArgPool). */
  owner: TensorHost;
  /** How float16 tensors are stored: native where the device has 'shader-f16' (unless forced packed). */
  float16: 'float16-packed' | 'float16-native';
  /** Recent calls by signature (see `callSignature`); kept by the context. */
  calls: Map<string, Call>;
}

/** A call already resolved and planned: a later call with the same signature takes all of it. */
export interface Call {
  geometry: PoolGeometry | UnpoolGeometry;
  plan: PreparedPlan;
  outputs: Output[];
  /** Index-reading operations: the message of a bad index. */
  fault?: (index: number, where: number[]) => string;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return `${typeof value} ${String(value)}`;
}

export function checkTensor(host: Pick<OperationHost, 'owner'>, op: string, argument: string, tensor: Tensor, dtype?: DType): void {
  if (!(tensor instanceof Tensor)) {
    throw new TypeError(`${op}: ${argument} must be a Tensor from this ArgPool, got ${describeValue(tensor)}`);
  }
  if (tensor.host !== host.owner) throw new Error(`${op}: ${argument} belongs to another ArgPool`);
  if (tensor.destroyed) throw new Error(`${op}: ${argument} has been destroyed`);
  if (dtype && tensor.dtype !== dtype) {
    throw new TypeError(`${op}: ${argument} must be a ${dtype} tensor, got ${tensor.dtype}`);
  }
}

/** The dtype of the indices of an index format. */
function indexDType(format: IndexFormat): IndexDType {
  return format === 'window' ? 'uint8' : 'int32';
}

/** Checks the indices tensor's dtype against the index format (uint8 for 'window', int32 otherwise). */
function checkIndexDType(op: string, indices: Tensor, format: IndexFormat): void {
  if (indices.dtype === indexDType(format)) return;
  if (format === 'window') throw new TypeError(`${op}: indices must be a uint8 tensor for indexFormat 'window', got ${indices.dtype}`);
  const hint = indices.dtype === 'uint8' ? " (uint8 taps need indexFormat 'window')" : '';
  throw new TypeError(`${op}: indices must be a int32 tensor, got ${indices.dtype}${hint}`);
}

/** A result tensor of an operation: its role in the plan, shape, dtype ('float': the float argument's) and bytes. */
export interface Output {
  role: string;
  /** The label of its buffer. */
  label: string;
  shape: number[];
  dtype: IndexDType | 'float';
  bytes: number;
}

/** One operation, as the runner needs it. */
interface OperationSpec<G extends PoolGeometry | UnpoolGeometry> {
  /** The name of the plans' kind (and of the op, for the backward ones). */
  kind: string;
  /** The tensor arguments, in order; the first holds the floats, `indices` (if any) the second. */
  tensors: readonly [string, ...string[]];
  /** The rank the op's name shows (`maxPool2d`), from the arguments. */
  rank(args: readonly Tensor[], options: unknown): number;
  resolve(base: string, shapes: readonly (readonly number[])[], options: unknown, rank: SpatialRank | undefined): G;
  plan(geometry: G, context: PlanContext): OperationPlan;
  outputs(geometry: G, float: FloatStorage, args: readonly Tensor[]): Omit<Output, 'label'>[];
  /** Index-reading operations: the message of a bad index at logical coordinates `where`. */
  fault?(op: string, geometry: G): (index: number, where: number[]) => string;
}

/** The fault of an index-reading operation that writes an unpooled tensor: a bad index, or a bad 'window' tap. */
function unpooledFault(op: string, g: UnpoolGeometry): (index: number, where: number[]) => string {
  const volume = product(g.outSpatial);
  return (index, where) =>
    g.indexFormat === 'window' ? invalidTap(op, index, where, g.kernel, 'unpooled output', g.outSpatial) : invalidIndex(op, index, where, volume);
}

const shapeRank = (shape: readonly number[] | undefined): number => (shape ? shape.length - 2 : NaN);

const MAX_POOL: OperationSpec<PoolGeometry> = {
  kind: 'maxPool',
  tensors: ['input'],
  rank: ([input]) => shapeRank(input?.shape),
  resolve: (base, [shape], options, rank) => resolvePoolGeometry(base, shape, options as PoolOptions, rank),
  plan: planMaxPool,
  outputs: (g, float) => {
    const shape = joinShape(g.batch, g.channels, g.outSpatial, g.layout);
    const count = product(shape);
    const windowed = g.indexFormat === 'window';
    return [
      { role: 'values', shape, dtype: 'float', bytes: floatBytes(float, count) },
      { role: 'indices', shape, dtype: indexDType(g.indexFormat), bytes: windowed ? windowIndexBytes(count) : count * 4 },
    ];
  },
};

const MAX_UNPOOL: OperationSpec<UnpoolGeometry> = {
  kind: 'maxUnpool',
  tensors: ['values', 'indices'],
  rank: ([values]) => shapeRank(values?.shape),
  resolve: (base, [values, indices], options, rank) => resolveUnpoolGeometry(base, values, indices, options as UnpoolOptions, rank),
  plan: planMaxUnpool,
  outputs: (g, float) => {
    const shape = joinShape(g.batch, g.channels, g.outSpatial, g.layout);
    return [{ role: 'output', shape, dtype: 'float', bytes: floatBytes(float, product(shape)) }]
  },
  fault: unpooledFault,
};

const MAX_POOL_BACKWARD: OperationSpec<PoolGeometry> = {
  kind: 'maxPoolBackward',
  tensors: ['gradOutput', 'indices'],
  rank: (_, options) => shapeRank((options as PoolBackwardOptions | undefined)?.inputShape),
  resolve: (_, [gradOutput, indices], options) => resolvePoolBackwardGeometry(gradOutput, indices, options as PoolBackwardOptions),
  plan: planMaxPoolBackward,
  outputs: (g, float) => {
    const shape = joinShape(g.batch, g.channels, g.inSpatial, g.layout);
    return [{ role: 'gradInput', shape, dtype: 'float', bytes: floatBytes(float, product(shape)) }]
  },
  fault: (op, g) => (index, where) =>
    g.indexFormat === 'window' ? invalidTap(op, index, where, g.kernel, 'pooling input', g.inSpatial) : poolBackwardFault(g, index, where),
};

const MAX_UNPOOL_BACKWARD: OperationSpec<UnpoolGeometry> = {
  kind: 'maxUnpoolBackward',
  tensors: ['gradOutput', 'indices'],
  rank: ([, indices]) => shapeRank(indices?.shape),
  resolve: (_, [gradOutput, indices], options) => resolveUnpoolBackwardGeometry(gradOutput, indices, options as UnpoolOptions),
  plan: planMaxUnpoolBackward,
  outputs: (g, float, [, indices]) => [{ role: 'gradValues', shape: indices.shape.slice(), dtype: 'float', bytes: floatBytes(float, indices.size) }],
  fault: unpooledFault,
};

/** The operations, by kind. */
export const OPERATIONS = { maxPool: MAX_POOL, maxUnpool: MAX_UNPOOL, maxPoolBackward: MAX_POOL_BACKWARD, maxUnpoolBackward: MAX_UNPOOL_BACKWARD } as const;

/** Calls remembered per context; past this the oldest goes. */
const MAX_REMEMBERED_CALLS = 256;

/** Small ids for the geometries behind indices tensors, for call signatures. */
const geometryIds = new WeakMap<object, number>();
let nextGeometryId = 1;

/**
 * A string that equals another call's exactly when the calls resolve and plan the same way: the
 * operation, the rank asked for, the context's float storage, the shapes, the pooling behind the
 * indices, and every option with its type (a number 2 and a string '2' differ; so do arrays of other
 * lengths). Null for options this cannot read simply (anything but a plain object of numbers,
 * strings, booleans and arrays of numbers): such a call resolves every time. Built with few and short
 * pieces: it is made on every call.
 */
function callSignature(kind: string, rank: SpatialRank | undefined, float: FloatStorage, args: readonly Tensor[], options: unknown): string | null {
  if (options === null || typeof options !== 'object') return null;
  const proto = Object.getPrototypeOf(options);
  if (proto !== Object.prototype && proto !== null) return null;
  let key = kind + (rank ?? '') + float;
  for (let i = 0; i < args.length; i++) {
    const shape = args[i].shape;
    for (let j = 0; j < shape.length; j++) key += ',' + shape[j];
    key += '|';
  }
  const pooledBy = args.length > 1 ? args[1].pooledBy : undefined;
  if (pooledBy) {
    let id = geometryIds.get(pooledBy);
    if (id === undefined) geometryIds.set(pooledBy, (id = nextGeometryId++));
    key += 'p' + id;
  }
  for (const name in options) {
    if (!Object.prototype.hasOwnProperty.call(options, name)) return null;
    const value = (options as Record<string, unknown>)[name];
    const type = typeof value;
    if (type === 'number') key += name + ':' + value;
    else if (type === 'string') key += name + '"' + value;
    else if (type === 'boolean') key += name + (value ? '!' : '?');
    else if (value === undefined) key += name + '~';
    else if (Array.isArray(value)) {
      key += name + '[';
      for (let i = 0; i < value.length; i++) {
        if (typeof value[i] !== 'number') return null;
        key += value[i] + ',';
      }
    } else return null;
  }
  return key;
}

/** The key of a plan in the device's cache: the operation, every field of its geometry, and the context's choices. */
export function planKey(kind: string, host: Pick<OperationHost, 'specialised' | 'launch'>, geometry: PoolGeometry | UnpoolGeometry, pooledBy?: PoolGeometry): string {
  const context = `${host.specialised ? 's' : 'g'}${host.launch.name}`;
  return pooledBy ? `${kind}|${context}|${JSON.stringify(geometry)}|${JSON.stringify(pooledBy)}` : `${kind}|${context}|${JSON.stringify(geometry)}`;
}

/**
 * Runs operation `spec` on `args` with `options`: checks the tensors, resolves and plans (or takes
 * both from an identical earlier call), then allocates the results and records the plan.
 */
export function runOperation<G extends PoolGeometry | UnpoolGeometry>(
  host: OperationHost,
  spec: OperationSpec<G>,
  base: string,
  args: readonly Tensor[],
  options: unknown,
  rank?: SpatialRank,
): Tensor[] {
  const op = opName(base, rank ?? spec.rank(args, options));
  const { session } = host;
  session.checkUsable(op);
  for (let i = 0; i < spec.tensors.length; i++) checkTensor(host, op, spec.tensors[i], args[i]);
  const floatTensor = args[0];
  const dtype = floatTensor.dtype;
  if (dtype !== 'float32' && dtype !== 'float16') throw new TypeError(`${op}: ${spec.tensors[0]} must be a float32 or float16 tensor, got ${dtype}`);
  const indices = args.length > 1 ? args[1] : undefined;
  if (indices?.pooledDType && indices.pooledDType !== dtype) {
    const argument = spec.tensors[0];
    throw new TypeError(
      `${op}: ${argument} is ${dtype} but indices come from a pooling of ${indices.pooledDType} values; mixed float dtypes are not supported (pass ${indices.pooledDType} ${argument})`,
    );
  }
  const float: FloatStorage = dtype === 'float16' ? host.float16 : 'float32';

  const signature = callSignature(spec.kind, rank, float, args, options);
  let call = signature === null ? undefined : host.calls.get(signature);
  if (call === undefined || call.plan.evicted) {
    const geometry = spec.resolve(base, args.map((t) => t.shape), options, rank);
    if (indices) checkIndexDType(op, indices, geometry.indexFormat);
    const pooledBy = spec.kind === 'maxUnpoolBackward' ? undefined : indices?.pooledBy;
    const context: PlanContext = { limits: limitsOf(session.device), launch: host.launch, specialised: host.specialised, pooledBy, float };
    const plan = session.prepare(planKey(`${spec.kind}@${float}`, host, geometry, pooledBy), () => spec.plan(geometry as G, context));
    const outputs = spec.outputs(geometry as G, float, args).map((o) => ({ ...o, label: `${op} ${o.role}` }));
    call = { geometry, plan, outputs, fault: spec.fault?.(op, geometry as G) };
    if (signature !== null) remember(host.calls, signature, call);
  }
  const geometry = call.geometry as G;
  if (indices) checkIndexDType(op, indices, geometry.indexFormat);
  const timestampWrites = host.profiler.reservePass(op);

  const given: Record<string, GPUBuffer | Binding> = {};
  for (let i = 0; i < args.length; i++) given[spec.tensors[i]] = args[i].buffer;
  const outputs = call.outputs;
  const buffers = outputs.map((o) => (given[o.role] = session.allocateStorage(o.label, o.bytes)));
  const fault = call.fault && indices ? newFault(session, indices, geometry.layout, call.fault) : undefined;
  if (fault) given.status = faultBinding(fault);
  session.record(call.plan, given, timestampWrites);

  const faults = fault ? carriedFaults(args, fault) : floatTensor.faults;
  return outputs.map((o, i) => {
    const tensor =
      o.dtype !== 'float'
        ? new Tensor(host.owner, buffers[i], o.shape, o.dtype, true, faults, geometry as PoolGeometry, dtype)
        : new Tensor(host.owner, buffers[i], o.shape, dtype, true, faults);
    session.hold(tensor);
    return tensor;
  });
}

/** Remembers a call, forgetting the oldest past MAX_REMEMBERED_CALLS. */
function remember(calls: Map<string, Call>, signature: string, call: Call): void {
  if (calls.size >= MAX_REMEMBERED_CALLS) calls.delete(calls.keys().next().value!);
  calls.set(signature, call);
}
