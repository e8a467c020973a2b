import { describe, expect, it } from 'vitest';
import { maxPool1d, maxPool2d, maxPoolBackward, maxUnpool, maxUnpool1d, maxUnpool2d, maxUnpoolBackward } from '../src/cpu';

const f32 = (values: number[]) => new Float32Array(values);
const tensor = (values: number[], shape: number[]) => ({ data: f32(values), shape });
const int32 = (values: number[], shape: number[]) => ({ data: new Int32Array(values), shape });
const bitsOf = (data: Float32Array) => Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));

describe('maxPoolBackward', () => {
  it('sums the gradients of overlapping windows that pick the same input', () => {
    // 4x4 input, 3x3 windows at stride 1 -> 2x2. The 16 at (1,1) wins the three windows that contain
    // it and the 17 at (3,3); the fourth window, rows 1..3 x cols 1..3, holds both and picks the 17.
    const x = tensor([1, 2, 3, 4, 5, 16, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17], [1, 1, 4, 4]);
    const options = { kernelSize: 3, stride: 1 };
    const { indices } = maxPool2d(x, options);
    expect(Array.from(indices.data)).toEqual([5, 5, 5, 15]);
    const grad = maxPoolBackward(tensor([0.5, 0.25, 2, 8], [1, 1, 2, 2]), indices, { ...options, inputShape: [1, 1, 4, 4] });
    expect(grad.shape).toEqual([1, 1, 4, 4]);
    const expected = new Array<number>(16).fill(0);
    expected[5] = 0.5 + 0.25 + 2;
    expected[15] = 8;
    expect(Array.from(grad.data)).toEqual(expected);
  });

  it('accumulates in float32, in pooled memory order', () => {
    // All three windows of [1, 9, 2] (kernel 3, padding 1) pick the 9.
    const { indices } = maxPool1d(tensor([1, 9, 2], [1, 1, 3]), { kernelSize: 3, stride: 1, padding: 1 });
    expect(Array.from(indices.data)).toEqual([1, 1, 1]);
    const options = { kernelSize: 3, stride: 1, padding: 1, inputShape: [1, 1, 3] };
    // float32: 1e8 + 1 rounds back to 1e8 (spacing 8 there), then - 1e8 gives 0. float64 would give 1.
    expect(Array.from(maxPoolBackward(tensor([1e8, 1, -1e8], [1, 1, 3]), indices, options).data)).toEqual([0, 0, 0]);
    expect(Array.from(maxPoolBackward(tensor([1e8, -1e8, 1], [1, 1, 3]), indices, options).data)).toEqual([0, 1, 0]);
  });

  it('scatters channels-last gradients with spatial and flat indices', () => {
    // [1, H=2, W=2, C=2]: c0 = [1, 4, 2, 3] -> 4 at p=1; c1 = [8, 5, 6, 7] -> 8 at p=0.
    const x = tensor([1, 8, 4, 5, 2, 6, 3, 7], [1, 2, 2, 2]);
    for (const indexFormat of ['spatial', 'flat', 'flat-no-batch'] as const) {
      const options = { kernelSize: 2, layout: 'NHWC', indexFormat } as const;
      const { values, indices } = maxPool2d(x, options);
      expect(Array.from(values.data)).toEqual([4, 8]);
      const grad = maxPoolBackward(tensor([10, 20], [1, 1, 1, 2]), indices, { ...options, inputShape: [1, 2, 2, 2] });
      // c0 p1 is offset 1*2 + 0 = 2; c1 p0 is offset 0*2 + 1 = 1.
      expect(Array.from(grad.data)).toEqual([0, 20, 10, 0, 0, 0, 0, 0]);
    }
  });

  it('checks shapes, indices and options', () => {
    const indices = int32([4, 4, 4, 4], [1, 1, 2, 2]);
    const options = { kernelSize: 2, stride: 1, inputShape: [1, 1, 3, 3] };
    expect(() => maxPoolBackward(tensor(new Array(9).fill(1), [1, 1, 3, 3]), indices, options)).toThrow(
      new RangeError('maxPoolBackward2d: gradOutput shape [1, 1, 3, 3] must equal the pooled output shape [1, 1, 2, 2]'),
    );
    expect(() => maxPoolBackward(tensor([1, 2, 3, 4], [1, 1, 2, 2]), int32([4, 4], [1, 1, 2, 1]), options)).toThrow(
      'maxPoolBackward2d: indices shape [1, 1, 2, 1] must equal the pooled output shape [1, 1, 2, 2]',
    );
    expect(() => maxPoolBackward(tensor([1, 2, 3, 4], [1, 1, 2, 2]), int32([4, 4, 9, 4], [1, 1, 2, 2]), options)).toThrow(
      'maxPoolBackward2d: Found an invalid max index 9 at indices[0, 0, 1, 0] (output plane has 9 elements)',
    );
    expect(() => maxPoolBackward(tensor([1, 2, 3, 4], [1, 1, 2, 2]), indices, { kernelSize: 2 } as never, 2)).toThrow(
      /^maxPoolBackward2d: inputShape .*required/,
    );
    expect(() => maxPoolBackward(tensor([1, 2, 3, 4], [1, 1, 2, 2]), indices, { ...options, stride: 0 })).toThrow(/^maxPoolBackward2d: stride .*got 0$/);
  });
});

describe('maxPoolBackward window check', () => {
  it('refuses an index outside its own window, and reports the first bad element of either kind', () => {
    const grad = tensor([1, 1, 1, 1], [1, 1, 2, 2]);
    const options = { kernelSize: 2, inputShape: [1, 1, 4, 4] };
    // Window (0, 1) covers columns 2..3 of rows 0..1; index 4 is row 1, column 0.
    expect(() => maxPoolBackward(grad, int32([0, 4, 8, 10], [1, 1, 2, 2]), options)).toThrow(
      'maxPoolBackward2d: index 4 at indices[0, 0, 0, 1] is not inside its pooling window',
    );
    // With dilation 2 and a 2x2 kernel, window (0, 0) holds rows and columns {0, 2} only.
    const dilated = { kernelSize: 2, stride: 1, dilation: 2, inputShape: [1, 1, 3, 3] };
    expect(() => maxPoolBackward(tensor([1], [1, 1, 1, 1]), int32([1], [1, 1, 1, 1]), dilated)).toThrow(
      /^maxPoolBackward2d: index 1 at indices\[0, 0, 0, 0\] is not inside its pooling window/,
    );
    expect(maxPoolBackward(tensor([1], [1, 1, 1, 1]), int32([8], [1, 1, 1, 1]), dilated).data[8]).toBe(1);
    // An invalid index before a misplaced one is the one reported.
    expect(() => maxPoolBackward(grad, int32([-1, 4, 8, 10], [1, 1, 2, 2]), options)).toThrow(
      'maxPoolBackward2d: Found an invalid max index -1 at indices[0, 0, 0, 0]',
    );
  });
});

describe('maxUnpoolBackward', () => {
  it('gathers the output gradient at each index', () => {
    const gradOutput = tensor(
      Array.from({ length: 16 }, (_, i) => 1.5 * i),
      [1, 1, 4, 4],
    );
    const grad = maxUnpoolBackward(gradOutput, int32([5, 7, 13, 15], [1, 1, 2, 2]), { kernelSize: 2 });
    expect(grad.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(grad.data)).toEqual([7.5, 10.5, 19.5, 22.5]);
  });

  it('copies bits and is the adjoint of maxUnpool for distinct indices', () => {
    const gradOutput = tensor(new Array(8).fill(0), [1, 2, 2, 2]);
    // A signalling NaN (plane (0,1), position 2) would be quieted by a trip through a JS number.
    new Uint32Array(gradOutput.data.buffer)[6] = 0x7f801234;
    const indices = { data: new BigInt64Array([3n, 2n]), shape: [1, 2, 1, 1] };
    const grad = maxUnpoolBackward(gradOutput, indices, { kernelSize: 2 });
    expect(bitsOf(grad.data)).toEqual([0, 0x7f801234]);

    // <maxUnpool(v), g> = <v, maxUnpoolBackward(g)> when no two indices collide.
    const v = tensor([1, -2, 3, 0.5], [1, 1, 2, 2]);
    const idx = int32([0, 7, 9, 14], [1, 1, 2, 2]);
    const g = tensor(
      Array.from({ length: 16 }, (_, i) => i - 6),
      [1, 1, 4, 4],
    );
    const up = maxUnpool2d(v, idx, { kernelSize: 2 });
    const down = maxUnpoolBackward(g, idx, { kernelSize: 2 });
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i], 0);
    expect(dot(up.data, g.data)).toBe(dot(v.data, down.data));
    expect(dot(v.data, down.data)).toBe(1 * -6 + -2 * 1 + 3 * 3 + 0.5 * 8);
  });

  it('checks shapes and indices', () => {
    const indices = int32([5, 7, 13, 15], [1, 1, 2, 2]);
    expect(() => maxUnpoolBackward(tensor(new Array(9).fill(0), [1, 1, 3, 3]), indices, { kernelSize: 2 })).toThrow(
      'maxUnpoolBackward2d: gradOutput shape [1, 1, 3, 3] must equal the unpooled shape [1, 1, 4, 4]',
    );
    expect(() => maxUnpoolBackward(tensor(new Array(16).fill(0), [1, 1, 4, 4]), int32([5, 7, 13, 16], [1, 1, 2, 2]), { kernelSize: 2 })).toThrow(
      'maxUnpoolBackward2d: Found an invalid max index 16 at indices[0, 0, 1, 1] (output plane has 16 elements)',
    );
    expect(() => maxUnpoolBackward(tensor(new Array(16).fill(0), [1, 1, 4, 4]), indices, { kernelSize: 2, fill: 'nearest' })).toThrow(
      `maxUnpoolBackward2d: fill "nearest" has no gradient here; only 'zero' (the default) does`,
    );
    expect(Array.from(maxUnpoolBackward(tensor(new Array(16).fill(1), [1, 1, 4, 4]), indices, { kernelSize: 2, fill: 'zero' }).data)).toEqual([1, 1, 1, 1]);
  });
});

describe('unpooling fill modes', () => {
  const pooled = tensor([1, 2, 3, 4], [1, 1, 2, 2]);

  it("'zero' is the default and PyTorch's behaviour", () => {
    const indices = int32([5, 6, 9, 10], [1, 1, 2, 2]);
    const zero = maxUnpool2d(pooled, indices, { kernelSize: 2, fill: 'zero' });
    expect(Array.from(zero.data)).toEqual(Array.from(maxUnpool2d(pooled, indices, { kernelSize: 2 }).data));
    expect(Array.from(zero.data)).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
  });

  it("'nearest' fills from pooled[floor(dst*in/out)] and keeps scattered values where indices land", () => {
    // Nearest alone gives 2x2 blocks of 1, 2 / 3, 4. The indices send 1 to (0,2), 2 to (0,0),
    // 3 to (3,3) and 4 to (3,0), overriding the block value there.
    const out = maxUnpool2d(pooled, int32([2, 0, 15, 12], [1, 1, 2, 2]), { kernelSize: 2, fill: 'nearest' });
    expect(Array.from(out.data)).toEqual([2, 1, 1, 2, 1, 1, 2, 2, 3, 3, 4, 4, 4, 3, 4, 3]);
  });

  it("'nearest' copies bits, so a signalling NaN stays signalling", () => {
    const values = { data: new Float32Array(new Uint32Array([0x7f800001, 0x3f800000]).buffer), shape: [1, 1, 2] };
    const out = maxUnpool1d(values, int32([0, 3], [1, 1, 2]), { kernelSize: 2, fill: 'nearest' });
    expect(bitsOf(out.data)).toEqual([0x7f800001, 0x7f800001, 0x3f800000, 0x3f800000]);
  });

  it("'nearest' with a ratio that is not an integer", () => {
    // in 3 -> out 7: floor(dst*3/7) = 0, 0, 0, 1, 1, 2, 2.
    const out = maxUnpool1d(tensor([10, 20, 30], [1, 1, 3]), int32([0, 3, 6], [1, 1, 3]), { kernelSize: 2, outputSize: [7], fill: 'nearest' });
    expect(Array.from(out.data)).toEqual([10, 10, 10, 20, 20, 30, 30]);
  });

  it("'bilinear' on [[1, 2], [3, 4]] matches F.interpolate(scale 2, bilinear, align_corners=False)", () => {
    // The indices land on the corners, where the interpolation equals the pooled value anyway.
    const out = maxUnpool2d(pooled, int32([0, 3, 12, 15], [1, 1, 2, 2]), { kernelSize: 2, fill: 'bilinear' });
    // PyTorch: [[1, 1.25, 1.75, 2], [1.5, 1.75, 2.25, 2.5], [2.5, 2.75, 3.25, 3.5], [3, 3.25, 3.75, 4]].
    expect(Array.from(out.data)).toEqual([1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]);
  });

  it("'bilinear' keeps scattered values where indices land", () => {
    const out = maxUnpool2d(pooled, int32([5, 6, 9, 10], [1, 1, 2, 2]), { kernelSize: 2, fill: 'bilinear' });
    expect(Array.from(out.data)).toEqual([1, 1.25, 1.75, 2, 1.5, 1, 2, 2.5, 2.5, 3, 4, 3.5, 3, 3.25, 3.75, 4]);
  });

  it("'bilinear' is linear in 1-D, with a non-integer ratio", () => {
    // in 2 -> out 4: src = (d + 0.5)/2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (upper index clamped).
    const two = maxUnpool1d(tensor([0, 10], [1, 1, 2]), int32([0, 3], [1, 1, 2]), { kernelSize: 2, fill: 'bilinear' });
    expect(Array.from(two.data)).toEqual([0, 2.5, 7.5, 10]);
    // in 3 -> out 5: scale 0.6, src at 1 and 3 is 0.4 and 1.6: 0.6*0 + 0.4*10 = 4 and 0.4*10 + 0.6*30 = 22.
    const three = maxUnpool1d(tensor([0, 10, 30], [1, 1, 3]), int32([0, 2, 4], [1, 1, 3]), { kernelSize: 2, outputSize: [5], fill: 'bilinear' });
    expect(Array.from(three.data)).toEqual([0, 4, 10, 22, 30]);
  });

  it("'bilinear' is trilinear in 3-D", () => {
    // v(d, h, w) = 4d + 2h + w is linear, so trilinear interpolation reproduces it at the clamped source
    // coordinates s = 0, 0.25, 0.75, 1 of destination 0..3. The indices land on the 8 corners of the 4x4x4 map.
    const values = tensor([0, 1, 2, 3, 4, 5, 6, 7], [1, 1, 2, 2, 2]);
    const corner = (d: number, h: number, w: number) => (d * 3 * 4 + h * 3) * 4 + w * 3;
    const indices = int32([corner(0, 0, 0), corner(0, 0, 1), corner(0, 1, 0), corner(0, 1, 1), corner(1, 0, 0), corner(1, 0, 1), corner(1, 1, 0), corner(1, 1, 1)], [1, 1, 2, 2, 2]);
    const out = maxUnpool(values, indices, { kernelSize: 2, fill: 'bilinear' });
    expect(out.shape).toEqual([1, 1, 4, 4, 4]);
    const s = [0, 0.25, 0.75, 1];
    const expected: number[] = [];
    for (let d = 0; d < 4; d++) for (let h = 0; h < 4; h++) for (let w = 0; w < 4; w++) expected.push(4 * s[d] + 2 * s[h] + s[w]);
    expect(Array.from(out.data)).toEqual(expected);
  });

  it('fills channels-last planes separately', () => {
    // [1, W=2, C=2] channels-last, nearest to W=4: channel 0 is [1, 2], channel 1 is [10, 20].
    const values = tensor([1, 10, 2, 20], [1, 2, 2]);
    const out = maxUnpool1d(values, int32([1, 0, 2, 3], [1, 2, 2]), { kernelSize: 2, layout: 'NHWC', fill: 'nearest' });
    // Channel 0: scattered 1 at w1, 2 at w2, nearest 1 at w0, 2 at w3. Channel 1: 10 at w0, 20 at w3, nearest 10, 20.
    expect(Array.from(out.data)).toEqual([1, 10, 1, 10, 2, 20, 2, 20]);
  });

  it('validates fill', () => {
    expect(() => maxUnpool2d(pooled, int32([0, 3, 12, 15], [1, 1, 2, 2]), { kernelSize: 2, fill: 'linear' as never })).toThrow(
      new RangeError(`maxUnpool2d: fill must be 'zero', 'nearest' or 'bilinear', got "linear"`),
    );
  });
});

describe('ONNX node tests', () => {
  it('MaxPool maxpool_with_argmax_2d_precomputed_pads', () => {
    const x = tensor(
      Array.from({ length: 25 }, (_, i) => i + 1),
      [1, 1, 5, 5],
    );
    const { values, indices } = maxPool2d(x, { kernelSize: 5, stride: 1, padding: [2, 2, 2, 2], indexFormat: 'flat' });
    expect(values.shape).toEqual([1, 1, 5, 5]);
    expect(Array.from(values.data)).toEqual([
      13, 14, 15, 15, 15, 18, 19, 20, 20, 20, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25,
    ]);
    expect(Array.from(indices.data)).toEqual([
      12, 13, 14, 14, 14, 17, 18, 19, 19, 19, 22, 23, 24, 24, 24, 22, 23, 24, 24, 24, 22, 23, 24, 24, 24,
    ]);
  });

  it('MaxUnpool without_output_shape', () => {
    const xT = tensor([5, 6, 7, 8], [1, 1, 2, 2]);
    const xI = { data: new BigInt64Array([5n, 7n, 13n, 15n]), shape: [1, 1, 2, 2] };
    const y = maxUnpool2d(xT, xI, { kernelSize: 2, stride: 2, indexFormat: 'flat' });
    expect(y.shape).toEqual([1, 1, 4, 4]);
    expect(Array.from(y.data)).toEqual([0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 7, 0, 8]);
  });
});

describe('TensorFlow max_pool_with_argmax', () => {
  // From TensorFlow's pooling_ops_test.py testMaxPoolingWithArgmax: input [2, 3, 3, 1] NHWC,
  // ksize 2, strides 1, VALID. Indices are ((b*height + y)*width + x)*channels + c, the b term only
  // with include_batch_in_index=True. Every window holds a tie of 1s, and TF's CPU kernel keeps the first.
  const input = tensor([1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 1], [2, 3, 3, 1]);

  it('include_batch_in_index=False is flat-no-batch', () => {
    const { values, indices } = maxPool2d(input, { kernelSize: 2, stride: 1, layout: 'NHWC', indexFormat: 'flat-no-batch' });
    expect(values.shape).toEqual([2, 2, 2, 1]);
    expect(Array.from(values.data)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(indices.data)).toEqual([0, 1, 3, 5, 0, 2, 6, 8]);
  });

  it('include_batch_in_index=True is flat', () => {
    const { indices } = maxPool2d(input, { kernelSize: 2, stride: 1, layout: 'NHWC', indexFormat: 'flat' });
    expect(Array.from(indices.data)).toEqual([0, 1, 3, 5, 9, 11, 15, 17]);
  });
});
