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
import { nanRuleOf, pair, paddingOf, pooledShape, rank4, unpooledShape, type Pair, type Shape } from './arguments.js';

export type { Pair, Shape };
export { inspectLayersModel, LAYER_CLASSES, type InspectLayersOptions } from './inspect.js';
export type { ModelReport, PoolingInfo, StepInfo, TensorInfo, Refusal, ModelLimits, Placement, Dimension, AttributeValue } from '../model/report.js';
export type { ReportOptions } from '../model/reports.js';
export type { LimitOptions } from '../model/limits.js';

/** tfjs-layers' own layer arguments (`name`, `trainable`, `inputShape`, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;

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
    const pooled = pooledShape(shape, this.poolSize, this.strides, this.padding);
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
    const output = unpooledShape(updates, this.size);
    rank4(MaxUnpooling2D.className, 'mask', mask);
    return output;
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
