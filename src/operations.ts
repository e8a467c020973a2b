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
import { planMaxPool, planMaxPoolBackward, planMaxUnpool, planMaxUnpoolBackward, type PlanContext, limitsOf, windowIndexBytes } from './plan.js';
import type { Profiler } from './profiling.js';
import { faultBinding, type Session } from './session.js';
import { Tensor, type DType, type TensorHost } from './tensor.js';

/** Pooling results: int32 indices, or uint8 taps for indexFormat 'window' (see `WindowPoolResult`). */
export interface PoolResult<I extends 'int32' | 'uint8' = 'int32'> {
  values: Tensor<'float32'>;
  indices: Tensor<I>;
}

export type WindowPoolResult = PoolResult<'uint8'>;

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

function planContext(host: OperationHost, indices?: Tensor): PlanContext {
  return {
    limits: limitsOf(host.session.device),
    launch: host.launch,
    specialised: host.specialised,
    pooledBy: indices?.pooledBy,
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

/** Every field of a geometry, in the resolver's order (arrays as comma lists). */
function geometryKey(geometry: PoolGeometry | UnpoolGeometry): string {
  return Object.values(geometry).join('|');
}

export function maxPool(host: OperationHost, base: string, input: Tensor, options: PoolOptions, rank?: SpatialRank): PoolResult<'int32' | 'uint8'> {
  const op = opName(base, rank ?? input?.shape?.length - 2);
  const { session } = host;
  session.checkUsable(op);
  checkTensor(host, op, 'input', input, 'float32');
  const geometry = resolvePoolGeometry(base, input.shape, options, rank);
  const plan = session.prepare(planKey('maxPool', host, geometry), () => planMaxPool(geometry, planContext(host)));
  const timestampWrites = host.profiler.reservePass(op);
  const outShape = joinShape(geometry.batch, geometry.channels, geometry.outSpatial, geometry.layout);
  const count = product(outShape);
  const windowed = geometry.indexFormat === 'window';
  const values = session.allocateStorage(`${op} values`, count * 4);
  const indices = session.allocateStorage(`${op} indices`, windowed ? windowIndexBytes(count) : count * 4);
  session.record(plan, { input: input.buffer, values, indices }, timestampWrites);
  return {
    values: new Tensor(host.owner, values, outShape, 'float32', true, input.faults),
    indices: new Tensor(host.owner, indices, outShape, indexDType(geometry.indexFormat), true, input.faults, geometry),
  };
}

export function maxUnpool(host: OperationHost, base: string, values: Tensor, indices: Tensor, options: UnpoolOptions, rank?: SpatialRank): Tensor<'float32'> {
  const op = opName(base, rank ?? values?.shape?.length - 2);
  const { session } = host;
  session.checkUsable(op);
  checkTensor(host, op, 'values', values, 'float32');
  checkTensor(host, op, 'indices', indices);
  const geometry = resolveUnpoolGeometry(base, values.shape, indices.shape, options, rank);
  checkIndexDType(op, indices, geometry.indexFormat);
  const plan = session.prepare(planKey('maxUnpool', host, geometry, indices.pooledBy), () => planMaxUnpool(geometry, planContext(host, indices)));
  const timestampWrites = host.profiler.reservePass(op);
  const outShape = joinShape(geometry.batch, geometry.channels, geometry.outSpatial, geometry.layout);
  const output = session.allocateStorage(`${op} output`, product(outShape) * 4);
  const outVolume = product(geometry.outSpatial);
  const fault = newFault(session, indices, geometry.layout, (index, where) =>
    geometry.indexFormat === 'window'
      ? invalidTap(op, index, where, geometry.kernel, 'unpooled output', geometry.outSpatial)
      : invalidIndex(op, index, where, outVolume),
  );
  session.record(plan, { values: values.buffer, indices: indices.buffer, output, status: faultBinding(fault) }, timestampWrites);
  return new Tensor(host.owner, output, outShape, 'float32', true, carriedFaults([values, indices], fault));
}

export function maxPoolBackward(host: OperationHost, gradOutput: Tensor, indices: Tensor, options: PoolBackwardOptions): Tensor<'float32'> {
  const op = opName('maxPoolBackward', options?.inputShape?.length - 2);
  const { session } = host;
  session.checkUsable(op);
  checkTensor(host, op, 'gradOutput', gradOutput, 'float32');
  checkTensor(host, op, 'indices', indices);
  const geometry = resolvePoolBackwardGeometry(gradOutput.shape, indices.shape, options);
  checkIndexDType(op, indices, geometry.indexFormat);
  const plan = session.prepare(planKey('maxPoolBackward', host, geometry, indices.pooledBy), () => planMaxPoolBackward(geometry, planContext(host, indices)));
  const timestampWrites = host.profiler.reservePass(op);
  const inShape = joinShape(geometry.batch, geometry.channels, geometry.inSpatial, geometry.layout);
  const gradInput = session.allocateStorage(`${op} gradInput`, product(inShape) * 4);
  const fault = newFault(session, indices, geometry.layout, (index, where) =>
    geometry.indexFormat === 'window'
      ? invalidTap(op, index, where, geometry.kernel, 'pooling input', geometry.inSpatial)
      : poolBackwardFault(geometry, index, where),
  );
  session.record(plan, { gradOutput: gradOutput.buffer, indices: indices.buffer, gradInput, status: faultBinding(fault) }, timestampWrites);
  return new Tensor(host.owner, gradInput, inShape, 'float32', true, carriedFaults([gradOutput, indices], fault));
}

export function maxUnpoolBackward(host: OperationHost, gradOutput: Tensor, indices: Tensor, options: UnpoolOptions): Tensor<'float32'> {
  const op = opName('maxUnpoolBackward', indices?.shape?.length - 2);
  const { session } = host;
  session.checkUsable(op);
  checkTensor(host, op, 'gradOutput', gradOutput, 'float32');
  checkTensor(host, op, 'indices', indices);
  const geometry = resolveUnpoolBackwardGeometry(gradOutput.shape, indices.shape, options);
  checkIndexDType(op, indices, geometry.indexFormat);
  const plan = session.prepare(planKey('maxUnpoolBackward', host, geometry), () => planMaxUnpoolBackward(geometry, planContext(host)));
  const timestampWrites = host.profiler.reservePass(op);
  const gradValues = session.allocateStorage(`${op} gradValues`, indices.size * 4);
  const outVolume = product(geometry.outSpatial);
  const fault = newFault(session, indices, geometry.layout, (index, where) =>
    geometry.indexFormat === 'window'
      ? invalidTap(op, index, where, geometry.kernel, 'unpooled output', geometry.outSpatial)
      : invalidIndex(op, index, where, outVolume),
  );
  session.record(plan, { gradOutput: gradOutput.buffer, indices: indices.buffer, gradValues, status: faultBinding(fault) }, timestampWrites);
  return new Tensor(host.owner, gradValues, indices.shape, 'float32', true, carriedFaults([gradOutput, indices], fault));
}
