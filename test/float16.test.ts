import { describe, expect, it } from 'vitest';
import { maxPool, maxPool1d, maxPool2d, maxPoolBackward, maxUnpool, maxUnpool1d, maxUnpoolBackward } from '../src/cpu';
import {
  float16BitsToFloat32Bits,
  float16BitsToNumber,
  float32BitsToFloat16Bits,
  narrowToFloat16,
  numberToFloat16Bits,
  widenFloat16,
} from '../src/float16';
import type { FillMode, IndexFormat, Layout } from '../src/options';
import { makeHalfValues, VALUE_KINDS } from './data';

const f32bits = (value: number) => new Uint32Array(new Float32Array([value]).buffer)[0];
const fromF32Bits = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0];
const hex = (bits: number) => `0x${bits.toString(16)}`;
const half = (bits: number[]) => new Uint16Array(bits);

describe('float16 conversions: known bit patterns', () => {
  const cases: [string, number, number][] = [
    ['+0', 0, 0x0000],
    ['-0', -0, 0x8000],
    ['1', 1, 0x3c00],
    ['-2', -2, 0xc000],
    ['largest finite, 65504', 65504, 0x7bff],
    ['just below the overflow tie', 65519.996, 0x7bff],
    ['the overflow tie 65520 rounds to even, which is infinity', 65520, 0x7c00],
    ['65536', 65536, 0x7c00],
    ['+inf', Infinity, 0x7c00],
    ['-inf', -Infinity, 0xfc00],
    ['smallest subnormal, 2^-24', 2 ** -24, 0x0001],
    ['-2^-24', -(2 ** -24), 0x8001],
    ['2^-25 ties to even: 0', 2 ** -25, 0x0000],
    ['-2^-25 ties to even: -0', -(2 ** -25), 0x8000],
    ['just above 2^-25 rounds up', 2 ** -25 * (1 + 2 ** -20), 0x0001],
    ['3 * 2^-25 ties to even: 2 * 2^-24', 3 * 2 ** -25, 0x0002],
    ['largest subnormal', 1023 * 2 ** -24, 0x03ff],
    ['smallest normal, 2^-14', 2 ** -14, 0x0400],
    ['between largest subnormal and smallest normal ties to even (normal)', 1023.5 * 2 ** -24, 0x0400],
    ['1 + 2^-11 ties to even: 1', 1 + 2 ** -11, 0x3c00],
    ['1 + 3 * 2^-11 ties to even: 1 + 2^-9', 1 + 3 * 2 ** -11, 0x3c02],
    ['2049 ties to even: 2048', 2049, 0x6800],
    ['2051 ties to even: 2052', 2051, 0x6802],
    ['a float32 subnormal underflows to +0', 2 ** -149, 0x0000],
    ['a negative float32 subnormal underflows to -0', -(2 ** -149), 0x8000],
    ['0.1', 0.1, 0x2e66],
  ];
  for (const [name, value, bits] of cases) {
    it(`${name} -> ${hex(bits)}`, () => {
      expect(hex(numberToFloat16Bits(value))).toBe(hex(bits));
      // Every case is a float32 too, except where float32 would round first (none here).
      expect(hex(float32BitsToFloat16Bits(f32bits(value)))).toBe(hex(bits));
    });
  }

  it('widens known bit patterns exactly', () => {
    expect(float16BitsToNumber(0x0001)).toBe(2 ** -24);
    expect(float16BitsToNumber(0x03ff)).toBe(1023 * 2 ** -24);
    expect(float16BitsToNumber(0x0400)).toBe(2 ** -14);
    expect(float16BitsToNumber(0x7bff)).toBe(65504);
    expect(float16BitsToNumber(0x3555)).toBe(0.333251953125);
    expect(Object.is(float16BitsToNumber(0x8000), -0)).toBe(true);
    expect(float16BitsToNumber(0x7c00)).toBe(Infinity);
    expect(float16BitsToNumber(0xfc00)).toBe(-Infinity);
    expect(float16BitsToNumber(0x7e00)).toBeNaN();
    expect(hex(float16BitsToFloat32Bits(0x0001))).toBe(hex(0x33800000));
    expect(hex(float16BitsToFloat32Bits(0x8000))).toBe(hex(0x80000000));
    expect(hex(float16BitsToFloat32Bits(0x7c00))).toBe(hex(0x7f800000));
    expect(hex(float16BitsToFloat32Bits(0xfc00))).toBe(hex(0xff800000));
    expect(hex(float16BitsToFloat32Bits(0x7c01))).toBe(hex(0x7f802000));
    expect(hex(float16BitsToFloat32Bits(0xfe3f))).toBe(hex(0xffc7e000));
  });

  it('NaN keeps its sign and the top of its payload, and stays a NaN', () => {
    expect(hex(float32BitsToFloat16Bits(0x7fc00000))).toBe(hex(0x7e00));
    expect(hex(float32BitsToFloat16Bits(0xffc00000))).toBe(hex(0xfe00));
    expect(hex(float32BitsToFloat16Bits(0x7fd56000))).toBe(hex(0x7eab));
    // A signalling NaN whose payload sits below float16's fraction: the quiet bit keeps it a NaN.
    expect(hex(float32BitsToFloat16Bits(0x7f800001))).toBe(hex(0x7e00));
    expect(hex(float32BitsToFloat16Bits(0xff800fff))).toBe(hex(0xfe00));
    expect(numberToFloat16Bits(NaN)).toBe(0x7e00);
  });

  it('every float16 bit pattern widens and narrows back to itself (NaNs and subnormals included)', () => {
    for (let h = 0; h < 0x10000; h++) {
      const wide = float16BitsToFloat32Bits(h);
      if (float32BitsToFloat16Bits(wide) !== h) throw new Error(`${hex(h)} -> ${hex(wide)} -> ${hex(float32BitsToFloat16Bits(wide))}`);
      const value = float16BitsToNumber(h);
      if (!Number.isNaN(value) && !Object.is(fromF32Bits(wide), value)) throw new Error(`${hex(h)} widens to ${fromF32Bits(wide)}, not ${value}`);
    }
  });

  it('rounds every midpoint between neighbouring float16 values to the even one, and its float32 neighbours to the nearer', () => {
    // Positive finite pairs (h, h + 1); the midpoint needs 12 significant bits, exact in float32.
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (float16BitsToNumber(h) + float16BitsToNumber(h + 1)) / 2;
      const midBits = f32bits(mid);
      const even = h % 2 === 0 ? h : h + 1;
      const got = [float32BitsToFloat16Bits(midBits), float32BitsToFloat16Bits(midBits - 1), float32BitsToFloat16Bits(midBits + 1)];
      if (got[0] !== even || got[1] !== h || got[2] !== h + 1) {
        throw new Error(`between ${hex(h)} and ${hex(h + 1)}: got ${got.map(hex).join(', ')}`);
      }
      // The same from the negative side.
      if (float32BitsToFloat16Bits((midBits | 0x80000000) >>> 0) !== (even | 0x8000)) throw new Error(`-mid of ${hex(h)}`);
    }
  });

  it('narrows arrays element by element', () => {
    const data = new Float32Array([1, 2 ** -25, 65520, -0]);
    expect(Array.from(narrowToFloat16(data)).map(hex)).toEqual(['0x3c00', '0x0', '0x7c00', '0x8000']);
    expect(Array.from(widenFloat16(half([0x3c00, 0x0001, 0xfc00])))).toEqual([1, 2 ** -24, -Infinity]);
  });
});

const narrowBits = (data: Float32Array) => Array.from(narrowToFloat16(data));

describe('CPU reference on float16: the float32 rules on the widened values', () => {
  const layouts: Layout[] = ['NCHW', 'NHWC'];
  const formats: IndexFormat[] = ['spatial', 'flat', 'flat-no-batch', 'window'];
  for (const kind of VALUE_KINDS) {
    for (const layout of layouts) {
      for (const indexFormat of formats) {
        it(`pooling, unpooling and both gradients: ${kind}, ${layout}, ${indexFormat}`, () => {
          const shape = layout === 'NCHW' ? [2, 3, 7, 6] : [2, 7, 6, 3];
          const bits = makeHalfValues(kind, 2 * 3 * 7 * 6, 11);
          const wide = widenFloat16(bits);
          const opts = { kernelSize: 3, stride: 2, padding: 1, layout, indexFormat } as const;
          const h = maxPool2d({ data: bits, shape }, opts);
          const f = maxPool2d({ data: wide, shape }, opts);
          expect(h.values.data).toBeInstanceOf(Uint16Array);
          expect(Array.from(h.values.data)).toEqual(narrowBits(f.values.data));
          expect(Array.from(h.indices.data)).toEqual(Array.from(f.indices.data));
          // Values are copies: each pooled float16 is one of the input's bit patterns.
          const present = new Set(bits);
          expect(Array.from(h.values.data).every((v) => present.has(v))).toBe(true);

          for (const fill of ['zero', 'nearest', 'bilinear'] as FillMode[]) {
            const unpoolOpts = { kernelSize: 3, stride: 2, padding: 1, layout, indexFormat, outputSize: [7, 6], fill };
            const hu = maxUnpool(h.values, h.indices, unpoolOpts);
            const fu = maxUnpool({ data: widenFloat16(h.values.data), shape: h.values.shape }, f.indices, unpoolOpts);
            if (fill !== 'bilinear') expect(Array.from(hu.data)).toEqual(narrowBits(fu.data));
            else {
              // Rounded once from float64: within half a float16 ulp of the float32 result, NaN where it is NaN.
              for (let i = 0; i < hu.data.length; i++) {
                const a = float16BitsToNumber(hu.data[i]);
                const e = fu.data[i];
                if (Number.isNaN(e) || !Number.isFinite(e)) expect(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)) || Math.abs(e) > 65504).toBe(true);
                else expect(Math.abs(a - e)).toBeLessThanOrEqual(Math.max(Math.abs(e) * 2 ** -11, 2 ** -25) * 1.0001);
              }
            }
          }

          const grad = makeHalfValues('random', h.values.data.length, 5);
          const backwardOpts = { kernelSize: 3, stride: 2, padding: 1, layout, indexFormat, inputShape: shape };
          const hb = maxPoolBackward({ data: grad, shape: h.values.shape }, h.indices, backwardOpts);
          const fb = maxPoolBackward({ data: widenFloat16(grad), shape: h.values.shape }, f.indices, backwardOpts);
          expect(Array.from(hb.data)).toEqual(narrowBits(fb.data));

          const gradOut = makeHalfValues(kind, bits.length, 9);
          const unpoolOpts = { kernelSize: 3, stride: 2, padding: 1, layout, indexFormat, outputSize: [7, 6] };
          const hub = maxUnpoolBackward({ data: gradOut, shape }, h.indices, unpoolOpts);
          const fub = maxUnpoolBackward({ data: widenFloat16(gradOut), shape }, f.indices, unpoolOpts);
          expect(Array.from(hub.data)).toEqual(narrowBits(fub.data));
        });
      }
    }
  }

  it('copies float16 bits exactly: NaN payloads, signalling NaNs, -0 and subnormals', () => {
    const input = half([0x7c01, 0x0000, 0x8000, 0x0000, 0x0001, 0x0002, 0xfe2a, 0x3c00]);
    const { values, indices } = maxPool1d({ data: input, shape: [1, 1, 8] }, { kernelSize: 2 });
    // NaN wins; -0 ties +0 (the first, -0, wins); subnormals compare by value; NaN beats 1.
    expect(Array.from(values.data).map(hex)).toEqual(['0x7c01', '0x8000', '0x2', '0xfe2a']);
    expect(Array.from(indices.data)).toEqual([0, 2, 5, 6]);
    const back = maxUnpool1d(values, indices, { kernelSize: 2, outputSize: [8] });
    expect(Array.from(back.data).map(hex)).toEqual(['0x7c01', '0x0', '0x8000', '0x0', '0x0', '0x2', '0xfe2a', '0x0']);
  });

  it('sums gradients in float32 and rounds each sum once to float16', () => {
    // Three windows choose input 1. In float16 steps 1 + 2^-11 would round to 1 each time; the
    // float32 sum 1 + 2^-10 is exact, and rounds once to 0x3c01.
    const indices = { data: new Int32Array([1, 1, 1]), shape: [1, 1, 3] };
    const opts = { kernelSize: 3, stride: 1, padding: 1, inputShape: [1, 1, 3] };
    const grad = half([0x3c00, 0x1000, 0x1000]);
    expect(Array.from(maxPoolBackward({ data: grad, shape: [1, 1, 3] }, indices, opts).data).map(hex)).toEqual(['0x0', '0x3c01', '0x0']);
    // A sum past float16's range overflows to infinity only after summing.
    const big = half([0x7bff, 0x7bff, 0xfbff]);
    expect(Array.from(maxPoolBackward({ data: big, shape: [1, 1, 3] }, indices, opts).data).map(hex)).toEqual(['0x0', '0x7bff', '0x0']);
    const bigger = half([0x7bff, 0x7bff, 0x0000]);
    expect(Array.from(maxPoolBackward({ data: bigger, shape: [1, 1, 3] }, indices, opts).data).map(hex)).toEqual(['0x0', '0x7c00', '0x0']);
    // Subnormals add exactly (in float32) and stay subnormal.
    const tiny = half([0x0001, 0x0001, 0x8003]);
    expect(Array.from(maxPoolBackward({ data: tiny, shape: [1, 1, 3] }, indices, opts).data).map(hex)).toEqual(['0x0', '0x8001', '0x0']);
  });

  it('a bilinear fill rounds once to float16', () => {
    // Pooled [1, 1 + 2^-10] at positions 0 and 3 of 4: positions 1 and 2 blend them 3:1 and 1:3.
    const values = half([0x3c00, 0x3c01]);
    const out = maxUnpool1d({ data: values, shape: [1, 1, 2] }, { data: new Int32Array([0, 3]), shape: [1, 1, 2] }, { kernelSize: 2, outputSize: [4], fill: 'bilinear' });
    expect(Array.from(out.data).map(hex)).toEqual(['0x3c00', '0x3c00', '0x3c01', '0x3c01']);
  });

  it('refuses other integer arrays, naming the operation and argument', () => {
    expect(() => maxPool({ data: new Int16Array(4) as never, shape: [1, 1, 4] }, { kernelSize: 2 })).toThrow(
      /maxPool1d: input data must be a Float32Array.* or a Uint16Array of float16 bits, got Int16Array/,
    );
    expect(() => maxUnpoolBackward({ data: [1, 2] as never, shape: [1, 1, 2] }, { data: new Int32Array([0]), shape: [1, 1, 1] }, { kernelSize: 2 })).toThrow(
      /maxUnpoolBackward1d: gradOutput data must be/,
    );
  });
});
