/**
 * argpool/tfjs against TensorFlow.js itself: every case of tfjs-core's own `maxPoolWithArgmax` test
 * file (transcribed in max_pool_with_argmax_test.json, with where it came from) through argpool's
 * drop-in, errors included, and the drop-in against tfjs's `cpu` kernel on random inputs holding a
 * few NaNs. The node project runs them on tfjs's `cpu` backend, the browser project on `webgpu`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { maxPoolWithArgmax } from 'argpool/tfjs';
import { expectBitsEqual, expectIntsEqual } from '../compare';
import { rng } from '../data';
import transcribed from './max_pool_with_argmax_test.json';
import { distinctValues, size } from './suite';

type Pad = 'valid' | 'same' | number;
type Pair = number | [number, number];

interface TfjsCase {
  name: string;
  x: { values: (number | 'NaN')[]; shape: number[] } | { tensorLike: unknown } | { notATensor: unknown };
  filterSize: Pair;
  strides: Pair;
  pad: Pad;
  includeBatchInIndex?: boolean;
  expected?: { result: number[]; indexes: number[]; resultShape?: number[]; indexesShape?: number[] };
  error?: { message: string | null };
}

const CASES = transcribed.cases as TfjsCase[];

/** The case's x as the test passes it: a tensor it makes, a tensor-like array, or something else. */
function argumentOf(c: TfjsCase): unknown {
  if ('values' in c.x) return tf.tensor(c.x.values.map(Number), c.x.shape, 'float32');
  if ('tensorLike' in c.x) return c.x.tensorLike;
  return c.x.notATensor;
}

/**
 * tfjs's own `cpu` kernel for MaxPoolWithArgmax (tfjs-backend-cpu), run on a backend instance of its
 * own, so that it serves as the reference whichever backend is active.
 */
export function tfjsCpuMaxPoolWithArgmax(
  values: Float32Array,
  shape: number[],
  filterSize: Pair,
  strides: Pair,
  pad: Pad,
  includeBatchInIndex: boolean,
): { result: Float32Array; indexes: Int32Array; shape: number[] } {
  const kernel = tf.getKernel('MaxPoolWithArgmax', 'cpu');
  if (!kernel) throw new Error("tfjs-backend-cpu's MaxPoolWithArgmax kernel is not registered");
  const backend = new MathBackendCPU();
  try {
    const x: TensorInfo = { dataId: backend.write(values.slice(), shape, 'float32'), shape, dtype: 'float32' };
    const attrs = { filterSize, strides, pad, includeBatchInIndex } as unknown as tf.NamedAttrMap;
    const [result, indexes] = kernel.kernelFunc({ inputs: { x }, attrs, backend }) as TensorInfo[];
    return {
      result: Float32Array.from(backend.readSync(result.dataId) as Float32Array),
      indexes: Int32Array.from(backend.readSync(indexes.dataId) as Int32Array),
      shape: result.shape,
    };
  } finally {
    backend.dispose();
  }
}

/** Distinct values (no window holds a tie) with about one in `every` made NaN. */
function valuesWithNaNs(length: number, seed: number, every: number): Float32Array {
  const data = distinctValues(length, seed);
  const next = rng(seed + 1);
  for (let i = 0; i < length; i++) if (next() * every < 1) data[i] = NaN;
  return data;
}

export function defineEngineSuite(backend: 'cpu' | 'webgpu'): void {
  describe(`tfjs-core's maxPoolWithArgmax tests through argpool's drop-in on ${backend}`, () => {
    it('has all 14 cases of the transcribed file, with their source', () => {
      expect(CASES).toHaveLength(14);
      expect(transcribed.source).toMatchObject({ repository: 'tensorflow/tfjs', path: 'tfjs-core/src/ops/max_pool_with_argmax_test.ts' });
      expect(transcribed.source.commit).toMatch(/^[0-9a-f]{40}$/);
    });

    for (const c of CASES) {
      it(c.name, async () => {
        expect(tf.getBackend()).toBe(backend);
        const x = argumentOf(c);
        const before = tf.memory().numTensors;
        const call = () => maxPoolWithArgmax(x as tf.Tensor4D, c.filterSize, c.strides, c.pad, c.includeBatchInIndex ?? false);
        if (c.error) {
          expect(call).toThrow(c.error.message === null ? Error : c.error.message);
          // argpool's own words name the op, as tfjs's own do.
          expect(call).toThrow(/maxPoolWithArgmax/);
          expect(tf.memory().numTensors).toBe(before);
          if (x instanceof tf.Tensor) x.dispose();
          return;
        }
        const { result, indexes } = call();
        const expected = c.expected!;
        if (expected.resultShape) expect(result.shape).toEqual(expected.resultShape);
        if (expected.indexesShape) expect(indexes.shape).toEqual(expected.indexesShape);
        expect(result.dtype).toBe('float32');
        expect(indexes.dtype).toBe('int32');
        expectBitsEqual((await result.data()) as Float32Array, Float32Array.from(expected.result), result.shape, `${c.name}: result`);
        expectIntsEqual((await indexes.data()) as Int32Array, Int32Array.from(expected.indexes), indexes.shape, `${c.name}: indexes`);
        tf.dispose([result, indexes]);
        if (x instanceof tf.Tensor) x.dispose();
        expect(tf.memory().numTensors).toBe(before - (x instanceof tf.Tensor ? 1 : 0));
      });
    }

    it("refuses what is no tensor in tfjs's own words", () => {
      for (const bad of [{}, null, undefined, new Map()]) {
        let theirs = '';
        try {
          tf.maxPoolWithArgmax(bad as unknown as tf.Tensor4D, 2, 1, 'valid');
        } catch (error) {
          theirs = (error as Error).message;
        }
        expect(theirs).toMatch(/^Argument 'x' passed to 'maxPoolWithArgmax' must be a Tensor or TensorLike, but got '\w+'$/);
        expect(() => maxPoolWithArgmax(bad as unknown as tf.Tensor4D, 2, 1, 'valid')).toThrow(theirs);
      }
      expect(() => maxPoolWithArgmax({} as tf.Tensor4D, 2, 1, 'valid')).toThrow(
        "Argument 'x' passed to 'maxPoolWithArgmax' must be a Tensor or TensorLike, but got 'Object'",
      );
      expect(() => maxPoolWithArgmax([[[['a']]]] as unknown as tf.Tensor4D, 1, 1, 0)).toThrow(
        "Argument 'x' passed to 'maxPoolWithArgmax' must be numeric tensor, but got string tensor",
      );
    });

    it("the transcribed expectations are tfjs's cpu kernel's own answers", () => {
      for (const c of CASES) {
        if (c.error || !('values' in c.x)) continue;
        const values = Float32Array.from(c.x.values.map(Number));
        const theirs = tfjsCpuMaxPoolWithArgmax(values, c.x.shape, c.filterSize, c.strides, c.pad, c.includeBatchInIndex ?? false);
        expectBitsEqual(theirs.result, Float32Array.from(c.expected!.result), theirs.shape, `${c.name}: tfjs cpu result`);
        expectIntsEqual(theirs.indexes, Int32Array.from(c.expected!.indexes), theirs.shape, `${c.name}: tfjs cpu indexes`);
      }
    });
  });

  describe(`argpool's drop-in against tfjs's cpu kernel on values with NaNs, on ${backend}`, () => {
    for (const [shape, filterSize, strides, pad, includeBatchInIndex] of [
      [[2, 9, 8, 3], 2, 2, 'valid', false],
      [[2, 9, 8, 3], 3, 2, 'same', true],
      [[1, 10, 7, 4], [3, 2], [2, 1], 'same', false],
      [[2, 9, 9, 2], 3, 2, 1, false],
      [[1, 12, 12, 5], 3, 1, 'valid', true],
    ] as [number[], Pair, Pair, Pad, boolean][]) {
      it(`gives tfjs's answers bit for bit (input ${JSON.stringify(shape)}, filter ${filterSize}, strides ${strides}, pad ${pad}, includeBatchInIndex ${includeBatchInIndex})`, async () => {
        const data = valuesWithNaNs(size(shape), size(shape) + 3, 8);
        const nans = data.filter((v) => Number.isNaN(v)).length;
        expect(nans).toBeGreaterThan(size(shape) / 16);
        const theirs = tfjsCpuMaxPoolWithArgmax(data, shape, filterSize, strides, pad, includeBatchInIndex);
        // Every window holds a number (tfjs gives index -1 where none does, argpool a tap of the window).
        expect(Array.from(theirs.indexes)).not.toContain(-1);
        const x = tf.tensor4d(data, shape as [number, number, number, number]);
        const ours = maxPoolWithArgmax(x, filterSize, strides, pad, includeBatchInIndex);
        expect(ours.result.shape).toEqual(theirs.shape);
        expectBitsEqual((await ours.result.data()) as Float32Array, theirs.result, theirs.shape, 'result');
        expectIntsEqual((await ours.indexes.data()) as Int32Array, theirs.indexes, theirs.shape, 'indexes');
        if (backend === 'cpu') {
          // On cpu, the public op is that kernel.
          const op = tf.maxPoolWithArgmax(x, filterSize, strides, pad, includeBatchInIndex);
          expectBitsEqual((await op.result.data()) as Float32Array, theirs.result, theirs.shape, 'tf.maxPoolWithArgmax result');
          expectIntsEqual((await op.indexes.data()) as Int32Array, theirs.indexes, theirs.shape, 'tf.maxPoolWithArgmax indexes');
          tf.dispose([op.result, op.indexes]);
        }
        tf.dispose([x, ours.result, ours.indexes]);
      });
    }

    it("gives PyTorch's NaN rule with { nan: 'propagate' }, and refuses another option", async () => {
      const x = tf.tensor4d([NaN, 1, 2, 3, 4, 5, 6, 7, 9], [1, 3, 3, 1]);
      const { result, indexes } = maxPoolWithArgmax(x, 2, 1, 0, false, { nan: 'propagate' });
      expect(Array.from(await result.data()).map(String)).toEqual(['NaN', '5', '7', '9']);
      expect(Array.from(await indexes.data())).toEqual([0, 5, 7, 8]);
      const before = tf.memory().numTensors;
      expect(() => maxPoolWithArgmax(x, 2, 1, 0, false, { nan: 'largest' } as never)).toThrow(/maxPoolWithArgmax2d: nan must be 'propagate', 'ignore' or 'first', got "largest"/);
      expect(() => maxPoolWithArgmax(x, 2, 1, 0, false, { ties: 'last' } as never)).toThrow(/^maxPoolWithArgmax: options must be an object with at most a nan rule, got \{"ties":"last"\}/);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, result, indexes]);
    });

    it("keeps a tap of a window that holds no number, where tfjs's cpu kernel gives -Infinity and index -1", async () => {
      const data = Float32Array.from([NaN, NaN, 1, -Infinity, NaN, NaN, 2, -Infinity]);
      const theirs = tfjsCpuMaxPoolWithArgmax(data, [1, 2, 4, 1], 2, 2, 'valid', false);
      expect(Array.from(theirs.result)).toEqual([-Infinity, 2]);
      expect(Array.from(theirs.indexes)).toEqual([-1, 6]);
      const x = tf.tensor4d(data, [1, 2, 4, 1]);
      const { result, indexes } = maxPoolWithArgmax(x, 2, 2, 'valid');
      expect(Array.from(await result.data()).map(String)).toEqual(['NaN', '2']);
      expect(Array.from(await indexes.data())).toEqual([0, 6]);
      tf.dispose([x, result, indexes]);
    });
  });
}
