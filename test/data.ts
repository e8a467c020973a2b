/** Test data: seeded value generators for the kinds of input that break pooling kernels. */
// The generator is the conformance plan's (src/check/values.ts), so that a case of `npx argpool check`
// and a test with the same seed see the same values.
import { rng } from '../src/check/values';

export { makeHalfValues, makeValues, rng, VALUE_KINDS, type ValueKind } from '../src/check/values';

/** Random positions anywhere in an output plane of `outVolume` elements; repeats are likely. */
export function randomSpatialIndices(count: number, outVolume: number, seed: number): Int32Array {
  const next = rng(seed);
  const indices = new Int32Array(count);
  for (let i = 0; i < count; i++) indices[i] = Math.floor(next() * outVolume);
  return indices;
}
