/**
 * argpool as TensorFlow.js ops: max pooling that returns its argmax indices, max unpooling, and the
 * gradients of both for `tf.grad`, on tfjs's `webgpu` backend (argpool's kernels on tfjs's own device
 * and buffers, no copies) and on its `cpu` backend (argpool's CPU reference).
 *
 * Options are argpool's (`PoolOptions`, `UnpoolOptions`) with TensorFlow.js's conventions as defaults:
 * channels-last tensors (`layout: 'NHWC'`: [batch, ...spatial, channels]), indices in TensorFlow's
 * `max_pool_with_argmax` format (`indexFormat: 'flat-no-batch'`: ((y * width + x) * channels + c)),
 * as int32, and tfjs's NaN rule (`nan: 'ignore'`: a NaN never wins over a number, as in tfjs's `cpu`
 * backend and its own "ignores NaNs" test). A tie goes to the first maximum in window order (tfjs's
 * `cpu` kernel agrees; its `webgpu` kernel lets the last win). `nan: 'propagate'` gives PyTorch's rule.
 * docs/engines.md has each engine's rules, measured.
 *
 * Like tfjs ops, the calls return tensors at once. On `webgpu` the work is recorded into tfjs's own
 * command encoder and goes to the GPU with tfjs's next submit (no submit of its own); an invalid
 * unpooling index is found there on the GPU and reported by `await checkIndices()`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NanRule, PoolOptions, UnpoolOptions } from '../index.js';
import { resolvePoolGeometry, resolveUnpoolGeometry } from '../low-level.js';
import { describe, type WebGPUBackendLike } from './backends.js';
import { MaxPoolWithIndices, MaxUnpool, refuseWindowIndices, registerKernels, SUPPORTED_BACKENDS, type PoolAttrs } from './kernels.js';

export { checkIndices } from './faults.js';
export {
  MaxPoolWithIndices,
  MaxPoolWithIndicesBackward,
  MaxUnpool,
  MaxUnpoolBackward,
  registerKernels,
  samePoolingIndices,
  SUPPORTED_BACKENDS,
} from './kernels.js';
export type { PoolOptions, UnpoolOptions, Layout, IndexFormat, FillMode, PerDim, NanRule } from '../index.js';

/** What `maxPoolWithIndices` returns: the pooled values (float32) and their indices (int32), of one shape. */
export interface MaxPoolWithIndicesResult<T extends tf.Tensor = tf.Tensor> {
  values: T;
  indices: T;
}

/** TensorFlow.js's conventions, used wherever the caller leaves an option out. */
const DEFAULTS = { layout: 'NHWC', indexFormat: 'flat-no-batch', nan: 'ignore' } as const;

/**
 * Max pooling over 1, 2 or 3 spatial dimensions of a float32 tensor, returning the maximum of each
 * window and where it was.
 *
 * ```ts
 * const { values, indices } = maxPoolWithIndices(x, { kernelSize: 3, stride: 2, padding: 1 });
 * ```
 * `x` is [batch, width, channels], [batch, height, width, channels] or [batch, depth, height, width,
 * channels] (channels-first with `layout: 'NCHW'`). Differentiable with respect to `x`.
 */
export function maxPoolWithIndices<T extends tf.Tensor>(x: T, options: PoolOptions): MaxPoolWithIndicesResult<T> {
  return poolWithIndices('maxPoolWithIndices', x, options);
}

/** maxPoolWithIndices, its errors naming `op`. */
function poolWithIndices<T extends tf.Tensor>(op: string, x: T, options: PoolOptions): MaxPoolWithIndicesResult<T> {
  checkBackend(op);
  checkTensor(op, 'x', x, 'float32');
  const resolved = withDefaults(op, options, true);
  resolvePoolGeometry(op, x.shape, resolved);
  registerKernels();
  const attrs: PoolAttrs = { ...resolved, inputShape: x.shape.slice() };
  const [values, indices] = tf.tidy(
    () => tf.engine().runKernel(MaxPoolWithIndices, { x: floatData(x) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[],
  );
  return { values: values as T, indices: indices as T };
}

/**
 * Max unpooling: puts each value at the position its index names in a zero tensor (or one filled by
 * `fill`), the inverse of `maxPoolWithIndices` with the same options.
 *
 * ```ts
 * const y = maxUnpool(values, indices, { kernelSize: 3, stride: 2, padding: 1, outputSize: [h, w] });
 * ```
 * `outputSize` lists the spatial sizes only. Differentiable with respect to `values` (with the
 * default `fill: 'zero'`; another fill has no gradient, and recording it under a gradient tape
 * throws at once). An index that names no element of its plane throws on the `cpu` backend; on
 * `webgpu` the GPU finds it: its value goes nowhere, and `await checkIndices()` rejects with the same
 * message.
 */
export function maxUnpool<T extends tf.Tensor>(values: T, indices: tf.Tensor, options: UnpoolOptions): T {
  const op = 'maxUnpool';
  checkBackend(op);
  checkTensor(op, 'values', values, 'float32');
  checkTensor(op, 'indices', indices, 'int32');
  const resolved = withDefaults(op, options);
  const geometry = resolveUnpoolGeometry(op, values.shape, indices.shape, resolved);
  if (geometry.fill !== 'zero' && gradientTapeOn()) {
    throw new Error(
      `${geometry.op}: fill ${JSON.stringify(geometry.fill)} has no gradient, and this call is being recorded for one ` +
        "(tf.grad, tf.variableGrads, model.fit); use fill 'zero' there, or call maxUnpool outside the gradient function",
    );
  }
  registerKernels();
  return tf.tidy(() => tf.engine().runKernel(MaxUnpool, { values: floatData(values), indices }, resolved as unknown as tf.NamedAttrMap) as T);
}

function withDefaults<O extends PoolOptions | UnpoolOptions>(op: string, options: O, pooling = false): O {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${op}: options must be an object with at least kernelSize, got ${describe(options)}`);
  }
  const resolved: Record<string, unknown> = { ...options };
  resolved.layout ??= DEFAULTS.layout;
  resolved.indexFormat ??= DEFAULTS.indexFormat;
  if (pooling) resolved.nan ??= DEFAULTS.nan;
  refuseWindowIndices(op, resolved.indexFormat);
  for (const key of Object.keys(resolved)) if (resolved[key] === undefined) delete resolved[key];
  return resolved as O;
}

function checkBackend(op: string): void {
  const name = tf.getBackend();
  if (!(SUPPORTED_BACKENDS as readonly string[]).includes(name)) {
    throw new Error(
      `${op}: the tfjs backend ${JSON.stringify(name)} is not supported; argpool/tfjs runs on ` +
        `${SUPPORTED_BACKENDS.map((b) => JSON.stringify(b)).join(' and ')} (tf.setBackend)`,
    );
  }
}

function checkTensor(op: string, argument: string, tensor: unknown, dtype: 'float32' | 'int32'): void {
  if (!(tensor instanceof tf.Tensor)) {
    throw new TypeError(`${op}: ${argument} must be a tf.Tensor, got ${describe(tensor)}`);
  }
  if (tensor.isDisposed) throw new Error(`${op}: ${argument} has been disposed`);
  if (tensor.dtype !== dtype) throw new TypeError(`${op}: ${argument} must be a ${dtype} tensor, got dtype ${JSON.stringify(tensor.dtype)}`);
}

/**
 * A float32 tensor whose GPU data really is float32. tfjs's webgpu backend casts int32 to float32
 * without a copy (the data stays int32, and its own shaders convert on reading); argpool's kernels
 * read float32 data, so such a tensor is first converted by a tfjs op (inside the caller's tidy).
 */
function floatData<T extends tf.Tensor>(t: T): T {
  if (tf.getBackend() !== 'webgpu') return t;
  const data = (tf.backend() as unknown as WebGPUBackendLike).tensorMap.get(t.dataId) as { dtype?: string } | undefined;
  return data?.dtype === 'int32' ? (tf.mul(t, tf.scalar(1, 'float32')) as T) : t;
}

/** Whether tfjs is recording operations for a gradient (inside tf.grad, tf.variableGrads, model.fit). */
function gradientTapeOn(): boolean {
  const state = tf.engine().state as unknown as { gradientDepth: number; kernelDepth: number };
  return state.gradientDepth > 0 && state.kernelDepth === 0;
}

/** Options of the drop-in `maxPoolWithArgmax`, beyond tfjs's arguments. */
export interface MaxPoolWithArgmaxOptions {
  /** The NaN rule: 'ignore' (tfjs's, the default) or another argpool rule (`NanRule`). */
  nan?: NanRule;
}

/**
 * A drop-in for tfjs-core's `tf.maxPoolWithArgmax`: the same arguments and the same `{ result, indexes }`,
 * `indexes` int32 in TensorFlow's format (`(y * width + x) * channels + c`, plus the batch term with
 * `includeBatchInIndex`), and tfjs's answers: a NaN never wins over a number, and a tie goes to the
 * first maximum in window order, as tfjs's `cpu` kernel computes them (its `webgpu` kernel lets the
 * last maximum win a tie). On `webgpu` one pass writes both outputs (tfjs's own kernel runs two), and
 * unlike tfjs's op it is differentiable with respect to `x`. `{ nan: 'propagate' }` as a sixth
 * argument gives PyTorch's NaN rule instead.
 *
 * `x` is a float32 tensor or a nested array [batch, height, width, channels]; `pad` is 'valid',
 * 'same' or a number of rows and columns added on every side (at most half the filter, and one that
 * gives whole output sizes, as tfjs needs). Where tfjs would output -Infinity and index -1 (a window
 * holding no number above -Infinity: only NaN, or only -Infinity), argpool keeps a tap of the window
 * (docs/engines.md).
 */
export function maxPoolWithArgmax<T extends tf.Tensor4D>(
  x: T | tf.TensorLike,
  filterSize: [number, number] | number,
  strides: [number, number] | number,
  pad: 'valid' | 'same' | number,
  includeBatchInIndex = false,
  options: MaxPoolWithArgmaxOptions = {},
): tf.NamedTensorMap {
  const op = 'maxPoolWithArgmax';
  if (options === null || typeof options !== 'object' || Object.keys(options).some((key) => key !== 'nan')) {
    throw new TypeError(`${op}: options must be an object with at most a nan rule, got ${options === null || typeof options !== 'object' ? describe(options) : JSON.stringify(options)}`);
  }
  const input = tensorOrLike(op, 'x', x);
  if (input.rank !== 4) {
    if (input !== x) input.dispose();
    throw new RangeError(`${op}: x must be rank 4 ([batch, height, width, channels]), got shape [${input.shape.join(', ')}]`);
  }
  if (pad !== 'valid' && pad !== 'same' && typeof pad !== 'number') {
    if (input !== x) input.dispose();
    throw new RangeError(`${op}: pad must be 'valid', 'same' or a number, got ${describe(pad)}`);
  }
  if (typeof pad === 'number') {
    const [fh, fw] = typeof filterSize === 'number' ? [filterSize, filterSize] : filterSize;
    const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
    const [, h, w] = input.shape;
    if ((h + 2 * pad - fh) % sh !== 0 || (w + 2 * pad - fw) % sw !== 0) {
      if (input !== x) input.dispose();
      throw new RangeError(
        `${op}: pad ${pad} with filterSize ${JSON.stringify(filterSize)} and strides ${JSON.stringify(strides)} gives a fractional ` +
          `output size for input [${h}, ${w}]: (size + 2 * pad - filter) must be a multiple of the stride`,
      );
    }
  }
  const poolOptions: PoolOptions = {
    kernelSize: filterSize,
    stride: strides,
    padding: pad,
    indexFormat: includeBatchInIndex ? 'flat' : 'flat-no-batch',
    ...(options.nan === undefined ? {} : { nan: options.nan }),
  };
  let pooled: MaxPoolWithIndicesResult;
  try {
    pooled = poolWithIndices(op, input, poolOptions);
  } finally {
    if (input !== x) input.dispose();
  }
  const { values, indices } = pooled;
  return { result: values, indexes: indices };
}

/**
 * A tensor argument as tfjs-core's ops take it: a tf.Tensor, or a number, boolean or (nested) array
 * made into a float32 tensor; anything else is refused in tfjs's own words.
 */
function tensorOrLike(op: string, argument: string, x: unknown): tf.Tensor {
  if (x instanceof tf.Tensor) {
    if (x.dtype === 'string') throw new Error(`Argument '${argument}' passed to '${op}' must be numeric tensor, but got string tensor`);
    return x;
  }
  const tensorLike = x !== null && x !== undefined && (ArrayBuffer.isView(x) || Array.isArray(x) || ['number', 'boolean', 'string'].includes(typeof x));
  if (!tensorLike) {
    const type = x === null || x === undefined ? 'null' : ((x as object).constructor?.name ?? 'Object');
    throw new Error(`Argument '${argument}' passed to '${op}' must be a Tensor or TensorLike, but got '${type}'`);
  }
  if (typeof x === 'string' || (Array.isArray(x) && x.flat(Infinity).some((v) => typeof v === 'string'))) {
    throw new Error(`Argument '${argument}' passed to '${op}' must be numeric tensor, but got string tensor`);
  }
  return tf.tensor(x as tf.TensorLike, undefined, 'float32');
}
