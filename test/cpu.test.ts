import { describe, expect, it } from 'vitest';
import { cpu, maxPool, maxPool1d, maxPool2d, maxPool3d, maxUnpool, maxUnpool1d, maxUnpool2d } from '../src/cpu';
import type { IndexFormat, Layout } from '../src/options';

const f32 = (values: number[]) => new Float32Array(values);
const tensor = (values: number[], shape: number[]) => ({ data: f32(values), shape });
const bitsOf = (data: Float32Array) => Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));
const fromBits = (bits: number[]) => new Float32Array(new Uint32Array(bits).buffer);

/** Transposes a [N, C, ...spatial] array into [N, ...spatial, C] order. */
function toChannelsLast(data: ArrayLike<number>, shape: readonly number[]): number[] {
  const [batch, channels] = shape;
  const volume = shape.slice(2).reduce((a, b) => a * b, 1);
  const out = new Array<number>(data.length);
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < channels; c++)
      for (let p = 0; p < volume; p++) out[(n * volume + p) * channels + c] = data[(n * channels + c) * volume + p];
  return out;
}

/** Distinct, unordered test values: 37 is coprime to 97, so i -> 37*i mod 97 repeats only after 97 steps. */
const scrambled = (count: number) => Array.from({ length: count }, (_, i) => (37 * i) % 97);

describe('worked example', () => {
  const X = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);

  it('pools a 3x3 map with a 2x2 window at stride 1', () => {
    const { values, indices } = maxPool2d(X, { kernelSize: 2, stride: 1 });
    expect(values.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(values.data)).toEqual([5, 6, 8, 9]);
    expect(indices.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(indices.data)).toEqual([4, 5, 7, 8]);
  });

  it('unpools back to 3x3 with zeros where no maximum came from', () => {
    const { values, indices } = maxPool2d(X, { kernelSize: 2, stride: 1 });
    const Y = maxUnpool2d(values, indices, { kernelSize: 2, stride: 1, outputSize: [3, 3] });
    expect(Y.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(Y.data)).toEqual([0, 0, 0, 0, 5, 6, 0, 8, 9]);
  });

  it('is reachable through the cpu namespace', () => {
    expect(Array.from(cpu.maxPool(X, { kernelSize: 2, stride: 1 }).indices.data)).toEqual([4, 5, 7, 8]);
  });
});

describe('max pooling: ties and special values', () => {
  it('keeps the first maximum of a tie, in row-major window order', () => {
    expect(Array.from(maxPool2d(tensor([7, 7, 7, 7], [1, 1, 2, 2]), { kernelSize: 2 }).indices.data)).toEqual([0]);
    // (0,1) comes before (1,0) in the window.
    expect(Array.from(maxPool2d(tensor([1, 3, 3, 2], [1, 1, 2, 2]), { kernelSize: 2 }).indices.data)).toEqual([1]);
    expect(Array.from(maxPool1d(tensor([2, 5, 5, 1], [1, 1, 4]), { kernelSize: 4 }).indices.data)).toEqual([1]);
  });

  it('treats -0 and +0 as a tie and keeps the first one, sign included', () => {
    const a = maxPool1d(tensor([-0, 0], [1, 1, 2]), { kernelSize: 2 });
    expect(Object.is(a.values.data[0], -0)).toBe(true);
    expect(a.indices.data[0]).toBe(0);
    const b = maxPool1d(tensor([0, -0], [1, 1, 2]), { kernelSize: 2 });
    expect(Object.is(b.values.data[0], 0)).toBe(true);
    expect(b.indices.data[0]).toBe(0);
    const c = maxPool1d(tensor([-1, -0, 0], [1, 1, 3]), { kernelSize: 3 });
    expect(Object.is(c.values.data[0], -0)).toBe(true);
    expect(c.indices.data[0]).toBe(1);
  });

  it('propagates NaN and points at the last NaN of the window', () => {
    const one = maxPool1d(tensor([1, NaN, 3, 2], [1, 1, 4]), { kernelSize: 4 });
    expect(one.values.data[0]).toBeNaN();
    expect(one.indices.data[0]).toBe(1);
    // A larger value after a NaN does not displace it.
    const after = maxPool1d(tensor([5, NaN, 7], [1, 1, 3]), { kernelSize: 3 });
    expect(after.values.data[0]).toBeNaN();
    expect(after.indices.data[0]).toBe(1);
    const first = maxPool1d(tensor([NaN, 9], [1, 1, 2]), { kernelSize: 2 });
    expect(first.values.data[0]).toBeNaN();
    expect(first.indices.data[0]).toBe(0);
    const two = maxPool1d(tensor([NaN, 9, NaN, 1], [1, 1, 4]), { kernelSize: 4 });
    expect(two.indices.data[0]).toBe(2);
  });

  it('copies the bits of the last NaN, payload and sign included', () => {
    const input = fromBits([0x7fc00001, 0x41100000 /* 9 */, 0xffc00002, 0x3f800000 /* 1 */]);
    const { values, indices } = maxPool1d({ data: input, shape: [1, 1, 4] }, { kernelSize: 4 });
    expect(bitsOf(values.data)).toEqual([0xffc00002]);
    expect(indices.data[0]).toBe(2);
    // And with the payloads the other way round, the other NaN.
    const swapped = fromBits([0xffc00002, 0x7fc00001, 0x3f800000]);
    expect(bitsOf(maxPool1d({ data: swapped, shape: [1, 1, 3] }, { kernelSize: 3 }).values.data)).toEqual([0x7fc00001]);
  });

  it('keeps signalling NaNs signalling', () => {
    // Passing a float32 through a JS number quiets a signalling NaN (bit 22 set) on common CPUs, so
    // this fails unless values are copied as bits.
    const input = fromBits([0x3f800000, 0x7f800001, 0x40000000, 0xff800005]);
    const { values, indices } = maxPool1d({ data: input, shape: [1, 1, 4] }, { kernelSize: 2 });
    expect(bitsOf(values.data)).toEqual([0x7f800001, 0xff800005]);
    expect(Array.from(indices.data)).toEqual([1, 3]);
  });

  it('gives an all -inf window the index of its first in-bounds element', () => {
    const plain = maxPool1d(tensor([-Infinity, -Infinity, -Infinity], [1, 1, 3]), { kernelSize: 3 });
    expect(plain.values.data[0]).toBe(-Infinity);
    expect(plain.indices.data[0]).toBe(0);
    // Padding is skipped, not counted as a position: windows -1..1, 0..2, 1..3.
    const padded = maxPool1d(tensor([-Infinity, -Infinity, -Infinity], [1, 1, 3]), { kernelSize: 3, stride: 1, padding: 1 });
    expect(Array.from(padded.values.data)).toEqual([-Infinity, -Infinity, -Infinity]);
    expect(Array.from(padded.indices.data)).toEqual([0, 0, 1]);
    // 2-D: window (oh, ow) starts at (oh-1, ow-1); its first in-bounds element is (max(oh-1,0), max(ow-1,0)).
    const grid = maxPool2d(tensor([-Infinity, -Infinity, -Infinity, -Infinity], [1, 1, 2, 2]), { kernelSize: 2, stride: 1, padding: 1 });
    expect(Array.from(grid.indices.data)).toEqual([0, 0, 1, 0, 0, 1, 2, 2, 3]);
  });

  it('lets +inf win and NaN beat +inf', () => {
    const inf = maxPool1d(tensor([1, Infinity, Infinity, 3], [1, 1, 4]), { kernelSize: 4 });
    expect(inf.values.data[0]).toBe(Infinity);
    expect(inf.indices.data[0]).toBe(1);
    const nan = maxPool1d(tensor([Infinity, NaN], [1, 1, 2]), { kernelSize: 2 });
    expect(nan.values.data[0]).toBeNaN();
    expect(nan.indices.data[0]).toBe(1);
  });
});

describe('max pooling: window geometry', () => {
  it('ceil mode adds the partial last window', () => {
    const x = tensor([1, 2, 3, 4, 5], [1, 1, 5]);
    const floor = maxPool1d(x, { kernelSize: 2 });
    expect(Array.from(floor.values.data)).toEqual([2, 4]);
    const ceil = maxPool1d(x, { kernelSize: 2, ceilMode: true });
    expect(Array.from(ceil.values.data)).toEqual([2, 4, 5]);
    expect(Array.from(ceil.indices.data)).toEqual([1, 3, 4]);
    // 2-D: 3x3 with 2x2 windows at stride 2 -> 2x2, the last row and column being partial.
    const grid = maxPool2d(tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]), { kernelSize: 2, ceilMode: true });
    expect(grid.values.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(grid.values.data)).toEqual([5, 6, 8, 9]);
    expect(Array.from(grid.indices.data)).toEqual([4, 5, 7, 8]);
  });

  it('dilation skips positions', () => {
    // Kernel 2, dilation 3: windows {0,3}, {1,4}, {2,5}, {3,6}, {4,7}.
    const x = tensor([3, 1, 4, 1, 5, 9, 2, 6], [1, 1, 8]);
    const { values, indices } = maxPool1d(x, { kernelSize: 2, dilation: 3, stride: 1 });
    expect(Array.from(values.data)).toEqual([3, 5, 9, 2, 6]);
    expect(Array.from(indices.data)).toEqual([0, 4, 5, 6, 7]);
    // 2-D: kernel 2, dilation 2 on 3x3 reads the corners only, so the 9 at (0,1) is never seen.
    const grid = maxPool2d(tensor([1, 9, 2, 3, 4, 5, 6, 7, 8], [1, 1, 3, 3]), { kernelSize: 2, dilation: 2 });
    expect(Array.from(grid.values.data)).toEqual([8]);
    expect(Array.from(grid.indices.data)).toEqual([8]);
  });

  it('padding never wins, even against negative values', () => {
    const positive = maxPool1d(tensor([4, 2, 7], [1, 1, 3]), { kernelSize: 3, stride: 1, padding: 1 });
    expect(Array.from(positive.values.data)).toEqual([4, 7, 7]);
    expect(Array.from(positive.indices.data)).toEqual([0, 2, 2]);
    const negative = maxPool1d(tensor([-4, -2, -7], [1, 1, 3]), { kernelSize: 3, stride: 1, padding: 1 });
    expect(Array.from(negative.values.data)).toEqual([-2, -2, -2]);
    expect(Array.from(negative.indices.data)).toEqual([1, 1, 1]);
  });

  it('handles asymmetric [begin, end] padding', () => {
    // End padding 1 makes 6 positions: windows {0,1}, {2,3}, {4,pad}.
    const { values, indices } = maxPool1d(tensor([1, 5, 2, 8, 3], [1, 1, 5]), { kernelSize: 2, padding: [0, 1] });
    expect(Array.from(values.data)).toEqual([5, 8, 3]);
    expect(Array.from(indices.data)).toEqual([1, 3, 4]);
  });

  it('refuses a dilated window that covers only padding', () => {
    // Input 2, kernel 2, dilation 3, padding 1: the only window reads positions -1 and 2, so it has
    // no element to take the maximum of (PyTorch reads out of bounds there).
    expect(() => maxPool1d(tensor([1, 2], [1, 1, 2]), { kernelSize: 2, dilation: 3, padding: 1 })).toThrow(
      /^maxPool1d: window 0 of spatial dimension 0 covers only padding/,
    );
  });

  it('pools 3-D volumes, walking depth, then height, then width', () => {
    // D=2, H=2, W=4; x[p] = 5p mod 16. Window w in {0,1}: 13 at p=9; window w in {2,3}: 15 at p=3.
    const data = Array.from({ length: 16 }, (_, p) => (5 * p) % 16);
    const { values, indices } = maxPool3d(tensor(data, [1, 1, 2, 2, 4]), { kernelSize: 2 });
    expect(values.shape).toEqual([1, 1, 1, 1, 2]);
    expect(Array.from(values.data)).toEqual([13, 15]);
    expect(Array.from(indices.data)).toEqual([9, 3]);
    const cube = (marks: Record<number, number>) => {
      const x = new Array<number>(8).fill(0);
      for (const [p, v] of Object.entries(marks)) x[Number(p)] = v;
      return maxPool3d(tensor(x, [1, 1, 2, 2, 2]), { kernelSize: 2 }).indices.data[0];
    };
    expect(cube({ 2: 5, 4: 5 })).toBe(2); // (0,1,0) before (1,0,0)
    expect(cube({ 1: 5, 2: 5 })).toBe(1); // (0,0,1) before (0,1,0)
    expect(cube({ 1: NaN, 4: NaN })).toBe(4); // last NaN
  });

  it('keeps spatial indices per (n, c) plane for batch and channels > 1', () => {
    // Plane (n, c) holds base + position, except base + 9 at position (n + c) mod 4.
    const batch = 2;
    const channels = 3;
    const data: number[] = [];
    for (let n = 0; n < batch; n++)
      for (let c = 0; c < channels; c++)
        for (let p = 0; p < 4; p++) data.push(10 * (n * channels + c) + (p === (n + c) % 4 ? 9 : p));
    const { values, indices } = maxPool2d(tensor(data, [2, 3, 2, 2]), { kernelSize: 2 });
    expect(values.shape).toEqual([2, 3, 1, 1]);
    expect(Array.from(values.data)).toEqual([9, 19, 29, 39, 49, 59]);
    expect(Array.from(indices.data)).toEqual([0, 1, 2, 1, 2, 3]);
  });
});

describe('channels-last layout', () => {
  it('matches the channels-first result transposed', () => {
    const shape = [2, 4, 5, 4];
    const data = scrambled(2 * 4 * 5 * 4).map((v) => (v % 7 === 0 ? 7 : v)); // some ties
    const options = { kernelSize: 3, stride: 2, padding: 1 };
    const first = maxPool2d(tensor(data, shape), options);
    const last = maxPool2d({ data: f32(toChannelsLast(data, shape)), shape: [2, 5, 4, 4] }, { ...options, layout: 'NHWC' });
    expect(first.values.shape).toEqual([2, 4, 3, 2]);
    expect(last.values.shape).toEqual([2, 3, 2, 4]);
    expect(Array.from(last.values.data)).toEqual(toChannelsLast(first.values.data, first.values.shape));
    expect(Array.from(last.indices.data)).toEqual(toChannelsLast(first.indices.data, first.indices.shape));
  });

  it('unpools channels-last like channels-first, transposed', () => {
    const shape = [1, 3, 4, 6];
    const data = scrambled(72);
    const first = maxPool2d(tensor(data, shape), { kernelSize: 2 });
    const back = maxUnpool2d(first.values, first.indices, { kernelSize: 2 });
    const lastInput = { data: f32(toChannelsLast(data, shape)), shape: [1, 4, 6, 3] };
    const last = maxPool2d(lastInput, { kernelSize: 2, layout: 'NHWC' });
    const lastBack = maxUnpool2d(last.values, last.indices, { kernelSize: 2, layout: 'NHWC' });
    expect(lastBack.shape).toEqual([1, 4, 6, 3]);
    expect(Array.from(lastBack.data)).toEqual(toChannelsLast(back.data, back.shape));
  });
});

describe('index formats', () => {
  it('hand-derived: spatial, ONNX flat and TF flat for two channels', () => {
    // c0 = [3, 1, 4, 1] -> 4 at p=2; c1 = [5, 9, 2, 6] -> 9 at p=1.
    const nchw = tensor([3, 1, 4, 1, 5, 9, 2, 6], [1, 2, 2, 2]);
    const indexOf = (format: IndexFormat, layout: Layout) => {
      const input = layout === 'NCHW' ? nchw : { data: f32(toChannelsLast(nchw.data, nchw.shape)), shape: [1, 2, 2, 2] };
      return Array.from(maxPool2d(input, { kernelSize: 2, indexFormat: format, layout }).indices.data);
    };
    expect(indexOf('spatial', 'NCHW')).toEqual([2, 1]);
    expect(indexOf('spatial', 'NHWC')).toEqual([2, 1]);
    // ONNX: ((n*C + c)*H + h)*W + w -> c0: 2; c1: (1*2 + 0)*2 + 1 = 5.
    expect(indexOf('flat', 'NCHW')).toEqual([2, 5]);
    expect(indexOf('flat-no-batch', 'NCHW')).toEqual([2, 5]);
    // TF: ((b*height + y)*width + x)*channels + c -> c0: (1*2 + 0)*2 + 0 = 4; c1: (0*2 + 1)*2 + 1 = 3.
    expect(indexOf('flat', 'NHWC')).toEqual([4, 3]);
    expect(indexOf('flat-no-batch', 'NHWC')).toEqual([4, 3]);
  });

  // A batch of 2 so the batch term matters: N=2, C=3, H=W=4, 2x2 windows.
  const shape = [2, 3, 4, 4];
  const data = scrambled(96);
  const spatial = maxPool2d(tensor(data, shape), { kernelSize: 2 });
  /** Logical (n, c, h, w) of every output's maximum, in channels-first output order. */
  const argmaxes: [number, number, number, number][] = [];
  for (let n = 0; n < 2; n++)
    for (let c = 0; c < 3; c++)
      for (let o = 0; o < 4; o++) {
        const p = spatial.indices.data[(n * 3 + c) * 4 + o];
        argmaxes.push([n, c, Math.floor(p / 4), p % 4]);
      }

  it('spatial indices lie inside the window of their output', () => {
    argmaxes.forEach(([, , h, w], k) => {
      const o = k % 4;
      expect(Math.floor(h / 2)).toBe(Math.floor(o / 2));
      expect(Math.floor(w / 2)).toBe(o % 2);
    });
  });

  it("'flat' channels-first is ONNX's ((n*C + c)*H + h)*W + w, the offset of the maximum in the input", () => {
    const flat = maxPool2d(tensor(data, shape), { kernelSize: 2, indexFormat: 'flat' });
    expect(Array.from(flat.indices.data)).toEqual(argmaxes.map(([n, c, h, w]) => ((n * 3 + c) * 4 + h) * 4 + w));
    flat.indices.data.forEach((index, k) => expect(data[index]).toBe(flat.values.data[k]));
    const noBatch = maxPool2d(tensor(data, shape), { kernelSize: 2, indexFormat: 'flat-no-batch' });
    expect(Array.from(noBatch.indices.data)).toEqual(argmaxes.map(([, c, h, w]) => (c * 4 + h) * 4 + w));
  });

  it("'flat' channels-last is TF's ((b*height + y)*width + x)*channels + c, with and without the batch term", () => {
    const input = { data: f32(toChannelsLast(data, shape)), shape: [2, 4, 4, 3] };
    const flat = maxPool2d(input, { kernelSize: 2, indexFormat: 'flat', layout: 'NHWC' });
    const expected = toChannelsLast(
      argmaxes.map(([b, c, y, x]) => ((b * 4 + y) * 4 + x) * 3 + c),
      [2, 3, 2, 2],
    );
    expect(Array.from(flat.indices.data)).toEqual(expected);
    flat.indices.data.forEach((index, k) => expect(input.data[index]).toBe(flat.values.data[k]));
    const noBatch = maxPool2d(input, { kernelSize: 2, indexFormat: 'flat-no-batch', layout: 'NHWC' });
    expect(Array.from(noBatch.indices.data)).toEqual(
      toChannelsLast(
        argmaxes.map(([, c, y, x]) => (y * 4 + x) * 3 + c),
        [2, 3, 2, 2],
      ),
    );
  });

  it('every format and layout unpools to the same map', () => {
    const reference = maxUnpool2d(spatial.values, spatial.indices, { kernelSize: 2 });
    for (const indexFormat of ['spatial', 'flat', 'flat-no-batch'] as const) {
      const first = maxPool2d(tensor(data, shape), { kernelSize: 2, indexFormat });
      expect(Array.from(maxUnpool2d(first.values, first.indices, { kernelSize: 2, indexFormat }).data)).toEqual(Array.from(reference.data));
      const last = maxPool2d({ data: f32(toChannelsLast(data, shape)), shape: [2, 4, 4, 3] }, { kernelSize: 2, indexFormat, layout: 'NHWC' });
      const back = maxUnpool2d(last.values, last.indices, { kernelSize: 2, indexFormat, layout: 'NHWC' });
      expect(Array.from(back.data)).toEqual(toChannelsLast(reference.data, reference.shape));
    }
  });
});

describe('max unpooling', () => {
  it('lets the last of duplicate indices win', () => {
    // Values 1, 2, 3, 4 aimed at positions 5, 5, 0, 5: position 5 ends with 4, position 0 with 3.
    const out = maxUnpool2d(tensor([1, 2, 3, 4], [1, 1, 2, 2]), { data: new Int32Array([5, 5, 0, 5]), shape: [1, 1, 2, 2] }, { kernelSize: 2 });
    const expected = new Array<number>(16).fill(0);
    expected[5] = 4;
    expected[0] = 3;
    expect(Array.from(out.data)).toEqual(expected);
  });

  it('writes indices that are not inside their own window', () => {
    const out = maxUnpool1d(tensor([1, 2], [1, 1, 2]), { data: new Int32Array([3, 0]), shape: [1, 1, 2] }, { kernelSize: 2 });
    expect(Array.from(out.data)).toEqual([2, 0, 0, 1]);
  });

  it('copies value bits exactly, NaN payload and -0 included', () => {
    const values = { data: fromBits([0x7fc0beef, 0x80000000, 0x7f800001]), shape: [1, 1, 3] };
    const out = maxUnpool1d(values, { data: new Int32Array([1, 2, 5]), shape: [1, 1, 3] }, { kernelSize: 2 });
    expect(bitsOf(out.data)).toEqual([0, 0x7fc0beef, 0x80000000, 0, 0, 0x7f800001]);
  });

  it('unpools 3-D, channels and batch', () => {
    // N=2, C=2, pooled 1x1x1 into 2x2x2 planes; index k goes to plane position k.
    const values = tensor([10, 20, 30, 40], [2, 2, 1, 1, 1]);
    const out = maxUnpool(values, { data: new Int32Array([7, 0, 3, 5]), shape: [2, 2, 1, 1, 1] }, { kernelSize: 2 });
    expect(out.shape).toEqual([2, 2, 2, 2, 2]);
    const expected = new Array<number>(32).fill(0);
    expected[0 * 8 + 7] = 10;
    expected[1 * 8 + 0] = 20;
    expected[2 * 8 + 3] = 30;
    expected[3 * 8 + 5] = 40;
    expect(Array.from(out.data)).toEqual(expected);
  });

  it('reports the first invalid index in memory order with its coordinates', () => {
    const values = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    const bad = (indices: number[], options = {}) => () =>
      maxUnpool2d(values, { data: new Int32Array(indices), shape: [1, 1, 2, 2] }, { kernelSize: 2, ...options });
    expect(bad([0, 1, 16, -1])).toThrow(RangeError);
    expect(bad([0, 1, 16, -1])).toThrow(
      new RangeError('maxUnpool2d: Found an invalid max index 16 at indices[0, 0, 1, 0] (output plane has 16 elements)'),
    );
    expect(bad([0, 1, 2, -1])).toThrow('maxUnpool2d: Found an invalid max index -1 at indices[0, 0, 1, 1] (output plane has 16 elements)');
    // The plane grows with outputSize: 5x5 accepts 16..24.
    expect(Array.from(bad([0, 1, 16, 24], { outputSize: [5, 5] })().data).filter((v) => v !== 0)).toEqual([1, 2, 3, 4]);
  });

  it('reports coordinates as [n, c, spatial] for channels-last, in memory order', () => {
    // [N=1, W=2, C=2] channels-last: memory order is (w0,c0), (w0,c1), (w1,c0), (w1,c1).
    // (w0,c1) and (w1,c0) are both bad; (w0,c1) comes first in memory though not in [n, c, w] order.
    const values = { data: f32([1, 2, 3, 4]), shape: [1, 2, 2] };
    expect(() => maxUnpool1d(values, { data: new Int32Array([0, 9, 8, 1]), shape: [1, 2, 2] }, { kernelSize: 2, layout: 'NHWC' })).toThrow(
      'maxUnpool1d: Found an invalid max index 9 at indices[0, 1, 0] (output plane has 4 elements)',
    );
  });

  it("refuses a flat index that belongs to another channel's plane", () => {
    // Channels-last [1, 1, 1, 2] into 2x2: channel 0's flat indices are 2p, so 1 (channel 1, p 0) is not one.
    const values = { data: f32([5, 6]), shape: [1, 1, 1, 2] };
    const options = { kernelSize: 2, layout: 'NHWC', indexFormat: 'flat' } as const;
    expect(() => maxUnpool2d(values, { data: new Int32Array([1, 1]), shape: [1, 1, 1, 2] }, options)).toThrow(
      'maxUnpool2d: Found an invalid max index 1 at indices[0, 0, 0, 0] (output plane has 4 elements)',
    );
    // Channels-first flat: plane (0, 1) of a 2x2 map holds 4..7, so 3 is out of it.
    const first = { data: f32([5, 6]), shape: [1, 2, 1, 1] };
    expect(() => maxUnpool2d(first, { data: new Int32Array([3, 3]), shape: [1, 2, 1, 1] }, { kernelSize: 2, indexFormat: 'flat' })).toThrow(
      'maxUnpool2d: Found an invalid max index 3 at indices[0, 1, 0, 0] (output plane has 4 elements)',
    );
    const ok = maxUnpool2d(values, { data: new Int32Array([6, 3]), shape: [1, 1, 1, 2] }, options);
    expect(Array.from(ok.data)).toEqual([0, 0, 0, 6, 0, 0, 5, 0]);
  });

  it('accepts BigInt64Array indices that fit int32', () => {
    const values = tensor([5, 6, 8, 9], [1, 1, 2, 2]);
    const out = maxUnpool2d(values, { data: new BigInt64Array([4n, 5n, 7n, 8n]), shape: [1, 1, 2, 2] }, { kernelSize: 2, stride: 1 });
    expect(Array.from(out.data)).toEqual([0, 0, 0, 0, 5, 6, 0, 8, 9]);
    expect(() =>
      maxUnpool2d(values, { data: new BigInt64Array([4n, 2n ** 31n, 7n, 8n]), shape: [1, 1, 2, 2] }, { kernelSize: 2, stride: 1 }),
    ).toThrow('maxUnpool2d: indices must fit in int32, got 2147483648n at element 1');
    expect(() =>
      maxUnpool2d(values, { data: new BigInt64Array([-1n, 5n, 7n, 8n]), shape: [1, 1, 2, 2] }, { kernelSize: 2, stride: 1 }),
    ).toThrow('maxUnpool2d: Found an invalid max index -1 at indices[0, 0, 0, 0] (output plane has 9 elements)');
  });
});

describe('data checks', () => {
  it('refuses data whose length does not match the shape', () => {
    expect(() => maxPool2d(tensor([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 3, 3]), { kernelSize: 2 })).toThrow(
      new RangeError('maxPool2d: input data has 8 elements but shape [1, 1, 3, 3] needs 9'),
    );
    const values = tensor([1, 2, 3], [1, 1, 2, 2]);
    const indices = { data: new Int32Array(4), shape: [1, 1, 2, 2] };
    expect(() => maxUnpool2d(values, indices, { kernelSize: 2 })).toThrow('maxUnpool2d: values data has 3 elements but shape [1, 1, 2, 2] needs 4');
    expect(() => maxUnpool2d(tensor([1, 2, 3, 4], [1, 1, 2, 2]), { data: new Int32Array(5), shape: [1, 1, 2, 2] }, { kernelSize: 2 })).toThrow(
      'maxUnpool2d: indices data has 5 elements but shape [1, 1, 2, 2] needs 4',
    );
  });

  it('refuses data of the wrong type', () => {
    const input = { data: new Float64Array(4) as unknown as Float32Array, shape: [1, 1, 4] };
    expect(() => maxPool(input, { kernelSize: 2 })).toThrow('maxPool1d: input data must be a Float32Array or a Uint16Array of float16 bits, got Float64Array');
    const indices = { data: new Uint32Array(2) as unknown as Int32Array, shape: [1, 1, 2] };
    expect(() => maxUnpool(tensor([1, 2], [1, 1, 2]), indices, { kernelSize: 2 })).toThrow(
      'maxUnpool1d: indices data must be an Int32Array or a BigInt64Array, got Uint32Array',
    );
  });

  it('reads Float32Array views at an offset and leaves the input alone', () => {
    const backing = f32([99, 1, 5, 2, 3, 99]);
    const view = new Float32Array(backing.buffer, 4, 4);
    const { values, indices } = maxPool1d({ data: view, shape: [1, 1, 4] }, { kernelSize: 2 });
    expect(Array.from(values.data)).toEqual([5, 3]);
    expect(Array.from(indices.data)).toEqual([1, 3]);
    expect(Array.from(backing)).toEqual([99, 1, 5, 2, 3, 99]);
  });
});
