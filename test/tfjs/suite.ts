/**
 * The argpool/tfjs tests that hold on every backend it supports: results against argpool's CPU
 * reference and against tfjs's own ops, gradients through tf.grad, refusals, and memory. The node
 * project runs them on tfjs's `cpu` backend, the browser project on `webgpu`.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpu, type PoolOptions, type UnpoolOptions } from 'argpool';
import { maxPoolWithArgmax, maxPoolWithIndices, maxUnpool, MaxPoolWithIndices, MaxUnpool, registerKernels, type NanRule } from 'argpool/tfjs';
import { poolCase } from '../cases';
import { expectBitsEqual, expectClose, expectIntsEqual } from '../compare';
import { makeValues, rng, type ValueKind } from '../data';

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Distinct values in random order, so that no window holds a tie and tfjs's last-wins rule agrees. */
export function distinctValues(length: number, seed: number): Float32Array {
  const next = rng(seed);
  const data = new Float32Array(length);
  for (let i = 0; i < length; i++) data[i] = (i - length / 2) * 0.25;
  for (let i = length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [data[i], data[j]] = [data[j], data[i]];
  }
  return data;
}

/** Options as the ops resolve them: TensorFlow.js's defaults where the case leaves them out. */
const tfDefaults = <O extends PoolOptions | UnpoolOptions>(options: O): O =>
  ({ layout: 'NHWC', indexFormat: 'flat-no-batch', ...options }) as O;

/** Pooling options as the ops resolve them, tfjs's NaN rule included. */
const tfPoolDefaults = (options: PoolOptions): PoolOptions => ({ nan: 'ignore', ...tfDefaults(options) }) as PoolOptions;

export interface Case {
  name: string;
  shape: number[];
  options: PoolOptions;
}

/** Whether unpooling can mirror a case: no dilation or ceil mode, and explicit padding. */
const unpoolable = (c: Case): boolean => c.options.dilation === undefined && !c.options.ceilMode && c.options.padding !== 'same';

/** Hand-picked configurations: every rank, both layouts and every index format, the specialised kernels' shapes. */
export const CASES: Case[] = [
  { name: '2-D, overlapping windows, padding (the README example)', shape: [2, 9, 10, 3], options: { kernelSize: 3, stride: 2, padding: 1 } },
  { name: '2-D, channels in fours (vectorised channels-last kernel)', shape: [1, 8, 8, 8], options: { kernelSize: 2 } },
  { name: "2-D, 'same' padding, per-dimension kernel and stride", shape: [2, 7, 5, 2], options: { kernelSize: [3, 2], stride: [2, 1], padding: 'same' } },
  { name: '1-D, dilation and ceil mode', shape: [2, 11, 3], options: { kernelSize: 3, stride: 2, dilation: 2, ceilMode: true } },
  { name: '3-D, asymmetric padding', shape: [1, 4, 6, 5, 2], options: { kernelSize: 2, stride: [1, 2, 2], padding: [0, 1, 0, 1, 0, 1] } },
  { name: "2-D channels-first, tiling windows (tiled kernel), 'spatial' indices", shape: [2, 3, 8, 16], options: { kernelSize: 2, layout: 'NCHW', indexFormat: 'spatial' } },
  { name: "2-D, 'flat' indices (batch included)", shape: [3, 6, 6, 2], options: { kernelSize: 3, stride: 2, indexFormat: 'flat' } },
];

async function pooled(x: tf.Tensor, options: PoolOptions) {
  const { values, indices } = maxPoolWithIndices(x, options);
  const result = { values: (await values.data()) as Float32Array, indices: (await indices.data()) as Int32Array, shape: values.shape, indexShape: indices.shape };
  expect(values.dtype).toBe('float32');
  expect(indices.dtype).toBe('int32');
  values.dispose();
  indices.dispose();
  return result;
}

export function defineSuite(backend: 'cpu' | 'webgpu'): void {
  describe(`maxPoolWithIndices on ${backend}`, () => {
    it('runs on the intended backend', () => {
      expect(tf.getBackend()).toBe(backend);
    });

    for (const c of CASES) {
      for (const kind of ['random', 'ties', 'nan'] as ValueKind[]) {
        it(`matches the CPU reference bit for bit: ${c.name}, ${kind} values`, async () => {
          const data = makeValues(kind, size(c.shape), size(c.shape) + kind.length);
          const expected = cpu.maxPool({ data, shape: c.shape }, tfPoolDefaults(c.options));
          const x = tf.tensor(data, c.shape, 'float32');
          const actual = await pooled(x, c.options);
          x.dispose();
          expect(actual.shape).toEqual(expected.values.shape);
          expect(actual.indexShape).toEqual(expected.indices.shape);
          expectBitsEqual(actual.values, expected.values.data, expected.values.shape, `values ${c.name}`);
          expectIntsEqual(actual.indices, expected.indices.data, expected.indices.shape, `indices ${c.name}`);
        });
      }
    }

    it('matches the CPU reference over random configurations and NaN rules', async () => {
      let compared = 0;
      await fc.assert(
        fc.asyncProperty(poolCase, fc.constantFrom<NanRule>('propagate', 'ignore', 'first'), async (c, nan) => {
          const data = makeValues(c.kind, size(c.shape), c.seed);
          const options = { ...c.options, nan } as PoolOptions;
          let expected;
          try {
            expected = cpu.maxPool({ data, shape: c.shape }, options);
          } catch {
            return; // refused configurations: see the refusal tests
          }
          const x = tf.tensor(data, c.shape, 'float32');
          // The case's own layout and index format, explicitly given, override TensorFlow's defaults.
          const actual = await pooled(x, { layout: 'NCHW', indexFormat: 'spatial', ...options });
          x.dispose();
          expectBitsEqual(actual.values, expected.values.data, expected.values.shape, `values ${JSON.stringify(c)}`);
          expectIntsEqual(actual.indices, expected.indices.data, expected.indices.shape, `indices ${JSON.stringify(c)}`);
          compared++;
        }),
        { numRuns: backend === 'cpu' ? 200 : 60, seed: 20240610 },
      );
      expect(compared).toBeGreaterThan(backend === 'cpu' ? 120 : 30);
    });

    for (const [filterSize, strides, pad] of [
      [2, 2, 'valid'],
      [3, 2, 'same'],
      [3, 1, 'valid'],
      [[3, 2], [2, 3], 'same'],
    ] as const) {
      for (const includeBatchInIndex of [false, true]) {
        it(`agrees with tf.maxPoolWithArgmax on distinct values (filter ${filterSize}, strides ${strides}, ${pad}, includeBatchInIndex ${includeBatchInIndex})`, async () => {
          const shape = [2, 9, 8, 3];
          const x = tf.tensor(distinctValues(size(shape), 7), shape, 'float32');
          const theirs = tf.maxPoolWithArgmax(x as tf.Tensor4D, filterSize as [number, number], strides as [number, number], pad, includeBatchInIndex);
          const ours = await pooled(x, { kernelSize: filterSize, stride: strides, padding: pad, indexFormat: includeBatchInIndex ? 'flat' : 'flat-no-batch' });
          expect(ours.shape).toEqual(theirs.result.shape);
          expectBitsEqual(ours.values, (await theirs.result.data()) as Float32Array, ours.shape, 'values');
          expectIntsEqual(ours.indices, (await theirs.indexes.data()) as Int32Array, ours.shape, 'indices');
          tf.dispose([x, theirs.result, theirs.indexes]);
        });
      }
    }

    it(`lets the first of equal maxima win; tf.maxPoolWithArgmax takes the ${backend === 'webgpu' ? 'last' : 'first'} on ${backend}`, async () => {
      // One 2x2 window of equal values: positions 0, 1, 2, 3 in TensorFlow's flat format (one channel).
      const x = tf.tensor4d([5, 5, 5, 5], [1, 2, 2, 1]);
      const ours = await pooled(x, { kernelSize: 2 });
      const theirs = tf.maxPoolWithArgmax(x, 2, 2, 'valid');
      expect(Array.from(ours.indices)).toEqual([0]);
      // tfjs's webgpu kernel compares with >= (the last maximum wins), its cpu kernel with >.
      expect(Array.from(await theirs.indexes.data())).toEqual([backend === 'webgpu' ? 3 : 0]);
      tf.dispose([x, theirs.result, theirs.indexes]);
    });
  });

  describe(`maxUnpool on ${backend}`, () => {
    for (const c of CASES.filter(unpoolable)) {
      it(`undoes pooling as the CPU reference does: ${c.name}`, async () => {
        const data = makeValues('random', size(c.shape), 11);
        const options = tfDefaults(c.options);
        const ref = cpu.maxPool({ data, shape: c.shape }, options);
        const inputSpatial = options.layout === 'NCHW' ? c.shape.slice(2) : c.shape.slice(1, -1);
        const unpoolOptions: UnpoolOptions = { ...pick(c.options), outputSize: inputSpatial };
        const expected = cpu.maxUnpool(ref.values, ref.indices, tfDefaults(unpoolOptions));
        const x = tf.tensor(data, c.shape, 'float32');
        const { values, indices } = maxPoolWithIndices(x, c.options);
        // Indices straight from the pooling, and the same indices made by tfjs (no provenance).
        const uploaded = tf.tensor(ref.indices.data, ref.indices.shape, 'int32');
        for (const [path, idx] of [['pooled', indices], ['uploaded', uploaded]] as const) {
          const y = maxUnpool(values, idx, unpoolOptions);
          expect(y.shape).toEqual(expected.shape);
          expectBitsEqual((await y.data()) as Float32Array, expected.data, expected.shape, `unpooled (${path} indices) ${c.name}`);
          y.dispose();
        }
        tf.dispose([x, values, indices, uploaded]);
      });
    }

    it("fills the positions no index reaches with 'nearest'", async () => {
      const shape = [1, 4, 6, 2];
      const data = makeValues('random', size(shape), 5);
      const ref = cpu.maxPool({ data, shape }, tfDefaults({ kernelSize: 2 }));
      const expected = cpu.maxUnpool(ref.values, ref.indices, tfDefaults({ kernelSize: 2, fill: 'nearest' }));
      const v = tf.tensor(ref.values.data, ref.values.shape);
      const i = tf.tensor(ref.indices.data, ref.indices.shape, 'int32');
      const y = maxUnpool(v, i, { kernelSize: 2, fill: 'nearest' });
      expectBitsEqual((await y.data()) as Float32Array, expected.data, expected.shape, 'nearest fill');
      tf.dispose([v, i, y]);
    });
  });

  describe(`maxPoolWithArgmax (the drop-in) on ${backend}`, () => {
    for (const [filterSize, strides, pad] of [
      [2, 2, 'valid'],
      [3, 2, 'same'],
      [3, 1, 'valid'],
      [[3, 2], [2, 3], 'same'],
      [3, 2, 1],
    ] as const) {
      for (const includeBatchInIndex of [false, true]) {
        it(`equals tf.maxPoolWithArgmax, values and int32 indexes (filter ${filterSize}, strides ${strides}, pad ${pad}, includeBatchInIndex ${includeBatchInIndex})`, async () => {
          const shape: [number, number, number, number] = [2, 9, 9, 3];
          const x = tf.tensor4d(distinctValues(size(shape), 17), shape, 'float32');
          const theirs = tf.maxPoolWithArgmax(x, filterSize as [number, number], strides as [number, number], pad, includeBatchInIndex);
          const ours = maxPoolWithArgmax(x, filterSize as [number, number], strides as [number, number], pad, includeBatchInIndex);
          expect(Object.keys(ours).sort()).toEqual(['indexes', 'result']);
          expect(ours.result.shape).toEqual(theirs.result.shape);
          expect(ours.indexes.shape).toEqual(theirs.indexes.shape);
          expect(ours.result.dtype).toBe('float32');
          expect(ours.indexes.dtype).toBe('int32');
          expectBitsEqual((await ours.result.data()) as Float32Array, (await theirs.result.data()) as Float32Array, ours.result.shape, 'result');
          expectIntsEqual((await ours.indexes.data()) as Int32Array, (await theirs.indexes.data()) as Int32Array, ours.indexes.shape, 'indexes');
          tf.dispose([x, theirs.result, theirs.indexes, ours.result, ours.indexes]);
        });
      }
    }

    it('takes a plain array like tfjs, and refuses what tfjs cannot size, naming the op', async () => {
      const nested = [[[[1], [4]], [[3], [2]]]];
      const { result, indexes } = maxPoolWithArgmax(nested, 2, 2, 'valid');
      expect(Array.from(await result.data())).toEqual([4]);
      expect(Array.from(await indexes.data())).toEqual([1]);
      tf.dispose([result, indexes]);
      const x = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
      expect(() => maxPoolWithArgmax(x, 2, 3, 1)).toThrow(/^maxPoolWithArgmax: pad 1 with filterSize 2 and strides 3 gives a fractional output size/);
      expect(() => maxPoolWithArgmax(tf.zeros([4, 4, 1]) as unknown as tf.Tensor4D, 2, 2, 'valid')).toThrow(/^maxPoolWithArgmax: x must be rank 4/);
      expect(() => maxPoolWithArgmax(x, 2, 2, 'full' as 'same')).toThrow(/^maxPoolWithArgmax: pad must be 'valid', 'same' or a number, got string full/);
      expect(() => maxPoolWithArgmax(x, 4, 2, 3)).toThrow(/^maxPoolWithArgmax2d: padding must be at most half of kernelSize/);
      const before = tf.memory().numTensors;
      expect(() => maxPoolWithArgmax([[[[1], [2]]]], 3, 1, 'valid')).toThrow(/^maxPoolWithArgmax2d: output would be empty/);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });

    it('is differentiable: its gradient equals that of tf.maxPool on distinct values', async () => {
      const shape = [2, 8, 8, 3];
      const x = tf.tensor(distinctValues(size(shape), 5), shape);
      const w = tf.randomUniform([2, 4, 4, 3], -1, 1, 'float32', 3);
      const ours = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(maxPoolWithArgmax(input as tf.Tensor4D, 3, 2, 'same').result, w)))(x);
      const theirs = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, 3, 2, 'same'), w)))(x);
      expectClose((await ours.data()) as Float32Array, (await theirs.data()) as Float32Array, shape, 1e-6, 'dx vs tf.maxPool', 1);
      tf.dispose([x, w, ours, theirs]);
    });
  });

  describe(`tensors cast from int32 on ${backend}`, () => {
    it('pools and unpools a float32 tensor cast from int32 (tfjs may keep its data as int32) by its values', async () => {
      const shape = [2, 6, 6, 3];
      const ints = Int32Array.from({ length: size(shape) }, (_, i) => ((i * 7919) % 101) - 50);
      const floats = Float32Array.from(ints);
      const xInt = tf.tensor(ints, shape, 'int32');
      const x = tf.cast(xInt, 'float32');
      const before = tf.memory().numTensors;
      const { values, indices } = maxPoolWithIndices(x, { kernelSize: 2 });
      expect(tf.memory().numTensors).toBe(before + 2);
      const expected = cpu.maxPool({ data: floats, shape }, tfDefaults({ kernelSize: 2 }));
      expectBitsEqual(Float32Array.from(await values.data()), expected.values.data, expected.values.shape, 'values of a cast tensor');
      expectIntsEqual((await indices.data()) as Int32Array, expected.indices.data, expected.indices.shape, 'indices of a cast tensor');
      const pooledInt = tf.tensor(Int32Array.from(expected.values.data), expected.values.shape, 'int32');
      const y = maxUnpool(tf.cast(pooledInt, 'float32'), indices, { kernelSize: 2 });
      const unpooled = cpu.maxUnpool(expected.values, expected.indices, tfDefaults({ kernelSize: 2 }));
      expectBitsEqual(Float32Array.from(await y.data()), unpooled.data, unpooled.shape, 'unpooled cast values');
      tf.dispose([xInt, x, values, indices, pooledInt, y]);
    });
  });

  describe(`dilation on ${backend}`, () => {
    it('reaches pooling, unpooling and both gradients, as in the CPU reference', async () => {
      const shape = [2, 7, 7, 3];
      const options = { kernelSize: 2, stride: 2, dilation: 2 };
      const unpoolOptions = { ...options, outputSize: [7, 7] };
      const data = makeValues('random', size(shape), 23);
      const ref = cpu.maxPool({ data, shape }, tfDefaults(options));
      const x = tf.tensor(data, shape);
      const { values, indices } = maxPoolWithIndices(x, options);
      expectIntsEqual((await indices.data()) as Int32Array, ref.indices.data, ref.indices.shape, 'dilated indices');
      const expected = cpu.maxUnpool(ref.values, ref.indices, tfDefaults(unpoolOptions));
      const y = maxUnpool(values, indices, unpoolOptions);
      expectBitsEqual((await y.data()) as Float32Array, expected.data, expected.shape, 'unpooled with dilation');
      const dy = tf.tensor(makeValues('random', size(shape), 24), shape);
      const dx = tf.grad((input: tf.Tensor) => {
        const r = maxPoolWithIndices(input, options);
        return maxUnpool(r.values, r.indices, unpoolOptions);
      })(x, dy);
      const pooledDy = cpu.maxUnpoolBackward({ data: (await dy.data()) as Float32Array, shape }, ref.indices, tfDefaults(unpoolOptions));
      const expectedDx = cpu.maxPoolBackward(pooledDy, ref.indices, { ...tfDefaults(options), inputShape: shape });
      expectBitsEqual((await dx.data()) as Float32Array, expectedDx.data, shape, 'dx with dilation');
      tf.dispose([x, values, indices, y, dy, dx]);
    });

    it('is read by the unpooling kernels, which check it like the ops do', () => {
      registerKernels();
      const v = tf.ones([1, 2, 2, 1]);
      const i = tf.zeros([1, 2, 2, 1], 'int32');
      const before = tf.memory().numTensors;
      expect(() => maxUnpool(v, i, { kernelSize: 2, dilation: 0 })).toThrow(/^maxUnpool2d: dilation must be positive integers, got 0/);
      expect(() => tf.engine().runKernel(MaxUnpool, { values: v, indices: i }, { kernelSize: 2, dilation: [1, 0] })).toThrow(
        /^maxUnpool2d: dilation must be positive integers, got \[1, 0\]/,
      );
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([v, i]);
    });
  });

  describe(`gradients on ${backend}`, () => {
    for (const c of CASES) {
      it(`tf.grad through maxPoolWithIndices matches the CPU reference gradient: ${c.name}`, async () => {
        const data = makeValues('ties', size(c.shape), 3);
        const options = tfDefaults(c.options);
        const ref = cpu.maxPool({ data, shape: c.shape }, options);
        const weights = makeValues('random', size(ref.values.shape), 4);
        const expected = cpu.maxPoolBackward({ data: weights, shape: ref.values.shape }, ref.indices, { ...options, inputShape: c.shape });
        const x = tf.tensor(data, c.shape);
        const w = tf.tensor(weights, ref.values.shape);
        // d/dx sum(values * w) = maxPoolBackward(w): dValues is w exactly, so the only sums are the
        // gradient's own, over windows that chose one element more than once.
        const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(maxPoolWithIndices(input, c.options).values, w)))(x);
        expect(dx.shape).toEqual(c.shape);
        // Tolerance 0: argpool sums in the reference's order (pooled memory order), so even the sums
        // over overlapping windows agree exactly.
        expectClose((await dx.data()) as Float32Array, expected.data, expected.shape, 0, `dx ${c.name}`);
        tf.dispose([x, w, dx]);
      });

      if (!unpoolable(c)) continue;
      it(`tf.grad through maxUnpool matches the CPU reference gradient (a gather, bit for bit): ${c.name}`, async () => {
        const data = makeValues('random', size(c.shape), 8);
        const options = tfDefaults(c.options);
        const ref = cpu.maxPool({ data, shape: c.shape }, options);
        const inputSpatial = options.layout === 'NCHW' ? c.shape.slice(2) : c.shape.slice(1, -1);
        const unpoolOptions: UnpoolOptions = { ...pick(c.options), outputSize: inputSpatial };
        const outShape = cpu.maxUnpool(ref.values, ref.indices, tfDefaults(unpoolOptions)).shape;
        const weights = makeValues('nan', size(outShape), 9);
        const expected = cpu.maxUnpoolBackward({ data: weights, shape: outShape }, ref.indices, tfDefaults(unpoolOptions));
        const v = tf.tensor(ref.values.data, ref.values.shape);
        const i = tf.tensor(ref.indices.data, ref.indices.shape, 'int32');
        const dy = tf.tensor(weights, outShape);
        // tf.grad's own dy is the upstream gradient: pass it in directly.
        const dv = tf.grad((values: tf.Tensor) => maxUnpool(values, i, unpoolOptions))(v, dy);
        expect(dv.shape).toEqual(ref.values.shape);
        expectBitsEqual((await dv.data()) as Float32Array, expected.data, expected.shape, `dValues ${c.name}`);
        tf.dispose([v, i, dy, dv]);
      });
    }

    it('tf.grad through maxPoolWithIndices agrees with the gradient of tf.maxPool on distinct values', async () => {
      const shape = [2, 9, 8, 3];
      const x = tf.tensor(distinctValues(size(shape), 21), shape);
      const w = tf.randomUniform([2, 5, 4, 3], -1, 1, 'float32', 5);
      const ours = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(maxPoolWithIndices(input, { kernelSize: 3, stride: 2, padding: 'same' }).values, w)))(x);
      const theirs = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, 3, 2, 'same'), w)))(x);
      // Overlapping windows: both sum the same (at most four) terms, possibly in another order.
      expectClose((await ours.data()) as Float32Array, (await theirs.data()) as Float32Array, shape, 1e-6, 'dx vs tf.maxPool', 1);
      tf.dispose([x, w, ours, theirs]);
    });

    it('tf.grads through an encoder-decoder (conv, pool, conv, unpool, conv) matches the same chain built from tfjs ops', async () => {
      // Pooling 2x2/2 then unpooling equals "upsample by nearest, keep where the input was its
      // window's maximum" when windows hold no ties; tfjs differentiates that chain with its own ops.
      const next = rng(99);
      const random = (shape: number[]) => tf.tensor(Float32Array.from({ length: size(shape) }, () => next() - 0.5), shape);
      const x = random([2, 8, 12, 3]);
      const f1 = random([3, 3, 3, 4]);
      const f2 = random([3, 3, 4, 4]);
      const f3 = random([3, 3, 4, 2]);
      const withArgpool = (input: tf.Tensor, a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        const h = tf.tanh(tf.conv2d(input as tf.Tensor4D, a as tf.Tensor4D, 1, 'same'));
        const { values, indices } = maxPoolWithIndices(h, { kernelSize: 2 });
        const z = tf.tanh(tf.conv2d(values, b as tf.Tensor4D, 1, 'same'));
        const y = maxUnpool(z, indices, { kernelSize: 2, outputSize: [8, 12] });
        return tf.sum(tf.square(tf.conv2d(y, c as tf.Tensor4D, 1, 'same')));
      };
      // Nearest 2x upsampling by stacking copies (tfjs-backend-cpu 4.22's resizeNearestNeighbor
      // gradient is wrong for a batch above 1, so the reference chain avoids it).
      const upsample = (t: tf.Tensor4D): tf.Tensor4D => {
        const [n, h, w, c] = t.shape;
        const wide = tf.reshape(tf.stack([t, t], 3), [n, h, 2 * w, c]);
        return tf.reshape(tf.stack([wide, wide], 2), [n, 2 * h, 2 * w, c]) as tf.Tensor4D;
      };
      // The mask is piecewise constant in the inputs: computed once, outside the differentiated chain.
      const mask = tf.tidy(() => {
        const h = tf.tanh(tf.conv2d(x as tf.Tensor4D, f1 as tf.Tensor4D, 1, 'same'));
        return tf.cast(tf.equal(h, upsample(tf.maxPool(h, 2, 2, 'valid'))), 'float32');
      });
      const withTfjs = (input: tf.Tensor, a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        const h = tf.tanh(tf.conv2d(input as tf.Tensor4D, a as tf.Tensor4D, 1, 'same'));
        const pooledH = tf.maxPool(h, 2, 2, 'valid');
        const z = tf.tanh(tf.conv2d(pooledH, b as tf.Tensor4D, 1, 'same'));
        const y = tf.mul(upsample(z), mask) as tf.Tensor4D;
        return tf.sum(tf.square(tf.conv2d(y, c as tf.Tensor4D, 1, 'same')));
      };
      const before = tf.memory().numTensors;
      const ours = tf.grads(withArgpool)([x, f1, f2, f3]);
      const theirs = tf.grads(withTfjs)([x, f1, f2, f3]);
      for (let k = 0; k < 4; k++) {
        const expected = (await theirs[k].data()) as Float32Array;
        const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        // Sums over convolutions in float32, in orders the backends choose: 1e-5 of the gradient's scale.
        expectClose((await ours[k].data()) as Float32Array, expected, theirs[k].shape, 1e-5, `gradient ${k}`, scale);
        expect(scale).toBeGreaterThan(0);
      }
      tf.dispose([...ours, ...theirs]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, f1, f2, f3, mask]);
    });
  });

  describe(`refusals and memory on ${backend}`, () => {
    it('refuses bad calls before any work, naming the op, the argument and the value, and stays usable', async () => {
      const x = tf.zeros([1, 4, 4, 2]);
      const before = tf.memory().numTensors;
      const refusals: [() => unknown, RegExp][] = [
        [() => maxPoolWithIndices(x, { kernelSize: 0 }), /^maxPoolWithIndices2d: kernelSize must be positive integers, got 0/],
        [() => maxPoolWithIndices(x, { kernelSize: 2, padding: 2 }), /maxPoolWithIndices2d: padding must be at most half of kernelSize/],
        [() => maxPoolWithIndices(x, { kernelSize: 2, stride: 2, pad: 1 } as PoolOptions), /maxPoolWithIndices2d: unknown option "pad"/],
        [() => maxPoolWithIndices(x, null as unknown as PoolOptions), /^maxPoolWithIndices: options must be an object with at least kernelSize, got null/],
        [() => maxPoolWithIndices(tf.zeros([4, 4], 'float32'), { kernelSize: 2 }), /maxPoolWithIndices: input must have 3, 4 or 5 dimensions .* got shape \[4, 4\]/],
        [() => maxPoolWithIndices(tf.zeros([1, 4, 4, 1], 'int32'), { kernelSize: 2 }), /^maxPoolWithIndices: x must be a float32 tensor, got dtype "int32"/],
        [() => maxPoolWithIndices([1, 2, 3] as unknown as tf.Tensor, { kernelSize: 2 }), /^maxPoolWithIndices: x must be a tf.Tensor, got Array/],
        [() => maxUnpool(tf.zeros([1, 2, 2, 2]), tf.zeros([1, 2, 2, 2], 'float32'), { kernelSize: 2 }), /^maxUnpool: indices must be a int32 tensor, got dtype "float32"/],
        [() => maxUnpool(tf.zeros([1, 2, 2, 2]), tf.zeros([1, 2, 3, 2], 'int32'), { kernelSize: 2 }), /maxUnpool2d: indices shape \[1, 2, 3, 2\] must equal values shape \[1, 2, 2, 2\]/],
        [() => maxUnpool(tf.zeros([1, 2, 2, 2]), tf.zeros([1, 2, 2, 2], 'int32'), { kernelSize: 2, outputSize: [9, 4] }), /maxUnpool2d: outputSize \[9, 4\] is invalid: dimension 0 must be between 3 and 5/],
      ];
      for (const [call, message] of refusals) {
        tf.tidy(() => {
          expect(call).toThrow(message);
        });
      }
      const disposed = tf.ones([1, 2, 2, 1]);
      disposed.dispose();
      expect(() => maxPoolWithIndices(disposed, { kernelSize: 2 })).toThrow(/^maxPoolWithIndices: x has been disposed/);
      expect(tf.memory().numTensors).toBe(before);
      // Both tfjs and argpool still work.
      const { values, indices } = maxPoolWithIndices(tf.add(x, 1), { kernelSize: 2 });
      expect(Array.from(await values.data())).toEqual(new Array(8).fill(1));
      expect(Array.from(await indices.data())).toEqual([0, 1, 4, 5, 16, 17, 20, 21]);
      tf.dispose([x, values, indices]);
    });

    it('refuses a fill without a gradient when the call is recorded for one, at the call, and leaks nothing', () => {
      const v = tf.ones([1, 2, 2, 1]);
      const i = tf.zeros([1, 2, 2, 1], 'int32');
      const before = tf.memory().numTensors;
      for (const fill of ['nearest', 'bilinear'] as const) {
        let reached = false;
        expect(() =>
          tf.tidy(() =>
            tf.grad((values: tf.Tensor) => {
              // (Only this call: tfjs's tape keeps the saved inputs of ops recorded before a throw.)
              const y = maxUnpool(values, i, { kernelSize: 2, fill });
              reached = true;
              return y;
            })(v),
          ),
        ).toThrow(new RegExp(`^maxUnpool2d: fill "${fill}" has no gradient, and this call is being recorded for one`));
        expect(reached).toBe(false);
        expect(tf.memory().numTensors).toBe(before);
      }
      // Outside a gradient function the same call runs.
      const y = maxUnpool(v, i, { kernelSize: 2, fill: 'nearest' });
      expect(y.shape).toEqual([1, 4, 4, 1]);
      y.dispose();
      tf.dispose([v, i]);
    });

    it("refuses 'window' indices on every op, naming the op, and stays usable", async () => {
      const x = tf.tensor(makeValues('random', 16, 2), [1, 4, 4, 1]);
      const before = tf.memory().numTensors;
      const message = (op: string) => new RegExp(`^${op}: indexFormat 'window' \\(uint8 window taps\\) is not available in argpool/tfjs`);
      expect(() => maxPoolWithIndices(x, { kernelSize: 2, indexFormat: 'window' })).toThrow(message('maxPoolWithIndices'));
      const v = tf.ones([1, 2, 2, 1]);
      const i = tf.zeros([1, 2, 2, 1], 'int32');
      expect(() => maxUnpool(v, i, { kernelSize: 2, indexFormat: 'window' })).toThrow(message('maxUnpool'));
      registerKernels();
      // The kernels refuse it too, when run directly.
      expect(() => tf.engine().runKernel(MaxPoolWithIndices, { x }, { kernelSize: 2, indexFormat: 'window' })).toThrow(message('maxPoolWithIndices'));
      expect(() => tf.engine().runKernel(MaxUnpool, { values: v, indices: i }, { kernelSize: 2, indexFormat: 'window' })).toThrow(message('maxUnpool'));
      expect(tf.memory().numTensors).toBe(before + 2);
      tf.dispose([v, i]);
      const { values, indices } = maxPoolWithIndices(x, { kernelSize: 2 });
      expect(indices.dtype).toBe('int32');
      expect(values.shape).toEqual([1, 2, 2, 1]);
      tf.dispose([x, values, indices]);
    });

    it('returns tf.memory().numTensors to its baseline after dispose, tidy and tf.grad', async () => {
      const x = tf.tensor(makeValues('random', 2 * 8 * 8 * 4, 1), [2, 8, 8, 4]);
      const baseline = tf.memory().numTensors;
      const { values, indices } = maxPoolWithIndices(x, { kernelSize: 3, stride: 2, padding: 1 });
      const y = maxUnpool(values, indices, { kernelSize: 3, stride: 2, padding: 1, outputSize: [8, 8] });
      expect(tf.memory().numTensors).toBe(baseline + 3);
      await y.data();
      tf.dispose([values, indices, y]);
      expect(tf.memory().numTensors).toBe(baseline);
      const kept = tf.tidy(() => {
        const r = maxPoolWithIndices(x, { kernelSize: 2 });
        return maxUnpool(r.values, r.indices, { kernelSize: 2 });
      });
      expect(tf.memory().numTensors).toBe(baseline + 1);
      kept.dispose();
      const dx = tf.grad((input: tf.Tensor) => {
        const r = maxPoolWithIndices(input, { kernelSize: 2 });
        return tf.sum(maxUnpool(r.values, r.indices, { kernelSize: 2 }));
      })(x);
      // d/dx sum(unpool(pool(x))) is 1 where x was its window's maximum, 0 elsewhere: one per window.
      const total = tf.sum(dx);
      expect((await total.data())[0]).toBe(2 * 4 * 4 * 4);
      tf.dispose([dx, total]);
      expect(tf.memory().numTensors).toBe(baseline);
      x.dispose();
    });

    it('runs as tfjs kernels through tf.engine().runKernel, with the same defaults', async () => {
      registerKernels(); // the ops do this on first use; direct kernel calls need it first
      const x = tf.tensor(makeValues('random', 2 * 6 * 6 * 3, 13), [2, 6, 6, 3]);
      const [values, indices] = tf.engine().runKernel(MaxPoolWithIndices, { x }, { kernelSize: 2 }) as tf.Tensor[];
      const expected = cpu.maxPool({ data: (await x.data()) as Float32Array, shape: x.shape }, tfDefaults({ kernelSize: 2 }));
      expectBitsEqual((await values.data()) as Float32Array, expected.values.data, expected.values.shape, 'values');
      expectIntsEqual((await indices.data()) as Int32Array, expected.indices.data, expected.indices.shape, 'indices');
      tf.dispose([x, values, indices]);
    });

    it('registers its kernels and gradients under its own names', () => {
      expect(tf.getKernel(MaxPoolWithIndices, backend)).toBeTruthy();
      expect(tf.getKernel(MaxUnpool, backend)).toBeTruthy();
      expect(tf.getGradient(MaxPoolWithIndices)?.outputsToSave).toEqual([false, true]);
      expect(tf.getGradient(MaxUnpool)?.inputsToSave).toEqual(['indices']);
    });
  });
}

/** The unpooling options that mirror a pooling's: window, stride and padding (no dilation or ceil mode). */
function pick(options: PoolOptions): UnpoolOptions {
  const { kernelSize, stride, padding, layout, indexFormat } = options;
  const picked: UnpoolOptions = { kernelSize };
  if (stride !== undefined) picked.stride = stride;
  if (padding !== undefined) picked.padding = padding;
  if (layout !== undefined) picked.layout = layout;
  if (indexFormat !== undefined) picked.indexFormat = indexFormat;
  return picked;
}
