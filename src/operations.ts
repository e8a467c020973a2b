/**
 * Operations on tensors: check the arguments, plan (every other check, src/plan.ts), reserve a timed
 * pass if a measurement runs, then allocate the results and record. Nothing after planning throws,
 * so a refused call leaves the batch and every earlier result as they were.
 */
import { carriedFaults, invalidIndex, newFault, poolBackwardFault } from './faults.js';
import type { LaunchProfile } from './launch.js';
import {
  joinShape,
  opName,
  product,
  resolvePoolBackwardGeometry,
  resolvePoolGeometry,
  resolveUnpoolBackwardGeometry,
  resolveUnpoolGeometry,
  type PoolBackwardOptions,
  type PoolOptions,
  type SpatialRank,
  type UnpoolOptions,
} from './options.js';
import { planMaxPool, planMaxPoolBackward, planMaxUnpool, planMaxUnpoolBackward, type PlanContext, limitsOf } from './plan.js';
import type { Profiler } from './profiling.js';
import type { Session } from './session.js';
import { Tensor, type DType, type TensorHost } from './tensor.js';

export interface PoolResult {
  values: Tensor<'float32'>;
  indices: Tensor<'int32'>;
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

export function maxPool(host: OperationHost, base: string, input: Tensor, options: PoolOptions, rank?: SpatialRank): PoolResult {
  const op = opName(base, rank ?? input?.shape?.length - 2);
  const { session } = host;
  session.checkUsable(op);
  checkTensor(host, op, 'input', input, 'float32');
  const geometry = resolvePoolGeometry(base, input.shape, options, rank);
  const plan = planMaxPool(geometry, planContext(host));
  const timestampWrites = host.profiler.reservePass(op);
  const outShape = joinShape(geometry.batch, geometry.channels, geometry.outSpatial, geometry.layout);
  const bytes = product(outShape) * 4;
  const values = session.allocateStorage(`${op} values`, bytes);
  const indices = session.allocateStorage(`${op} indices`, bytes);
  session.record(plan, { input: input.buffer, values, indices }, timestampWrites);
  return {
    values: new Tensor(host.owner, values, outShape, 'float32', true, input.faults),
    indices: new Tensor(host.owner, indices, outShape, 'int32', true, input.faults, geometry),
  };
}

export function maxUnpool(host: OperationHost, base: string, values: Tensor, indices: Tensor, options: UnpoolOptions, rank?: SpatialRank): Tensor<'float32'> {
  const op = opName(base, rank ?? values?.shape?.length - 2);
  const { session } = host;
  session.checkUsable(op);
  checkTensor(host, op, 'values', values, 'float32');
  checkTensor(host, op, 'indices', indices, 'int32');
  const geometry = resolveUnpoolGeometry(base, values.shape, indices.shape, options, rank);
  const plan = planMaxUnpool(geometry, planContext(host, indices));
  const timestampWrites = host.profiler.reservePass(op);
  const outShape = joinShape(geometry.batch, geometry.channels, geometry.outSpatial, geometry.layout);
  const output = session.allocateStorage(`${op} output`, product(outShape) * 4);
  const outVolume = product(geometry.outSpatial);
  const fault = newFault(session, op, indices, geometry.layout, (index, where) => invalidIndex(op, index, where, outVolume));
  session.record(plan, { values: values.buffer, indices: indices.buffer, output, status: fault.buffer }, timestampWrites);
  return new Tensor(host.owner, output, outShape, 'float32', true, carriedFaults([values, indices], fault));
}

export function maxPoolBackward(host: OperationHost, gradOutput: Tensor, indices: Tensor, options: PoolBackwardOptions): Tensor<'float32'> {
  const op = opName('maxPoolBackward', options?.inputShape?.length - 2);
  const { session } = host;
  session.checkUsable(op);
  checkTensor(host, op, 'gradOutput', gradOutput, 'float32');
  checkTensor(host, op, 'indices', indices, 'int32');
  const geometry = resolvePoolBackwardGeometry(gradOutput.shape, indices.shape, options);
  const plan = planMaxPoolBackward(geometry, planContext(host, indices));
  const timestampWrites = host.profiler.reservePass(op);
  const inShape = joinShape(geometry.batch, geometry.channels, geometry.inSpatial, geometry.layout);
  const gradInput = session.allocateStorage(`${op} gradInput`, product(inShape) * 4);
  const fault = newFault(session, op, indices, geometry.layout, (index, where) => poolBackwardFault(geometry, index, where));
  session.record(plan, { gradOutput: gradOutput.buffer, indices: indices.buffer, gradInput, status: fault.buffer }, timestampWrites);
  return new Tensor(host.owner, gradInput, inShape, 'float32', true, carriedFaults([gradOutput, indices], fault));
}

export function maxUnpoolBackward(host: OperationHost, gradOutput: Tensor, indices: Tensor, options: UnpoolOptions): Tensor<'float32'> {
  const op = opName('maxUnpoolBackward', indices?.shape?.length - 2);
  const { session } = host;
  session.checkUsable(op);
  checkTensor(host, op, 'gradOutput', gradOutput, 'float32');
  checkTensor(host, op, 'indices', indices, 'int32');
  const geometry = resolveUnpoolBackwardGeometry(gradOutput.shape, indices.shape, options);
  const plan = planMaxUnpoolBackward(geometry, planContext(host));
  const timestampWrites = host.profiler.reservePass(op);
  const gradValues = session.allocateStorage(`${op} gradValues`, indices.byteLength);
  const outVolume = product(geometry.outSpatial);
  const fault = newFault(session, op, indices, geometry.layout, (index, where) => invalidIndex(op, index, where, outVolume));
  session.record(plan, { gradOutput: gradOutput.buffer, indices: indices.buffer, gradValues, status: fault.buffer }, timestampWrites);
  return new Tensor(host.owner, gradValues, indices.shape, 'float32', true, carriedFaults([gradOutput, indices], fault));
}
