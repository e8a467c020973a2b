/**
 * The argpool/tfjs-layers tests that hold on every backend: the two Keras SegNet layers against a
 * direct reading of TensorFlow's semantics (written here, from tf.nn.max_pool_with_argmax and the
 * Keras layer's tf.scatter_nd, not from argpool), loading from a converter-format model.json,
 * training with fit, and round trips through toJSON. The node project runs them on tfjs's `cpu`
 * backend, the browser project on `webgpu`.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MaxPoolingWithArgmax2D, MaxUnpooling2D, registerLayers } from 'argpool/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { expectBitsEqual, expectClose } from '../compare';
import { makeValues, rng } from '../data';

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * tf.nn.max_pool_with_argmax on [N, H, W, C], include_batch_in_index false: 'SAME' pads
 * max((ceil(H / s) - 1) * s + k - H, 0) rows, half (rounded down) before; padding never wins; argmax
 * is (y * W + x) * C + c. TensorFlow's CPU kernel (tensorflow/core/kernels/maxpooling_op.cc,
 * SpatialMaxPoolWithArgMaxHelper) takes a tap when `output < input || argmax == kInvalidMaxPoolingIndex`:
 * the first tap in row-major window order always, a later one only when strictly greater. So the
 * first maximum wins a tie, and a NaN wins only as the first tap (no comparison with NaN is true).
 */
export function tfMaxPoolWithArgmax(
  data: Float32Array,
  shape: number[],
  k: [number, number],
  s: [number, number],
  padding: 'same' | 'valid',
): { values: Float32Array; argmax: Float32Array; shape: number[] } {
  const [n, h, w, c] = shape;
  const outH = padding === 'same' ? Math.ceil(h / s[0]) : Math.floor((h - k[0]) / s[0]) + 1;
  const outW = padding === 'same' ? Math.ceil(w / s[1]) : Math.floor((w - k[1]) / s[1]) + 1;
  const padTop = padding === 'same' ? Math.floor(Math.max((outH - 1) * s[0] + k[0] - h, 0) / 2) : 0;
  const padLeft = padding === 'same' ? Math.floor(Math.max((outW - 1) * s[1] + k[1] - w, 0) / 2) : 0;
  const values = new Float32Array(n * outH * outW * c);
  const argmax = new Float32Array(values.length);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let where = -1;
          for (let dy = 0; dy < k[0]; dy++)
            for (let dx = 0; dx < k[1]; dx++) {
              const y = oy * s[0] - padTop + dy;
              const x = ox * s[1] - padLeft + dx;
              if (y < 0 || y >= h || x < 0 || x >= w) continue;
              const v = data[((b * h + y) * w + x) * c + ch];
              if (where < 0 || v > best) {
                best = v;
                where = (y * w + x) * c + ch;
              }
            }
          const o = ((b * outH + oy) * outW + ox) * c + ch;
          values[o] = best;
          argmax[o] = where;
        }
  return { values, argmax, shape: [n, outH, outW, c] };
}

/**
 * The Keras SegNet MaxUnpooling2D: output [N, H * s0, W * s1, C]; update (b, i, j, f) goes to
 * (b, mask // (W' * C), (mask // C) % W', f) through tf.scatter_nd (which sums duplicates).
 */
export function kerasUnpool(updates: Float32Array, mask: Float32Array, shape: number[], factor: [number, number]): { data: Float32Array; shape: number[] } {
  const [n, h, w, c] = shape;
  const [oh, ow] = [h * factor[0], w * factor[1]];
  const out = new Float32Array(n * oh * ow * c);
  for (let i = 0; i < updates.length; i++) {
    const b = Math.floor(i / (h * w * c));
    const f = i % c;
    const m = Math.trunc(mask[i]);
    const y = Math.floor(m / (ow * c));
    const x = Math.floor(m / c) % ow;
    out[((b * oh + y) * ow + x) * c + f] += updates[i];
  }
  return { data: out, shape: [n, oh, ow, c] };
}

/** Values in [-0.5, 0.5). */
function uniform(length: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length }, () => next() - 0.5);
}

/** Values with many equal maxima (a few levels), so that the first-maximum rule is exercised. */
function tiedValues(length: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length }, () => Math.floor(next() * 4) - 1.5);
}

/** A converter-format (tensorflowjs_converter, Keras) model.json for a small SegNet block, with its weights. */
export function converterModel(seed: number) {
  const next = rng(seed);
  const weights = {
    'conv1/kernel': { shape: [3, 3, 2, 4], data: Float32Array.from({ length: 72 }, () => next() - 0.5) },
    'conv1/bias': { shape: [4], data: Float32Array.from({ length: 4 }, () => (next() - 0.5) * 0.1) },
    'head/kernel': { shape: [1, 1, 4, 1], data: Float32Array.from({ length: 4 }, () => next() - 0.5) },
    'head/bias': { shape: [1], data: new Float32Array([0.05]) },
  };
  const conv = (name: string, filters: number, kernel: number, activation: string, inbound: unknown) => ({
    class_name: 'Conv2D',
    config: {
      name, trainable: true, dtype: 'float32', filters, kernel_size: [kernel, kernel], strides: [1, 1], padding: 'same',
      data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation, use_bias: true,
      kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    },
    name,
    inbound_nodes: [[inbound]],
  });
  const modelTopology = {
    keras_version: '2.15.0',
    backend: 'tensorflow',
    model_config: {
      class_name: 'Functional',
      config: {
        name: 'segnet_block',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 8, 8, 2], dtype: 'float32', sparse: false, ragged: false, name: 'image' }, name: 'image', inbound_nodes: [] },
          conv('conv1', 4, 3, 'relu', ['image', 0, 0, {}]),
          {
            class_name: 'MaxPoolingWithArgmax2D',
            config: { name: 'pool1', trainable: true, dtype: 'float32', pool_size: [2, 2], strides: [2, 2], padding: 'same' },
            name: 'pool1',
            inbound_nodes: [[['conv1', 0, 0, {}]]],
          },
          {
            class_name: 'MaxUnpooling2D',
            config: { name: 'unpool1', trainable: true, dtype: 'float32', size: [2, 2] },
            name: 'unpool1',
            inbound_nodes: [[['pool1', 0, 0, {}], ['pool1', 0, 1, {}]]],
          },
          conv('head', 1, 1, 'linear', ['unpool1', 0, 0, {}]),
        ],
        input_layers: [['image', 0, 0]],
        output_layers: [['head', 0, 0]],
      },
    },
  };
  const weightSpecs = Object.entries(weights).map(([name, w]) => ({ name, shape: w.shape, dtype: 'float32' as const }));
  const all = new Float32Array(Object.values(weights).reduce((a, w) => a + w.data.length, 0));
  let offset = 0;
  for (const w of Object.values(weights)) {
    all.set(w.data, offset);
    offset += w.data.length;
  }
  return { modelTopology, weightSpecs, weightData: all.buffer, weights };
}

/** The converter model's prediction, from tfjs's conv2d and the TensorFlow readings above. */
async function expectedPrediction(input: tf.Tensor4D, weights: ReturnType<typeof converterModel>['weights']): Promise<Float32Array> {
  const w = (name: keyof typeof weights) => tf.tensor(weights[name].data, weights[name].shape);
  const features = tf.tidy(() => tf.relu(tf.add(tf.conv2d(input, w('conv1/kernel') as tf.Tensor4D, 1, 'same'), w('conv1/bias'))));
  const pooled = tfMaxPoolWithArgmax((await features.data()) as Float32Array, features.shape, [2, 2], [2, 2], 'same');
  const unpooled = kerasUnpool(pooled.values, pooled.argmax, pooled.shape, [2, 2]);
  const u = tf.tensor4d(unpooled.data, unpooled.shape as [number, number, number, number]);
  const out = tf.tidy(() => tf.add(tf.conv2d(u, w('head/kernel') as tf.Tensor4D, 1, 'same'), w('head/bias')));
  const data = (await out.data()) as Float32Array;
  tf.dispose([features, u, out]);
  return data;
}

export function defineLayersSuite(backend: 'cpu' | 'webgpu'): void {
  describe(`MaxPoolingWithArgmax2D and MaxUnpooling2D on ${backend}`, () => {
    it('runs on the intended backend, with both classes registered under their Keras names', () => {
      expect(tf.getBackend()).toBe(backend);
      const classes = tf.serialization.SerializationMap.getMap().classNameMap;
      expect(classes.MaxPoolingWithArgmax2D?.[0]).toBe(MaxPoolingWithArgmax2D);
      expect(classes.MaxUnpooling2D?.[0]).toBe(MaxUnpooling2D);
      registerLayers(); // idempotent
      expect(tf.serialization.SerializationMap.getMap().classNameMap.MaxUnpooling2D?.[0]).toBe(MaxUnpooling2D);
    });

    for (const [shape, poolSize, strides, padding] of [
      [[2, 8, 8, 3], [2, 2], [2, 2], 'same'],
      [[1, 7, 5, 2], [2, 2], [2, 2], 'SAME'],
      [[2, 9, 8, 3], [3, 3], [2, 2], 'valid'],
      [[1, 6, 7, 4], [3, 2], [2, 3], 'Same'],
    ] as [number[], [number, number], [number, number], string][]) {
      it(`pools as tf.nn.max_pool_with_argmax with argmax cast to float (input ${JSON.stringify(shape)}, pool ${poolSize}, strides ${strides}, ${padding}, ties)`, async () => {
        const data = tiedValues(size(shape), size(shape));
        const expected = tfMaxPoolWithArgmax(data, shape, poolSize, strides, padding.toLowerCase() as 'same' | 'valid');
        const layer = new MaxPoolingWithArgmax2D({ poolSize, strides, padding });
        const x = tf.tensor(data, shape);
        const [values, argmax] = layer.apply(x) as tf.Tensor[];
        expect(values.shape).toEqual(expected.shape);
        expect(argmax.shape).toEqual(expected.shape);
        expect(argmax.dtype).toBe('float32');
        expect(layer.computeOutputShape([null, ...shape.slice(1)])).toEqual([
          [null, ...expected.shape.slice(1)],
          [null, ...expected.shape.slice(1)],
        ]);
        expectBitsEqual((await values.data()) as Float32Array, expected.values, expected.shape, 'output');
        // (tfjs's cpu backend casts int32 to float32 without a copy: its data can be an Int32Array.)
        expectBitsEqual(Float32Array.from(await argmax.data()), expected.argmax, expected.shape, 'argmax');

        // Unpooling what it pooled: as the Keras layer's scatter_nd, with its reading of the mask
        // against the doubled size (for odd sizes with 'same' padding that is not where the maxima were).
        if (padding.toLowerCase() === 'same' && poolSize.join() === '2,2' && strides.join() === '2,2') {
          const unpool = new MaxUnpooling2D({ size: [2, 2] });
          const y = unpool.apply([values, argmax]) as tf.Tensor;
          const reference = kerasUnpool(expected.values, expected.argmax, expected.shape, [2, 2]);
          expect(y.shape).toEqual(reference.shape);
          expectBitsEqual((await y.data()) as Float32Array, reference.data, reference.shape, 'unpooled');
          const yInt = unpool.apply([values, tf.cast(argmax, 'int32')]) as tf.Tensor;
          expectBitsEqual((await yInt.data()) as Float32Array, reference.data, reference.shape, 'unpooled with an int32 mask');
          tf.dispose([y, yInt]);
        }
        tf.dispose([x, values, argmax]);
      });
    }

    it("gives TensorFlow's kernel's NaN answers: a NaN wins as a window's first tap, never as a later one", async () => {
      // Window 0 (taps 0, 1, 4, 5) starts with NaN; window 1 (taps 2, 3, 6, 7) has NaNs after a 5.
      const data = Float32Array.from([NaN, 1, 5, NaN, 2, 3, NaN, NaN]);
      const shape = [1, 2, 4, 1];
      const expected = tfMaxPoolWithArgmax(data, shape, [2, 2], [2, 2], 'valid');
      expect(Array.from(expected.values).map(String)).toEqual(['NaN', '5']);
      expect(Array.from(expected.argmax)).toEqual([0, 2]);
      const x = tf.tensor(data, shape);
      const [values, argmax] = new MaxPoolingWithArgmax2D({ padding: 'valid' }).apply(x) as tf.Tensor[];
      expectBitsEqual((await values.data()) as Float32Array, expected.values, expected.shape, 'output');
      expectBitsEqual(Float32Array.from(await argmax.data()), expected.argmax, expected.shape, 'argmax');
      // PyTorch's rule on request: a NaN always wins (the last NaN of window 1 is tap 7).
      const propagate = new MaxPoolingWithArgmax2D({ padding: 'valid', nan: 'propagate' });
      const [pValues, pArgmax] = propagate.apply(x) as tf.Tensor[];
      expect(Array.from(await pValues.data()).map(String)).toEqual(['NaN', 'NaN']);
      expect(Array.from(await pArgmax.data())).toEqual([0, 7]);
      expect(propagate.getConfig()).toMatchObject({ nan: 'propagate' });
      expect(new MaxPoolingWithArgmax2D().getConfig()).toMatchObject({ nan: 'first' });
      tf.dispose([x, values, argmax, pValues, pArgmax]);
    });

    it("agrees with TensorFlow's kernel rule on random values with NaNs, 'same' padding and ties", async () => {
      const shape = [2, 9, 7, 3];
      const next = rng(61);
      const data = tiedValues(size(shape), 60).map((v) => (next() < 0.15 ? NaN : v));
      const expected = tfMaxPoolWithArgmax(data, shape, [3, 3], [2, 2], 'same');
      const x = tf.tensor(data, shape);
      const [values, argmax] = new MaxPoolingWithArgmax2D({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tf.Tensor[];
      expectBitsEqual((await values.data()) as Float32Array, expected.values, expected.shape, 'output');
      expectBitsEqual(Float32Array.from(await argmax.data()), expected.argmax, expected.shape, 'argmax');
      expect(Array.from(expected.values).some((v) => Number.isNaN(v))).toBe(true);
      tf.dispose([x, values, argmax]);
    });

    it('unpools to [N, H * size0, W * size1, C] for a size other than 2', async () => {
      const shape = [2, 3, 2, 3];
      const updates = makeValues('random', size(shape), 3);
      const next = rng(4);
      // Distinct positions of the 9x4 output plane for the six updates of each (batch, channel), anywhere
      // in the plane (not only in their own 3x2 block), with the update's own channel.
      const mask = new Float32Array(size(shape));
      for (let b = 0; b < 2; b++)
        for (let f = 0; f < 3; f++) {
          const positions = Array.from({ length: 36 }, (_, p) => p);
          for (let p = 35; p > 0; p--) {
            const q = Math.floor(next() * (p + 1));
            [positions[p], positions[q]] = [positions[q], positions[p]];
          }
          for (let j = 0; j < 6; j++) mask[b * 18 + j * 3 + f] = positions[j] * 3 + f;
        }
      const layer = new MaxUnpooling2D({ size: [3, 2] });
      const y = layer.apply([tf.tensor(updates, shape), tf.tensor(mask, shape)]) as tf.Tensor;
      const reference = kerasUnpool(updates, mask, shape, [3, 2]);
      expect(y.shape).toEqual([2, 9, 4, 3]);
      expect(layer.computeOutputShape([[null, 3, 2, 3], [null, 3, 2, 3]])).toEqual([null, 9, 4, 3]);
      expectBitsEqual((await y.data()) as Float32Array, reference.data, reference.shape, 'unpooled 3x2');
      tf.dispose(y);
    });

    it('refuses bad configurations and inputs, naming the layer, the argument and the value', () => {
      expect(() => new MaxPoolingWithArgmax2D({ padding: 'full' })).toThrow(/^MaxPoolingWithArgmax2D: padding must be 'same' or 'valid' \(any case\), got "full"/);
      expect(() => new MaxPoolingWithArgmax2D({ poolSize: [2, 0] })).toThrow(/^MaxPoolingWithArgmax2D: poolSize must be a positive integer or two, got \[2,0\]/);
      expect(() => new MaxPoolingWithArgmax2D({ nan: 'largest' as never })).toThrow(/^MaxPoolingWithArgmax2D: nan must be 'first', 'propagate' or 'ignore', got "largest"/);
      expect(() => new MaxUnpooling2D({ size: [2, 2, 2] })).toThrow(/^MaxUnpooling2D: size must be a positive integer or two/);
      const x = tf.zeros([1, 4, 4, 2]);
      expect(() => new MaxUnpooling2D().apply(x)).toThrow(/^MaxUnpooling2D: expects two inputs, \[updates, mask\], got 1/);
      expect(() => new MaxUnpooling2D().apply([tf.zeros([1, 2, 2, 2]), tf.zeros([1, 2, 3, 2])])).toThrow(/^MaxUnpooling2D: mask shape \[1,2,3,2\] must equal updates shape \[1,2,2,2\]/);
      expect(() => new MaxPoolingWithArgmax2D().apply(tf.zeros([4, 4, 2]))).toThrow(/^MaxPoolingWithArgmax2D: input must have rank 4/);
      x.dispose();
    });

    it('loads a converter-format model.json with tf.loadLayersModel and predicts per TensorFlow semantics', async () => {
      const { modelTopology, weightSpecs, weightData, weights } = converterModel(7);
      const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }));
      expect(model.getLayer('pool1')).toBeInstanceOf(MaxPoolingWithArgmax2D);
      expect(model.getLayer('unpool1')).toBeInstanceOf(MaxUnpooling2D);
      expect(model.outputs[0].shape).toEqual([null, 8, 8, 1]);
      const input = tf.tensor4d(makeValues('random', 3 * 8 * 8 * 2, 8), [3, 8, 8, 2]);
      const y = model.predict(input) as tf.Tensor;
      const expected = await expectedPrediction(input, weights);
      // The convolutions sum in float32 in an order each backend chooses: 1e-5 of the output's scale.
      expectClose((await y.data()) as Float32Array, expected, y.shape, 1e-5, 'prediction', 1);
      tf.dispose([input, y]);
      model.dispose();
    });

    it('trains with fit: the loss decreases and gradients reach the weights before the pooling', async () => {
      const { modelTopology, weightSpecs, weightData } = converterModel(11);
      const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }));
      const x = tf.tensor4d(uniform(4 * 8 * 8 * 2, 12), [4, 8, 8, 2]);
      const target = tf.tensor4d(uniform(4 * 8 * 8, 13), [4, 8, 8, 1]);
      const conv1 = model.getLayer('conv1');
      const kernelBefore = (await conv1.getWeights()[0].data()).slice();

      // The gradient of the loss with respect to conv1's kernel, through unpooling and pooling.
      const kernel = conv1.trainableWeights[0].read() as tf.Variable;
      const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(target, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, [kernel]);
      const gradient = (await grads[kernel.name].data()) as Float32Array;
      expect(gradient.every(Number.isFinite)).toBe(true);
      expect(gradient.filter((g) => g !== 0).length).toBeGreaterThan(gradient.length / 2);
      tf.dispose([value, ...Object.values(grads)]);

      model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
      const before = tf.memory().numTensors;
      const history = await model.fit(x, target, { epochs: 6, batchSize: 4, verbose: 0 });
      const losses = history.history.loss as number[];
      console.log(`fit on ${backend}: loss ${losses.map((l) => l.toFixed(5)).join(' -> ')}`);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
      const kernelAfter = await conv1.getWeights()[0].data();
      expect(kernelAfter.some((v, i) => v !== kernelBefore[i])).toBe(true);
      // fit leaves no tensors behind but its optimizer's state (none for plain SGD).
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, target]);
      model.dispose();
    });

    it('round-trips through toJSON: Keras class names and config keys, same predictions', async () => {
      const { modelTopology, weightSpecs, weightData } = converterModel(17);
      const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }));
      const json = model.toJSON(null, false) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
      const pool = json.config.layers.find((l) => l.class_name === 'MaxPoolingWithArgmax2D')!;
      const unpool = json.config.layers.find((l) => l.class_name === 'MaxUnpooling2D')!;
      expect(pool.config).toMatchObject({ name: 'pool1', pool_size: [2, 2], strides: [2, 2], padding: 'same', nan: 'first' });
      expect(unpool.config).toMatchObject({ name: 'unpool1', size: [2, 2] });
      // Save through tfjs's own IO (the format it writes), load that back, and compare predictions.
      let saved: tf.io.ModelArtifacts | undefined;
      await model.save(tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      const again = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
      const input = tf.tensor4d(makeValues('random', 2 * 8 * 8 * 2, 18), [2, 8, 8, 2]);
      const a = model.predict(input) as tf.Tensor;
      const b = again.predict(input) as tf.Tensor;
      expectBitsEqual((await b.data()) as Float32Array, (await a.data()) as Float32Array, a.shape, 'prediction after the round trip');
      tf.dispose([input, a, b]);
      model.dispose();
      again.dispose();
    });

    it('defaults the keys a Keras config leaves out (pool_size, strides, padding, size)', async () => {
      const layer = tf.serialization.SerializationMap.getMap().classNameMap.MaxPoolingWithArgmax2D[1](
        MaxPoolingWithArgmax2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
        { name: 'bare' },
      ) as MaxPoolingWithArgmax2D;
      expect(layer.getConfig()).toMatchObject({ poolSize: [2, 2], strides: [2, 2], padding: 'same', name: 'bare' });
      expect(new MaxUnpooling2D({}).getConfig()).toMatchObject({ size: [2, 2] });
    });

    it('builds in code in a tf.model, in a SegNet shape, and gives its argmax to the decoder', async () => {
      const input = tfl.input({ shape: [8, 8, 3] });
      const features = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: 'ones' }).apply(input) as tfl.SymbolicTensor;
      const [pooled, argmax] = new MaxPoolingWithArgmax2D({ poolSize: [2, 2], strides: [2, 2], padding: 'same' }).apply(features) as tfl.SymbolicTensor[];
      expect(pooled.shape).toEqual([null, 4, 4, 4]);
      expect(argmax.shape).toEqual([null, 4, 4, 4]);
      const unpooled = new MaxUnpooling2D({ size: [2, 2] }).apply([pooled, argmax]) as tfl.SymbolicTensor;
      expect(unpooled.shape).toEqual([null, 8, 8, 4]);
      const model = tfl.model({ inputs: input, outputs: [unpooled, argmax] });
      const x = tf.tensor4d(makeValues('random', 8 * 8 * 3, 21), [1, 8, 8, 3]);
      const [y, a] = model.predict(x) as tf.Tensor[];
      const indices = Float32Array.from(await a.data());
      const unpooledData = (await y.data()) as Float32Array;
      // Every argmax names a position of the 8x8x4 input that holds its window's maximum, unpooled there.
      expect(indices.every((v) => Number.isInteger(v) && v >= 0 && v < 8 * 8 * 4)).toBe(true);
      expect(indices.every((v, i) => v % 4 === i % 4)).toBe(true);
      expect(unpooledData.filter((v) => v !== 0).length).toBeLessThanOrEqual(indices.length);
      tf.dispose([x, y, a]);
      model.dispose();
    });
  });
}
