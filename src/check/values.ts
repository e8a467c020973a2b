/**
 * Seeded test values for the conformance plan: the kinds of input that break pooling kernels on real
 * GPUs (ties, NaN, infinities, subnormals, signed zeros). Deterministic, so a report names a case
 * that anyone can rerun.
 */

import { cpu } from '../index.js';

export type ValueKind = 'random' | 'ties' | 'nan' | 'inf' | 'all-neg-inf' | 'special';
export const VALUE_KINDS: readonly ValueKind[] = ['random', 'ties', 'nan', 'inf', 'all-neg-inf', 'special'];

/**
 * Subnormals of both signs (WGSL lets an implementation flush them to zero), both zeros (it may
 * ignore their sign), both infinities and the smallest normals beside them. Repeats make ties
 * between equal subnormals.
 */
const SPECIAL_BITS = [
  0x00000001, 0x00000002, 0x00000100, 0x007fffff, 0x00400000, // positive subnormals
  0x80000001, 0x80000002, 0x80000100, 0x807fffff, 0x80400000, // negative subnormals
  0x00000000, 0x80000000, // +0, -0
  0x7f800000, 0xff800000, // +inf, -inf
  0x00800000, 0x80800000, // smallest normals
];

/** mulberry32: small and seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `length` values of one kind. 'ties' draws from {-1, -0, 0, 1}; 'nan' scatters quiet and signalling
 * NaNs of both signs with payloads; 'inf' scatters both infinities; 'all-neg-inf' is -inf everywhere;
 * 'special' draws from SPECIAL_BITS.
 */
export function makeValues(kind: ValueKind, length: number, seed: number): Float32Array<ArrayBuffer> {
  const next = rng(seed);
  const data = new Float32Array(length);
  const bits = new Uint32Array(data.buffer);
  if (kind === 'all-neg-inf') return data.fill(-Infinity);
  for (let i = 0; i < length; i++) {
    const r = next();
    switch (kind) {
      case 'random':
        data[i] = (next() - 0.5) * 200;
        break;
      case 'ties':
        data[i] = [-1, -0, 0, 1][Math.floor(r * 4)];
        break;
      case 'nan':
        if (r < 0.05) bits[i] = 0x7f800000 | (Math.floor(next() * 0x3fffff) + 1);
        else if (r < 0.15) bits[i] = (r < 0.1 ? 0xffc00000 : 0x7fc00000) | (Math.floor(next() * 0x3fffff) + 1);
        else data[i] = (next() - 0.5) * 200;
        break;
      case 'inf':
        data[i] = r < 0.1 ? Infinity : r < 0.3 ? -Infinity : (next() - 0.5) * 200;
        break;
      case 'special':
        bits[i] = SPECIAL_BITS[Math.floor(r * SPECIAL_BITS.length)];
        break;
    }
  }
  return data;
}

/**
 * float16 bits of a value kind: the float32 values narrowed (round to nearest even), except 'special',
 * which mixes float16's own subnormals, signed zeros, infinities, smallest normals and largest finite
 * values, and 'nan', which also scatters float16 NaNs (signalling and quiet, both signs, payloads).
 */
export function makeHalfValues(kind: ValueKind, length: number, seed: number): Uint16Array<ArrayBuffer> {
  const wide = makeValues(kind, length, seed);
  const bits = Uint16Array.from(new Uint32Array(wide.buffer, wide.byteOffset, wide.length), cpu.float32BitsToFloat16Bits);
  if (kind === 'special') {
    const specials = [0x0001, 0x0002, 0x03ff, 0x8001, 0x83ff, 0x0000, 0x8000, 0x7c00, 0xfc00, 0x0400, 0x8400, 0x7bff, 0xfbff];
    for (let i = 0; i < length; i++) bits[i] = specials[(i * 7 + Math.abs(seed)) % specials.length];
  }
  if (kind === 'nan') {
    // float16 NaNs of both signs, signalling (0x7c01) and quiet with payloads.
    const nans = [0x7c01, 0xfc01, 0x7e00, 0xfe2a, 0x7dff];
    for (let i = Math.abs(seed) % 5; i < length; i += 9) bits[i] = nans[i % nans.length];
  }
  return bits;
}
