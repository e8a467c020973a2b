/** Test data: seeded value generators for the kinds of input that break pooling kernels. */
import { narrowToFloat16 } from '../src/float16';

// The generator is the conformance plan's (src/check/values.ts), so that a case of `npx argpool check`
// and a test with the same seed see the same values.
import { makeValues, rng, type ValueKind } from '../src/check/values';

export { makeValues, rng, VALUE_KINDS, type ValueKind } from '../src/check/values';

/** Random positions anywhere in an output plane of `outVolume` elements; repeats are likely. */
export function randomSpatialIndices(count: number, outVolume: number, seed: number): Int32Array {
  const next = rng(seed);
  const indices = new Int32Array(count);
  for (let i = 0; i < count; i++) indices[i] = Math.floor(next() * outVolume);
  return indices;
}

/**
 * float16 bits of a value kind: the float32 values narrowed (round to nearest even), except 'special',
 * which mixes float16's own subnormals, signed zeros, infinities, smallest normals and largest finite
 * values, and 'nan', which also scatters float16 NaNs (signalling and quiet, both signs, payloads).
 */
export function makeHalfValues(kind: ValueKind, length: number, seed: number): Uint16Array<ArrayBuffer> {
  const bits = narrowToFloat16(makeValues(kind, length, seed));
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

