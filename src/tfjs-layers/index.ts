/**
 * The two Keras layers of the widely copied Keras SegNet, as TensorFlow.js layers on argpool's kernels:
 * importing this module registers them with `tf.serialization.registerClass`, so that a converter-format
 * `model.json` naming them loads with `tf.loadLayersModel`, and `model.fit` trains through them (tfjs has
 * no gradient for `MaxPoolWithArgmax` or `ScatterNd`; argpool has both).
 *
 * - `MaxPoolingWithArgmax2D` (`pool_size`, `strides`, `padding`): `tf.nn.max_pool_with_argmax` followed by
 *   a cast of the argmax to float32. Outputs `[output, argmax]`, argmax holding TensorFlow's flat index
 *   without batch, `(y * W + x) * C + c`, with the answers of TensorFlow's CPU kernel
 *   (`maxpooling_op.cc`): the first maximum in window order wins a tie, and a NaN wins only as the
 *   window's first tap (`nan: 'first'`; `nan: 'propagate'` gives PyTorch's rule, docs/engines.md).
 * - `MaxUnpooling2D` (`size`): inputs `[updates, mask]` (mask float or int32); the output is
 *   `[N, H * size[0], W * size[1], C]`, each update at the row and column its mask value names in that
 *   output (`y = mask // (W' * C)`, `x = (mask // C) % W'`, the update's own channel), as the Keras layer's
 *   `tf.scatter_nd` puts it, and zero elsewhere.
 *
 * Both are channels-last and run on tfjs's `webgpu` backend (argpool's kernels on tfjs's device and
 * buffers, no copies) and on its `cpu` backend (argpool's CPU reference).
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { maxPoolWithIndices, maxUnpool, samePoolingIndices, type NanRule } from '../tfjs/index.js';

/** A symbolic shape: `null` where the size is not known (the batch). */
export type Shape = (number | null)[];
/** tfjs-layers' own layer arguments (`name`, `trainable`, `inputShape`, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;
/** One size for both dimensions, or [height, width]. */
export type Pair = number | [number, number] | readonly number[];

export interface MaxPoolingWithArgmax2DArgs extends LayerArgs {
  /** Window height and width; default [2, 2]. */
  poolSize?: Pair;
  /** Default [2, 2]. */
  strides?: Pair;
  /** 'same' (default) or 'valid', in any case. */
  padding?: string;
  /**
   * What a NaN in a window does: 'first' (default, TensorFlow's kernel: a NaN wins only as the
   * window's first tap), 'propagate' (PyTorch) or 'ignore' (TensorFlow.js).
   */
  nan?: NanRule;
}

export interface MaxUnpooling2DArgs extends LayerArgs {
  /** How many times larger the output is in height and width; default [2, 2]. */
  size?: Pair;
}

function pair(layer: string, argument: string, value: Pair | undefined): [number, number] {
  if (value === undefined || value === null) return [2, 2];
  const list = typeof value === 'number' ? [value, value] : Array.from(value);
  if (list.length !== 2 || list.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new RangeError(`${layer}: ${argument} must be a positive integer or two, got ${JSON.stringify(value)}`);
  }
  return [list[0], list[1]];
}

function paddingOf(layer: string, value: unknown): 'same' | 'valid' {
  if (value === undefined || value === null) return 'same';
  const lower = typeof value === 'string' ? value.toLowerCase() : value;
  if (lower !== 'same' && lower !== 'valid') {
    throw new RangeError(`${layer}: padding must be 'same' or 'valid' (any case), got ${JSON.stringify(value)}`);
  }
  return lower;
}

const NAN_RULES: readonly NanRule[] = ['first', 'propagate', 'ignore'];

function nanRuleOf(layer: string, value: unknown): NanRule {
  if (value === undefined || value === null) return 'first';
  if (!NAN_RULES.includes(value as NanRule)) {
    throw new RangeError(`${layer}: nan must be 'first', 'propagate' or 'ignore', got ${JSON.stringify(value)}`);
  }
  return value as NanRule;
}

function rank4(layer: string, argument: string, shape: Shape | readonly number[]): void {
  if (shape.length !== 4) {
    throw new RangeError(`${layer}: ${argument} must have rank 4 ([batch, height, width, channels]), got shape ${JSON.stringify(shape)}`);
  }
}

/** Max pooling that also returns where each maximum was, as float32 TensorFlow flat indices. */
export class MaxPoolingWithArgmax2D extends layers.Layer {
  static className = 'MaxPoolingWithArgmax2D';
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'same' | 'valid';
  readonly nan: NanRule;

  constructor(args: MaxPoolingWithArgmax2DArgs = {}) {
    super(args);
    this.poolSize = pair(MaxPoolingWithArgmax2D.className, 'poolSize', args.poolSize);
    this.strides = pair(MaxPoolingWithArgmax2D.className, 'strides', args.strides);
    this.padding = paddingOf(MaxPoolingWithArgmax2D.className, args.padding);
    this.nan = nanRuleOf(MaxPoolingWithArgmax2D.className, args.nan);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    rank4(MaxPoolingWithArgmax2D.className, 'input', shape);
    const out = (size: number | null, i: 0 | 1): number | null => {
      if (size === null) return null;
      const [k, s] = [this.poolSize[i], this.strides[i]];
      return this.padding === 'same' ? Math.ceil(size / s) : Math.floor((size - k) / s) + 1;
    };
    const pooled: Shape = [shape[0], out(shape[1], 0), out(shape[2], 1), shape[3]];
    return [pooled, pooled.slice()];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      rank4(MaxPoolingWithArgmax2D.className, 'input', x.shape);
      const { values, indices } = maxPoolWithIndices(x, {
        kernelSize: this.poolSize,
        stride: this.strides,
        padding: this.padding,
        layout: 'NHWC',
        indexFormat: 'flat-no-batch',
        nan: this.nan,
      });
      const argmax = tf.cast(indices, 'float32');
      // The float argmax still names the maxima of this pooling: unpooling it can take the single-pass gather.
      samePoolingIndices(indices, argmax);
      return [values, argmax];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { poolSize: [...this.poolSize], strides: [...this.strides], padding: this.padding, nan: this.nan, ...super.getConfig() };
  }
}

/** Max unpooling of `[updates, mask]` into a tensor `size` times larger in height and width. */
export class MaxUnpooling2D extends layers.Layer {
  static className = 'MaxUnpooling2D';
  readonly size: [number, number];

  constructor(args: MaxUnpooling2DArgs = {}) {
    super(args);
    this.size = pair(MaxUnpooling2D.className, 'size', args.size);
  }

  private updatesAndMask<T>(inputs: T | T[]): [T, T] {
    if (!Array.isArray(inputs) || inputs.length !== 2) {
      throw new TypeError(`${MaxUnpooling2D.className}: expects two inputs, [updates, mask], got ${Array.isArray(inputs) ? inputs.length : 1}`);
    }
    return [inputs[0], inputs[1]];
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [updates, mask] = this.updatesAndMask(inputShape as Shape[]);
    rank4(MaxUnpooling2D.className, 'updates', updates);
    rank4(MaxUnpooling2D.className, 'mask', mask);
    const scaled = (size: number | null, factor: number) => (size === null ? null : size * factor);
    return [updates[0], scaled(updates[1], this.size[0]), scaled(updates[2], this.size[1]), updates[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [updates, mask] = this.updatesAndMask(inputs);
      rank4(MaxUnpooling2D.className, 'updates', updates.shape);
      if (mask.shape.join() !== updates.shape.join()) {
        throw new RangeError(
          `${MaxUnpooling2D.className}: mask shape ${JSON.stringify(mask.shape)} must equal updates shape ${JSON.stringify(updates.shape)}`,
        );
      }
      const indices = mask.dtype === 'int32' ? mask : tf.cast(mask, 'int32');
      if (indices !== mask) samePoolingIndices(mask, indices);
      const [, h, w] = updates.shape;
      return maxUnpool(tf.cast(updates, 'float32'), indices, {
        kernelSize: this.size,
        stride: this.size,
        outputSize: [h * this.size[0], w * this.size[1]],
        layout: 'NHWC',
        indexFormat: 'flat-no-batch',
      });
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { size: [...this.size], ...super.getConfig() };
  }
}

/**
 * Registers both classes with tfjs's serialization, once (importing this module already does; a
 * bundler that drops side-effect imports needs this call).
 */
export function registerLayers(): void {
  tf.serialization.registerClass(MaxPoolingWithArgmax2D);
  tf.serialization.registerClass(MaxUnpooling2D);
}

registerLayers();
