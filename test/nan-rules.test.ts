/**
 * The `nan` option of max pooling in the CPU reference, on hand-worked windows: each engine's rule
 * (PyTorch's 'propagate', TensorFlow.js's 'ignore', TensorFlow's and ONNX Runtime's 'first') on the
 * examples those engines were measured on, and the cases that tell the rules apart: a NaN as the
 * first tap, a NaN later in the window, a window of only NaN, and NaN payloads copied as they are.
 */
import { describe, expect, it } from 'vitest';
import { maxPool, maxPool2d } from '../src/cpu';
import { resolvePoolGeometry, type NanRule } from '../src/options';

const tensor = (values: number[], shape: number[]) => ({ data: new Float32Array(values), shape });
const bitsOf = (data: Float32Array) => Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));

/** 2x2/2 on [[NaN, 1, 5, NaN], [2, 3, NaN, NaN]]: the input each engine was run on. */
const TWO_WINDOWS = tensor([NaN, 1, 5, NaN, 2, 3, NaN, NaN], [1, 1, 2, 4]);

describe('max pooling NaN rules (CPU reference)', () => {
  it("'propagate' (the default, PyTorch): a NaN takes the window, the last NaN's index", () => {
    for (const options of [{ kernelSize: 2 }, { kernelSize: 2, nan: 'propagate' as const }]) {
      const { values, indices } = maxPool2d(TWO_WINDOWS, options);
      expect(Array.from(values.data)).toEqual([NaN, NaN]);
      expect(Array.from(indices.data)).toEqual([0, 7]);
    }
  });

  it("'first' (ONNX Runtime's CPU MaxPool with Indices): a NaN wins only as the first tap", () => {
    const { values, indices } = maxPool2d(TWO_WINDOWS, { kernelSize: 2, nan: 'first' });
    expect(Array.from(values.data)).toEqual([NaN, 5]);
    expect(Array.from(indices.data)).toEqual([0, 2]);
  });

  it("'ignore' (TensorFlow.js): a NaN never wins over a number", () => {
    const { values, indices } = maxPool2d(TWO_WINDOWS, { kernelSize: 2, nan: 'ignore' });
    expect(Array.from(values.data)).toEqual([3, 5]);
    expect(Array.from(indices.data)).toEqual([5, 2]);
  });

  it("'ignore' gives tfjs's answer on its own \"ignores NaNs\" case (channels-last, flat indices)", () => {
    const x = tensor([NaN, 1, 2, 3, 4, 5, 6, 7, 9], [1, 3, 3, 1]);
    const { values, indices } = maxPool(x, { kernelSize: 2, stride: 1, layout: 'NHWC', indexFormat: 'flat-no-batch', nan: 'ignore' });
    expect(Array.from(values.data)).toEqual([4, 5, 7, 9]);
    expect(Array.from(indices.data)).toEqual([4, 5, 7, 8]);
  });

  it('a window of only NaN keeps its first tap under every rule but propagate, which keeps its last', () => {
    const x = tensor([NaN, NaN, NaN, NaN], [1, 1, 2, 2]);
    const expected: Record<NanRule, number> = { propagate: 3, ignore: 0, first: 0 };
    for (const nan of ['propagate', 'ignore', 'first'] as const) {
      const { values, indices } = maxPool2d(x, { kernelSize: 2, nan });
      expect(Number.isNaN(values.data[0])).toBe(true);
      expect(indices.data[0], nan).toBe(expected[nan]);
    }
  });

  it('copies the winning NaN bits as they are (sign and payload)', () => {
    const bits = new Uint32Array([0xffc00123, 0x3f800000, 0x7f800001, 0x40000000]);
    const x = { data: new Float32Array(bits.buffer), shape: [1, 1, 4] };
    expect(bitsOf(maxPool(x, { kernelSize: 4, nan: 'propagate' }).values.data)).toEqual([0x7f800001]);
    expect(bitsOf(maxPool(x, { kernelSize: 4, nan: 'first' }).values.data)).toEqual([0xffc00123]);
    expect(bitsOf(maxPool(x, { kernelSize: 4, nan: 'ignore' }).values.data)).toEqual([0x40000000]);
  });

  it('padding never counts as a first tap: the first in-bounds element does', () => {
    // Window 0 covers padding, NaN, 4; window 1 covers 4, 1, 2; window 2 covers 2, 3, padding.
    const x = tensor([NaN, 4, 1, 2, 3], [1, 1, 5]);
    const first = maxPool(x, { kernelSize: 3, stride: 2, padding: 1, nan: 'first' });
    expect(Array.from(first.values.data)).toEqual([NaN, 4, 3]);
    expect(Array.from(first.indices.data)).toEqual([0, 1, 4]);
    const ignore = maxPool(x, { kernelSize: 3, stride: 2, padding: 1, nan: 'ignore' });
    expect(Array.from(ignore.values.data)).toEqual([4, 4, 3]);
    expect(Array.from(ignore.indices.data)).toEqual([1, 1, 4]);
  });

  it('keeps ties to the first maximum and -0 beside +0 under every rule', () => {
    for (const nan of ['propagate', 'ignore', 'first'] as const) {
      const { values, indices } = maxPool(tensor([-0, 0, -1, 7, 7], [1, 1, 5]), { kernelSize: [5], nan });
      expect(Array.from(indices.data), nan).toEqual([3]);
      expect(values.data[0]).toBe(7);
      const zeros = maxPool(tensor([-0, 0], [1, 1, 2]), { kernelSize: 2, nan });
      expect(Object.is(zeros.values.data[0], -0), nan).toBe(true);
    }
  });

  it("refuses an unknown rule, naming the option and the value", () => {
    expect(() => resolvePoolGeometry('maxPool', [1, 1, 4], { kernelSize: 2, nan: 'skip' as NanRule })).toThrow(
      "maxPool1d: nan must be 'propagate', 'ignore' or 'first', got \"skip\"",
    );
  });
});
