import { describe, expect, it } from 'vitest';
import {
  indexStrides,
  layoutStrides,
  pooledSize,
  resolvePoolGeometry,
  resolveUnpoolGeometry,
  splitShape,
  unpooledSize,
  type PoolOptions,
  type UnpoolOptions,
} from '../src/options';
import { maxPool1d, maxPool2d, maxPool3d, maxUnpool2d } from '../src/cpu';

/**
 * Output sizes below are derived by listing window starts by hand. The comments also give PyTorch's
 * formula from aten/src/ATen/native/Pool.h as a cross-check:
 *   out = floor_or_ceil((in + 2*pad - dilation*(kernel-1) - 1) / stride) + 1,
 *   and in ceil mode, if (out-1)*stride >= in + pad then out -= 1 (the last window must start inside
 *   the input or the begin padding).
 */
describe('pooledSize', () => {
  it('floor mode drops the partial last window', () => {
    // in=5, k=2, s=2: windows start at 0 and 2; one at 4 would need position 5. PyTorch: floor(3/2)+1 = 2.
    expect(pooledSize(5, 2, 2, 0, 0, 1, false)).toBe(2);
  });

  it('ceil mode keeps a partial last window that starts inside the input', () => {
    // Window starts 0, 2, 4; the one at 4 covers 4 and the missing 5. PyTorch: ceil(3/2)+1 = 3, 2*2=4 < 5 keeps it.
    expect(pooledSize(5, 2, 2, 0, 0, 1, true)).toBe(3);
    // in=4, k=3, s=2: floor gives the window at 0 only; ceil adds the one at 2 (covers 2, 3 and missing 4).
    expect(pooledSize(4, 3, 2, 0, 0, 1, false)).toBe(1);
    expect(pooledSize(4, 3, 2, 0, 0, 1, true)).toBe(2);
  });

  it('ceil mode drops a window that would start in the end padding', () => {
    // in=5, k=2, s=2, pad 1: padded positions -1..5. Window starts -1, 1, 3 fit (3 covers 3, 4).
    // The next start, 5, is end padding, so ceil mode must not add it: the answer is 3 either way.
    // PyTorch: (5 + 2 - 1 - 1 + (2-1)) / 2 + 1 = 4, then (4-1)*2 = 6 >= 5 + 1, so 3.
    expect(pooledSize(5, 2, 2, 1, 1, 1, true)).toBe(3);
    expect(pooledSize(5, 2, 2, 1, 1, 1, false)).toBe(3);
  });

  it('handles padding and dilation', () => {
    // in=3, k=3, s=1, pad 1: starts -1, 0, 1. PyTorch: (3 + 2 - 2 - 1)/1 + 1 = 3.
    expect(pooledSize(3, 3, 1, 1, 1, 1, false)).toBe(3);
    // in=7, k=3, dilation 2: extent 5, starts 0, 1, 2. PyTorch: (7 - 2*2 - 1)/1 + 1 = 3.
    expect(pooledSize(7, 3, 1, 0, 0, 2, false)).toBe(3);
    // Asymmetric padding 0/1 (ONNX pads), in=6, k=3, s=2: starts 0, 2, 4 (4 covers 4, 5, pad).
    expect(pooledSize(6, 3, 2, 0, 1, 1, false)).toBe(3);
  });

  it('returns 0 when the kernel does not fit', () => {
    expect(pooledSize(2, 3, 1, 0, 0, 1, false)).toBe(0);
  });
});

describe('unpooledSize', () => {
  it('is (in-1)*stride - padBegin - padEnd + kernel', () => {
    expect(unpooledSize(2, 2, 2, 0, 0)).toBe(4);
    // PyTorch _unpool_output_size: (3-1)*2 + 3 - 2*1 = 5.
    expect(unpooledSize(3, 3, 2, 1, 1)).toBe(5);
    expect(unpooledSize(3, 3, 3, 0, 0)).toBe(9);
  });
});

describe('padding forms', () => {
  const pads = (shape: number[], options: PoolOptions) => {
    const g = resolvePoolGeometry('maxPool', shape, options);
    return { begin: g.padBegin, end: g.padEnd, out: g.outSpatial };
  };

  it('a number pads every dimension on both sides', () => {
    expect(pads([1, 1, 5, 5], { kernelSize: 3, padding: 1 })).toEqual({ begin: [1, 1], end: [1, 1], out: [2, 2] });
  });

  it('one number per dimension pads both sides of that dimension', () => {
    expect(pads([1, 1, 5, 5], { kernelSize: 3, stride: 1, padding: [1, 0] })).toEqual({ begin: [1, 0], end: [1, 0], out: [5, 3] });
  });

  it('[begin..., end...] gives ONNX pads', () => {
    expect(pads([1, 1, 5, 5], { kernelSize: 3, stride: 1, padding: [1, 0, 0, 1] })).toEqual({
      begin: [1, 0],
      end: [0, 1],
      out: [4, 4],
    });
    // For one spatial dimension a two-element array is [begin, end].
    expect(pads([1, 1, 5], { kernelSize: 2, padding: [1, 0] })).toEqual({ begin: [1], end: [0], out: [3] });
  });

  it("'valid' means no padding", () => {
    expect(pads([1, 1, 5, 5], { kernelSize: 2, padding: 'valid' })).toEqual({ begin: [0, 0], end: [0, 0], out: [2, 2] });
  });

  it("'same' follows TensorFlow: total = max((ceil(in/s)-1)*s + k - in, 0), extra at the end", () => {
    // TF's documented examples: in=5, k=3, s=2 -> out 3, total 2 -> 1/1.
    expect(pads([1, 1, 5], { kernelSize: 3, stride: 2, padding: 'same' })).toEqual({ begin: [1], end: [1], out: [3] });
    // in=4, k=2, s=2 -> out 2, total 0.
    expect(pads([1, 1, 4], { kernelSize: 2, stride: 2, padding: 'same' })).toEqual({ begin: [0], end: [0], out: [2] });
    // in=6, k=3, s=2 -> out 3, total 1 -> 0/1.
    expect(pads([1, 1, 6], { kernelSize: 3, stride: 2, padding: 'same' })).toEqual({ begin: [0], end: [1], out: [3] });
    // Per dimension, and the output is always ceil(in/stride).
    expect(pads([1, 1, 5, 6], { kernelSize: 3, stride: 2, padding: 'same' })).toEqual({ begin: [1, 0], end: [1, 1], out: [3, 3] });
    // in=5, k=1, s=3: (2-1)*3 + 1 - 5 = -1 clamps to 0; out = ceil(5/3) = 2.
    expect(pads([1, 1, 5], { kernelSize: 1, stride: 3, padding: 'same' })).toEqual({ begin: [0], end: [0], out: [2] });
  });

  it("'same' uses the dilated kernel extent", () => {
    // in=5, k=2, dilation 2: extent 3, s=1: total (5-1)*1 + 3 - 5 = 2 -> 1/1.
    expect(pads([1, 1, 5], { kernelSize: 2, dilation: 2, stride: 1, padding: 'same' })).toEqual({ begin: [1], end: [1], out: [5] });
  });
});

describe('geometry', () => {
  it('splits channels-first and channels-last shapes', () => {
    expect(splitShape('op', 'input', [2, 3, 5, 6], 'NCHW')).toEqual({ batch: 2, channels: 3, spatial: [5, 6] });
    expect(splitShape('op', 'input', [2, 5, 6, 3], 'NHWC')).toEqual({ batch: 2, channels: 3, spatial: [5, 6] });
    expect(splitShape('op', 'input', [2, 4, 5, 6, 3], 'NHWC')).toEqual({ batch: 2, channels: 3, spatial: [4, 5, 6] });
  });

  it("resolves defaults: stride = kernel, no padding, dilation 1, NCHW, spatial indices, PyTorch's NaN rule", () => {
    const g = resolvePoolGeometry('maxPool', [2, 3, 6, 4], { kernelSize: [3, 2] }, 2);
    expect(g).toEqual({
      op: 'maxPool2d',
      rank: 2,
      layout: 'NCHW',
      indexFormat: 'spatial',
      batch: 2,
      channels: 3,
      inSpatial: [6, 4],
      outSpatial: [2, 2],
      kernel: [3, 2],
      stride: [3, 2],
      padBegin: [0, 0],
      padEnd: [0, 0],
      dilation: [1, 1],
      ceilMode: false,
      nan: 'propagate',
    });
  });

  it('resolves a channels-last 3-D geometry', () => {
    const g = resolvePoolGeometry('maxPool', [1, 4, 6, 8, 5], { kernelSize: 2, layout: 'NHWC', indexFormat: 'flat' });
    expect(g.op).toBe('maxPool3d');
    expect([g.batch, g.channels]).toEqual([1, 5]);
    expect(g.inSpatial).toEqual([4, 6, 8]);
    expect(g.outSpatial).toEqual([2, 3, 4]);
    expect(g.indexFormat).toBe('flat');
  });

  it('resolves unpooling sizes, default and given', () => {
    const d = resolveUnpoolGeometry('maxUnpool', [1, 2, 2, 3], [1, 2, 2, 3], { kernelSize: 2 });
    expect(d.op).toBe('maxUnpool2d');
    expect(d.outSpatial).toEqual([4, 6]);
    // Given sizes may differ from the default by less than the stride: 3..5 and 5..7 here.
    expect(resolveUnpoolGeometry('maxUnpool', [1, 2, 2, 3], [1, 2, 2, 3], { kernelSize: 2, outputSize: [5, 5] }).outSpatial).toEqual([5, 5]);
    expect(resolveUnpoolGeometry('maxUnpool', [1, 2, 2, 3], [1, 2, 2, 3], { kernelSize: 2, outputSize: [3, 7] }).outSpatial).toEqual([3, 7]);
    // With padding 1, kernel 3, stride 2: (3-1)*2 - 2 + 3 = 5.
    expect(resolveUnpoolGeometry('maxUnpool', [1, 1, 3], [1, 1, 3], { kernelSize: 3, stride: 2, padding: 1 }).outSpatial).toEqual([5]);
  });
});

describe('strides', () => {
  it('layoutStrides gives element strides of (n, c, spatial position)', () => {
    // NCHW [N, 3, 4, 5]: offset = ((n*3 + c)*20 + p.
    expect(layoutStrides('NCHW', 3, 20)).toEqual([60, 20, 1]);
    // NHWC [N, 4, 5, 3]: offset = (n*20 + p)*3 + c.
    expect(layoutStrides('NHWC', 3, 20)).toEqual([60, 1, 3]);
  });

  it('indexStrides encode PyTorch, ONNX and TensorFlow indices', () => {
    expect(indexStrides('spatial', 'NCHW', 3, 20)).toEqual([0, 0, 1]);
    expect(indexStrides('spatial', 'NHWC', 3, 20)).toEqual([0, 0, 1]);
    // ONNX: ((n*C + c)*H + h)*W + w.
    expect(indexStrides('flat', 'NCHW', 3, 20)).toEqual([60, 20, 1]);
    // TF: ((b*height + y)*width + x)*channels + c, with and without the batch term.
    expect(indexStrides('flat', 'NHWC', 3, 20)).toEqual([60, 1, 3]);
    expect(indexStrides('flat-no-batch', 'NHWC', 3, 20)).toEqual([0, 1, 3]);
    expect(indexStrides('flat-no-batch', 'NCHW', 3, 20)).toEqual([0, 20, 1]);
  });
});

describe('validation errors', () => {
  const input2d = [1, 1, 4, 4];
  const pool2d = (options: unknown, shape: number[] = input2d) =>
    () => resolvePoolGeometry('maxPool', shape, options as PoolOptions, 2);
  const unpool2d = (options: unknown, values = [1, 1, 2, 2], indices = values) =>
    () => resolveUnpoolGeometry('maxUnpool', values, indices, options as UnpoolOptions, 2);

  it.each([
    [{ kernelSize: 0 }, /^maxPool2d: kernelSize must be positive integers, got 0$/],
    [{ kernelSize: -1 }, /^maxPool2d: kernelSize .*got -1$/],
    [{ kernelSize: 1.5 }, /^maxPool2d: kernelSize .*got 1\.5$/],
    [{ kernelSize: [2, 2, 2] }, /^maxPool2d: kernelSize must be a number or 2 numbers, got \[2, 2, 2\]$/],
    [{ kernelSize: [2] }, /^maxPool2d: kernelSize .*got \[2\]$/],
    [{ kernelSize: [2, Number.NaN] }, /^maxPool2d: kernelSize .*got \[2, NaN\]$/],
    [{ kernelSize: 2, stride: 0 }, /^maxPool2d: stride .*got 0$/],
    [{ kernelSize: 2, stride: [1, 2, 3] }, /^maxPool2d: stride .*got \[1, 2, 3\]$/],
    [{ kernelSize: 2, dilation: 0 }, /^maxPool2d: dilation .*got 0$/],
    [{ kernelSize: 2, padding: 2 }, /^maxPool2d: padding must be at most half of kernelSize, got padding 2 with kernelSize 2$/],
    [{ kernelSize: 3, padding: [0, 0, 2, 0] }, /^maxPool2d: padding .*\[0, 0, 2, 0\]/],
    [{ kernelSize: 2, padding: -1 }, /^maxPool2d: padding .*got -1$/],
    [{ kernelSize: 2, padding: [1, 1, 1] }, /^maxPool2d: padding .*got \[1, 1, 1\]$/],
    [{ kernelSize: 2, padding: 'full' }, /^maxPool2d: padding .*got "full"$/],
    [{ kernelSize: 2, strides: 1 }, /^maxPool2d: unknown option "strides"/],
    [{ kernelSize: 2, layout: 'NCWH' }, /^maxPool2d: layout must be 'NCHW' or 'NHWC', got "NCWH"$/],
    [{ kernelSize: 2, indexFormat: 'onnx' }, /^maxPool2d: indexFormat .*got "onnx"$/],
    [{ kernelSize: 2, ceilMode: 'yes' }, /^maxPool2d: ceilMode must be true or false, got "yes"$/],
    [{ stride: 2 }, /^maxPool2d: kernelSize is required$/],
    [null, /^maxPool2d: options must be an object .*got null$/],
  ])('pool options %j', (options, message) => {
    expect(pool2d(options)).toThrow(RangeError);
    expect(pool2d(options)).toThrow(message);
  });

  it('names the input shape when the rank or a size is wrong', () => {
    expect(pool2d({ kernelSize: 2 }, [1, 1, 4])).toThrow(/^maxPool2d: input must have 4 dimensions .*got shape \[1, 1, 4\]$/);
    expect(pool2d({ kernelSize: 2 }, [1, 0, 4, 4])).toThrow(/^maxPool2d: input shape must hold positive integers, got \[1, 0, 4, 4\]$/);
    expect(() => resolvePoolGeometry('maxPool', [1, 1, 2, 2, 2, 2], { kernelSize: 1 })).toThrow(
      /^maxPool: input must have 3, 4 or 5 dimensions .*got shape \[1, 1, 2, 2, 2, 2\]$/,
    );
  });

  it('refuses an empty output and names the sizes', () => {
    expect(pool2d({ kernelSize: 3 }, [1, 1, 2, 5])).toThrow(RangeError);
    expect(pool2d({ kernelSize: 3 }, [1, 1, 2, 5])).toThrow(/^maxPool2d: output would be empty: input spatial size \[2, 5\] .* gives \[0, 1\]$/);
  });

  it('refuses a dilated window that covers only padding', () => {
    // Input 2, kernel 2, dilation 3, padding 1: (2 + 2 - 3 - 1)/2 + 1 = 1 window, reading -1 and 2.
    expect(() => resolvePoolGeometry('maxPool', [1, 1, 2], { kernelSize: 2, dilation: 3, padding: 1 })).toThrow(
      /^maxPool1d: window 0 of spatial dimension 0 covers only padding \(input size 2, kernelSize 2, stride 2, padding 1, dilation 3\)/,
    );
    // 'same' can produce one too: input 1, kernel 2, dilation 3 pads 1/2, and the window reads -1 and 2.
    expect(() => resolvePoolGeometry('maxPool', [1, 1, 1], { kernelSize: 2, dilation: 3, padding: 'same' })).toThrow(
      /^maxPool1d: window 0 of spatial dimension 0 covers only padding/,
    );
    // With input 3 the same window reads position 2, so it is accepted.
    expect(resolvePoolGeometry('maxPool', [1, 1, 3], { kernelSize: 2, dilation: 3, padding: 1 }).outSpatial).toEqual([1]);
  });

  it('refuses an index format whose indices would not fit int32', () => {
    // 2 * 1 * 32768 * 32768 = 2^31 elements: 'flat' indices run from 0 to 2^31 - 1, the largest int32.
    const fits = [2, 1, 32768, 32768];
    expect(resolvePoolGeometry('maxPool', fits, { kernelSize: 2, indexFormat: 'flat' }).indexFormat).toBe('flat');
    // One more row per plane and the last index, 2^31 + 2*32768 - 1, no longer fits.
    const shape = [2, 1, 32769, 32768];
    expect(() => resolvePoolGeometry('maxPool', shape, { kernelSize: 2, indexFormat: 'flat' })).toThrow(
      /^maxPool2d: indexFormat "flat" needs indices up to 2147549183, which do not fit int32$/,
    );
    expect(resolvePoolGeometry('maxPool', shape, { kernelSize: 2 }).indexFormat).toBe('spatial');
  });

  it('checks unpooling options', () => {
    expect(unpool2d({ kernelSize: 2, outputSize: [6, 4] })).toThrow(
      /^maxUnpool2d: outputSize \[6, 4\] is invalid: dimension 0 must be between 3 and 5 \(default 4, stride 2\)$/,
    );
    expect(unpool2d({ kernelSize: 2, outputSize: [4, 2] })).toThrow(/^maxUnpool2d: outputSize \[4, 2\] is invalid: dimension 1/);
    expect(unpool2d({ kernelSize: 2, outputSize: [1, 1, 4, 4] })).toThrow(/^maxUnpool2d: outputSize must list 2 positive integers .*got \[1, 1, 4, 4\]$/);
    expect(unpool2d({ kernelSize: 2, padding: 'same' })).toThrow(/^maxUnpool2d: padding 'same' /);
    expect(unpool2d({ kernelSize: 2, dilation: 0 })).toThrow(/^maxUnpool2d: dilation must be positive integers, got 0$/);
    expect(unpool2d({ kernelSize: 2, ceilMode: true })).toThrow(/^maxUnpool2d: unknown option "ceilMode"/);
    expect(unpool2d({ kernelSize: 0 })).toThrow(/^maxUnpool2d: kernelSize .*got 0$/);
    expect(unpool2d({ kernelSize: 2, stride: 0 })).toThrow(/^maxUnpool2d: stride .*got 0$/);
    expect(unpool2d({ kernelSize: 2, padding: 2 })).toThrow(/^maxUnpool2d: padding must be at most half of kernelSize, got padding 2/);
    expect(unpool2d({ kernelSize: 2, layout: 'CHW' })).toThrow(/^maxUnpool2d: layout .*got "CHW"$/);
    expect(unpool2d({ kernelSize: 2, indexFormat: 'tf' })).toThrow(/^maxUnpool2d: indexFormat .*got "tf"$/);
    expect(unpool2d({ kernelSize: 2, fill: 'cubic' })).toThrow(/^maxUnpool2d: fill must be 'zero', 'nearest' or 'bilinear', got "cubic"$/);
    expect(resolveUnpoolGeometry('maxUnpool', [1, 1, 2, 2], [1, 1, 2, 2], { kernelSize: 2 }).fill).toBe('zero');
  });

  it('checks that indices and values have the same shape', () => {
    expect(unpool2d({ kernelSize: 2 }, [1, 1, 2, 2], [1, 1, 2, 3])).toThrow(
      /^maxUnpool2d: indices shape \[1, 1, 2, 3\] must equal values shape \[1, 1, 2, 2\]$/,
    );
    expect(unpool2d({ kernelSize: 2 }, [1, 1, 2, 2], [1, 1, 4])).toThrow(/^maxUnpool2d: indices must have 4 dimensions .*\[1, 1, 4\]$/);
  });

  it('rank-specific entry points check the rank', () => {
    const data = new Float32Array(16);
    expect(() => maxPool2d({ data, shape: [1, 1, 16] }, { kernelSize: 2 })).toThrow(/^maxPool2d: input must have 4 dimensions/);
    expect(() => maxPool1d({ data, shape: [1, 1, 4, 4] }, { kernelSize: 2 })).toThrow(/^maxPool1d: input must have 3 dimensions/);
    expect(() => maxPool3d({ data, shape: [1, 1, 4, 4] }, { kernelSize: 2 })).toThrow(/^maxPool3d: input must have 5 dimensions/);
    const values = { data: new Float32Array(4), shape: [1, 1, 4] };
    const indices = { data: new Int32Array(4), shape: [1, 1, 4] };
    expect(() => maxUnpool2d(values, indices, { kernelSize: 2 })).toThrow(/^maxUnpool2d: values must have 4 dimensions/);
  });
});
