/**
 * argpool as TensorFlow.js ops: max pooling that returns its argmax indices, max unpooling, and the
 * gradients of both for `tf.grad`, on tfjs's `webgpu` backend (argpool's kernels on tfjs's own device
 * and buffers, no copies) and on its `cpu` backend (argpool's CPU reference).
 *
 * Options are argpool's (`PoolOptions`, `UnpoolOptions`) with TensorFlow's conventions as defaults:
 * channels-last tensors (`layout: 'NHWC'`: [batch, ...spatial, channels]) and indices in TensorFlow's
 * `max_pool_with_argmax` format (`indexFormat: 'flat-no-batch'`: ((y * width + x) * channels + c)),
 * as int32. A tie goes to the first maximum in window order (PyTorch's rule; tfjs's own
 * `maxPoolWithArgmax` lets the last win) and NaN wins its window.
 *
 * Like tfjs ops, the calls return tensors at once: the work is recorded and submitted, not awaited.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PoolOptions, UnpoolOptions } from '../index.js';
import { resolvePoolGeometry, resolveUnpoolGeometry } from '../options.js';
import { describe } from './backends.js';
import { MaxPoolWithIndices, MaxUnpool, registerKernels, SUPPORTED_BACKENDS, type PoolAttrs } from './kernels.js';

export {
  MaxPoolWithIndices,
  MaxPoolWithIndicesBackward,
  MaxUnpool,
  MaxUnpoolBackward,
  registerKernels,
  SUPPORTED_BACKENDS,
} from './kernels.js';
export type { PoolOptions, UnpoolOptions, Layout, IndexFormat, FillMode, PerDim } from '../index.js';

/** What `maxPoolWithIndices` returns: the pooled values (float32) and their indices (int32), of one shape. */
export interface MaxPoolWithIndicesResult<T extends tf.Tensor = tf.Tensor> {
  values: T;
  indices: T;
}

/** TensorFlow's conventions, used wherever the caller leaves an option out. */
const DEFAULTS = { layout: 'NHWC', indexFormat: 'flat-no-batch' } as const;

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
  const op = 'maxPoolWithIndices';
  checkBackend(op);
  checkTensor(op, 'x', x, 'float32');
  const resolved = withDefaults(op, options);
  resolvePoolGeometry(op, x.shape, resolved);
  registerKernels();
  const attrs: PoolAttrs = { ...resolved, inputShape: x.shape.slice() };
  const [values, indices] = tf.engine().runKernel(MaxPoolWithIndices, { x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
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
 * default `fill: 'zero'`). An index that names no element of its plane throws on the `cpu` backend;
 * on `webgpu`, as tfjs's own gather does, it is skipped (its value goes nowhere).
 */
export function maxUnpool<T extends tf.Tensor>(values: T, indices: tf.Tensor, options: UnpoolOptions): T {
  const op = 'maxUnpool';
  checkBackend(op);
  checkTensor(op, 'values', values, 'float32');
  checkTensor(op, 'indices', indices, 'int32');
  const resolved = withDefaults(op, options);
  resolveUnpoolGeometry(op, values.shape, indices.shape, resolved);
  registerKernels();
  return tf.engine().runKernel(MaxUnpool, { values, indices }, resolved as unknown as tf.NamedAttrMap) as T;
}

function withDefaults<O extends PoolOptions | UnpoolOptions>(op: string, options: O): O {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${op}: options must be an object with at least kernelSize, got ${describe(options)}`);
  }
  const resolved: Record<string, unknown> = { ...options };
  resolved.layout ??= DEFAULTS.layout;
  resolved.indexFormat ??= DEFAULTS.indexFormat;
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
