/**
 * tfjs kernels for argpool's operations, on the `webgpu` backend (argpool's WGSL kernels on tfjs's
 * device, recorded on tfjs's own buffers) and on the `cpu` backend (argpool's CPU reference), with
 * gradients registered so that `tf.grad` differentiates through pooling and unpooling.
 *
 * Kernels take their options as attributes, already checked by the ops in `./index`; they check them
 * again, as any tfjs kernel can be run directly through `tf.engine().runKernel`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { cpu, type PoolBackwardOptions, type PoolOptions, type UnpoolOptions } from '../index.js';
import {
  recordMaxPool,
  recordMaxPoolBackward,
  recordMaxUnpool,
  recordMaxUnpoolBackward,
  resolvePoolBackwardGeometry,
  resolvePoolGeometry,
  resolveUnpoolBackwardGeometry,
  resolveUnpoolGeometry,
  joinShape,
  type PoolGeometry,
} from '../low-level.js';
import { gpuBufferOf, gpuOutput, hostData, recordOnTfjsEncoder, type HostBackendLike, type WebGPUBackendLike } from './backends.js';
import { trackStatus, untrackStatus } from './faults.js';

/** Kernel names, for `tf.engine().runKernel`, `tf.getKernel` and profiles. */
export const MaxPoolWithIndices = 'ArgpoolMaxPoolWithIndices';
export const MaxPoolWithIndicesBackward = 'ArgpoolMaxPoolWithIndicesBackward';
export const MaxUnpool = 'ArgpoolMaxUnpool';
export const MaxUnpoolBackward = 'ArgpoolMaxUnpoolBackward';

/** The backends these kernels are registered for. */
export const SUPPORTED_BACKENDS = ['webgpu', 'cpu'] as const;

const POOL_KEYS = ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode', 'layout', 'indexFormat', 'nan'] as const;
const UNPOOL_KEYS = ['kernelSize', 'stride', 'padding', 'dilation', 'outputSize', 'layout', 'indexFormat', 'fill'] as const;

/** Attributes of the pooling kernel: its options plus the input shape, which its gradient needs. */
export type PoolAttrs = PoolOptions & { inputShape: readonly number[] };

/**
 * 'window' indices are one byte each, and tfjs has no uint8 tensors: both backends refuse them the
 * same way rather than give bytes on one and int32 taps on the other.
 */
export function refuseWindowIndices(op: string, indexFormat: unknown): void {
  if (indexFormat === 'window') {
    throw new RangeError(
      `${op}: indexFormat 'window' (uint8 window taps) is not available in argpool/tfjs, which has no uint8 tensors; ` +
        "use 'flat-no-batch' (the default), 'flat' or 'spatial'",
    );
  }
}

/**
 * The options among a kernel's attributes, with TensorFlow.js's layout, index format and (for
 * pooling) NaN rule as defaults, as the ops give them.
 */
function pick<T>(op: string, attrs: NamedAttrMap | undefined, keys: readonly string[]): T {
  const options: Record<string, unknown> = { layout: 'NHWC', indexFormat: 'flat-no-batch', ...(keys.includes('nan') ? { nan: 'ignore' } : {}) };
  for (const key of keys) if (attrs?.[key] !== undefined) options[key] = attrs[key];
  refuseWindowIndices(op, options.indexFormat);
  return options as T;
}

const poolOptions = (attrs?: NamedAttrMap): PoolOptions => pick('maxPoolWithIndices', attrs, POOL_KEYS);
const unpoolOptions = (attrs?: NamedAttrMap): UnpoolOptions => pick('maxUnpool', attrs, UNPOOL_KEYS);
const poolBackwardOptions = (attrs?: NamedAttrMap): PoolBackwardOptions => pick('maxPoolBackward', attrs, [...POOL_KEYS, 'inputShape']);

/**
 * The pooling that produced an indices tensor on the webgpu backend, by its data id. tfjs never
 * changes the data behind a data id (clones share it), so indices found here still lie inside their
 * windows, which lets unpooling and the gradient take argpool's single-pass gathers.
 */
const pooledBy = new WeakMap<object, PoolGeometry>();

/**
 * Declares that the tensor `to` holds the same indices as `from` (a cast of them, say), so that
 * unpooling `to` keeps the single-pass gather that indices straight from a pooling get. Only for
 * values that the conversion keeps exact: float32 holds every integer up to 2^24.
 */
export function samePoolingIndices(from: TensorInfo, to: TensorInfo): void {
  const geometry = pooledBy.get(from.dataId);
  if (!geometry || geometry.indexFormat !== 'flat-no-batch') return;
  const largest = geometry.channels * geometry.inSpatial.reduce((a, b) => a * b, 1) - 1;
  if (largest <= 2 ** 24 && to.shape.join() === from.shape.join()) pooledBy.set(to.dataId, geometry);
}

function checkBinding(device: GPUDevice, op: string, argument: string, elements: number): void {
  const bytes = elements * 4;
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  if (bytes > limit) {
    const name = limit === device.limits.maxBufferSize ? 'maxBufferSize' : 'maxStorageBufferBindingSize';
    throw new RangeError(`${op}: ${argument} needs ${bytes} bytes, more than the tfjs device's ${name} (${limit})`);
  }
}

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Runs `record` with outputs already made; on a refusal the outputs are given back to tfjs. */
function withOutputs(backend: WebGPUBackendLike, outputs: TensorInfo[], run: () => void): void {
  try {
    run();
  } catch (error) {
    for (const output of outputs) backend.disposeData(output.dataId, true);
    throw error;
  }
}

/**
 * Like `withOutputs`, for a kernel that reads indices: its fault status is kept for `checkIndices`
 * once the work is recorded, and given back with the outputs on a refusal.
 */
function withStatus(
  backend: WebGPUBackendLike,
  op: string,
  indices: TensorInfo,
  layout: string,
  outputs: TensorInfo[],
  run: (status: GPUBuffer) => void,
): void {
  const status = trackStatus(backend, op, indices.shape, layout);
  try {
    withOutputs(backend, outputs, () => run(status));
  } catch (error) {
    untrackStatus(backend, status);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// webgpu
// ---------------------------------------------------------------------------------------------

function maxPoolWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): TensorInfo[] {
  const b = backend as WebGPUBackendLike;
  const x = inputs.x!;
  const geometry = resolvePoolGeometry('maxPoolWithIndices', x.shape, poolOptions(attrs));
  const outShape = joinShape(geometry.batch, geometry.channels, geometry.outSpatial, geometry.layout);
  checkBinding(b.device, geometry.op, 'x', count(x.shape));
  checkBinding(b.device, geometry.op, 'values', count(outShape));
  const input = gpuBufferOf(b, geometry.op, 'x', x);
  const values = gpuOutput(b, outShape, 'float32');
  const indices = gpuOutput(b, outShape, 'int32');
  withOutputs(b, [values.info, indices.info], () =>
    recordOnTfjsEncoder(b, [x, values.info, indices.info], (encoder, allocate) =>
      recordMaxPool(b.device, encoder, geometry, { input, values: values.buffer, indices: indices.buffer }, { allocate }),
    ),
  );
  pooledBy.set(indices.info.dataId, geometry);
  return [values.info, indices.info];
}

function maxPoolBackwardWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): TensorInfo {
  const b = backend as WebGPUBackendLike;
  const { dy, indices } = inputs as { dy: TensorInfo; indices: TensorInfo };
  const geometry = resolvePoolBackwardGeometry(dy.shape, indices.shape, poolBackwardOptions(attrs));
  const inShape = joinShape(geometry.batch, geometry.channels, geometry.inSpatial, geometry.layout);
  checkBinding(b.device, geometry.op, 'dx', count(inShape));
  const gradOutput = gpuBufferOf(b, geometry.op, 'dy', dy);
  const indexBuffer = gpuBufferOf(b, geometry.op, 'indices', indices);
  const dx = gpuOutput(b, inShape, 'float32');
  withStatus(b, geometry.op, indices, geometry.layout, [dx.info], (status) =>
    recordOnTfjsEncoder(b, [dy, indices, dx.info], (encoder, allocate) =>
      recordMaxPoolBackward(
        b.device,
        encoder,
        geometry,
        { gradOutput, indices: indexBuffer, gradInput: dx.buffer, status },
        { allocate, pooledBy: pooledBy.get(indices.dataId) },
      ),
    ),
  );
  return dx.info;
}

function maxUnpoolWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): TensorInfo {
  const b = backend as WebGPUBackendLike;
  const { values, indices } = inputs as { values: TensorInfo; indices: TensorInfo };
  const geometry = resolveUnpoolGeometry('maxUnpool', values.shape, indices.shape, unpoolOptions(attrs));
  const outShape = joinShape(geometry.batch, geometry.channels, geometry.outSpatial, geometry.layout);
  checkBinding(b.device, geometry.op, 'values', count(values.shape));
  checkBinding(b.device, geometry.op, 'output', count(outShape));
  const valueBuffer = gpuBufferOf(b, geometry.op, 'values', values);
  const indexBuffer = gpuBufferOf(b, geometry.op, 'indices', indices);
  const output = gpuOutput(b, outShape, 'float32');
  withStatus(b, geometry.op, indices, geometry.layout, [output.info], (status) =>
    recordOnTfjsEncoder(b, [values, indices, output.info], (encoder, allocate) =>
      recordMaxUnpool(
        b.device,
        encoder,
        geometry,
        { values: valueBuffer, indices: indexBuffer, output: output.buffer, status },
        { allocate, pooledBy: pooledBy.get(indices.dataId) },
      ),
    ),
  );
  return output.info;
}

function maxUnpoolBackwardWebGPU({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): TensorInfo {
  const b = backend as WebGPUBackendLike;
  const { dy, indices } = inputs as { dy: TensorInfo; indices: TensorInfo };
  const geometry = resolveUnpoolBackwardGeometry(dy.shape, indices.shape, unpoolOptions(attrs));
  checkBinding(b.device, geometry.op, 'dy', count(dy.shape));
  const gradOutput = gpuBufferOf(b, geometry.op, 'dy', dy);
  const indexBuffer = gpuBufferOf(b, geometry.op, 'indices', indices);
  const dValues = gpuOutput(b, indices.shape.slice(), 'float32');
  withStatus(b, geometry.op, indices, geometry.layout, [dValues.info], (status) =>
    recordOnTfjsEncoder(b, [dy, indices, dValues.info], (encoder, allocate) =>
      recordMaxUnpoolBackward(b.device, encoder, geometry, { gradOutput, indices: indexBuffer, gradValues: dValues.buffer, status }, { allocate }),
    ),
  );
  return dValues.info;
}

// ---------------------------------------------------------------------------------------------
// cpu: the CPU reference on the backend's host arrays
// ---------------------------------------------------------------------------------------------

function maxPoolHost({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): TensorInfo[] {
  const b = backend as HostBackendLike;
  const x = inputs.x!;
  const op = 'maxPoolWithIndices';
  const result = cpu.maxPool({ data: hostData(b, op, 'x', x, 'float32') as Float32Array, shape: x.shape }, poolOptions(attrs));
  return [
    b.makeTensorInfo(result.values.shape, 'float32', result.values.data),
    b.makeTensorInfo(result.indices.shape, 'int32', result.indices.data),
  ];
}

/**
 * A kernel on the cpu backend that takes a float32 tensor and int32 indices, runs one function of the
 * CPU reference on their host arrays, and returns its float32 result.
 */
function floatAndIndicesHost(
  op: string,
  floatName: string,
  run: (x: cpu.TensorInput, indices: cpu.TensorInput<Int32Array>, attrs?: NamedAttrMap) => { data: Float32Array; shape: number[] },
): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as HostBackendLike;
    const x = (inputs as Record<string, TensorInfo>)[floatName];
    const { indices } = inputs as { indices: TensorInfo };
    const result = run(
      { data: hostData(b, op, floatName, x, 'float32') as Float32Array, shape: x.shape },
      { data: hostData(b, op, 'indices', indices, 'int32') as Int32Array, shape: indices.shape },
      attrs,
    );
    return b.makeTensorInfo(result.shape, 'float32', result.data);
  };
}

const maxPoolBackwardHost = floatAndIndicesHost('maxPoolBackward', 'dy', (dy, indices, attrs) => cpu.maxPoolBackward(dy, indices, poolBackwardOptions(attrs)));
const maxUnpoolHost = floatAndIndicesHost('maxUnpool', 'values', (values, indices, attrs) => cpu.maxUnpool(values, indices, unpoolOptions(attrs)));
const maxUnpoolBackwardHost = floatAndIndicesHost('maxUnpoolBackward', 'dy', (dy, indices, attrs) => cpu.maxUnpoolBackward(dy, indices, unpoolOptions(attrs)));

// ---------------------------------------------------------------------------------------------
// Gradients
// ---------------------------------------------------------------------------------------------

const gradients: GradConfig[] = [
  {
    // Pooling: the gradient scatters dValues to the positions the saved indices name (argpool's
    // maxPoolBackward, summing where overlapping windows chose one element twice). The indices
    // output is piecewise constant: its gradient is zero and takes no part.
    kernelName: MaxPoolWithIndices,
    outputsToSave: [false, true],
    gradFunc: (dys, saved, attrs) => {
      const [dValues] = dys as tf.Tensor[];
      const [indices] = saved;
      return { x: () => tf.engine().runKernel(MaxPoolWithIndicesBackward, { dy: dValues, indices }, attrs) as tf.Tensor };
    },
  },
  {
    // Unpooling: each pooled value's gradient is the output gradient where its index put it
    // (argpool's maxUnpoolBackward). Indices are integers: their gradient is zero, in float32 as
    // tfjs requires of every gradient.
    kernelName: MaxUnpool,
    inputsToSave: ['indices'],
    gradFunc: (dy, saved, attrs) => {
      const [indices] = saved;
      return {
        values: () => tf.engine().runKernel(MaxUnpoolBackward, { dy: dy as tf.Tensor, indices }, attrs) as tf.Tensor,
        indices: () => tf.zeros(indices.shape, 'float32'),
      };
    },
  },
];

const kernels: KernelConfig[] = [
  { kernelName: MaxPoolWithIndices, backendName: 'webgpu', kernelFunc: maxPoolWebGPU as tf.KernelFunc },
  { kernelName: MaxPoolWithIndicesBackward, backendName: 'webgpu', kernelFunc: maxPoolBackwardWebGPU },
  { kernelName: MaxUnpool, backendName: 'webgpu', kernelFunc: maxUnpoolWebGPU },
  { kernelName: MaxUnpoolBackward, backendName: 'webgpu', kernelFunc: maxUnpoolBackwardWebGPU },
  { kernelName: MaxPoolWithIndices, backendName: 'cpu', kernelFunc: maxPoolHost as tf.KernelFunc },
  { kernelName: MaxPoolWithIndicesBackward, backendName: 'cpu', kernelFunc: maxPoolBackwardHost },
  { kernelName: MaxUnpool, backendName: 'cpu', kernelFunc: maxUnpoolHost },
  { kernelName: MaxUnpoolBackward, backendName: 'cpu', kernelFunc: maxUnpoolBackwardHost },
];

/**
 * Registers the kernels and gradients with tfjs, once. The ops call this themselves; call it
 * directly to run the kernels through `tf.engine().runKernel` before any op has run.
 */
export function registerKernels(): void {
  for (const config of kernels) {
    if (!tf.getKernel(config.kernelName, config.backendName)) tf.registerKernel(config);
  }
  for (const config of gradients) {
    if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
  }
}
