/**
 * Result checks that explain themselves: on a mismatch they throw an error holding a table of the
 * first differing elements (position, coordinates, actual, expected) instead of a bare boolean. The
 * tables are the conformance check's (src/check/compare.ts).
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { compareBits, compareClose, compareHalfBits, compareInts } from '../src/check/compare';

function fail(label: string, difference: string | null): void {
  if (difference) throw new Error(`${label}: ${difference}`);
}

/** float32 arrays equal bit for bit (NaN payloads and the sign of zero included). */
export function expectBitsEqual(actual: Float32Array, expected: Float32Array, shape: readonly number[], label: string): void {
  fail(label, compareBits(actual, expected, { shape }));
}

/** Integer arrays equal exactly. */
export function expectIntsEqual(actual: Int32Array | Uint8Array, expected: Int32Array | Uint8Array, shape: readonly number[], label: string): void {
  fail(label, compareInts(actual, expected, { shape }));
}

/**
 * float32 arrays equal within |a - e| <= tolerance * max(scale, |e|), for results that sum or
 * interpolate. `scale` is the magnitude of the inputs (rounding error grows with them even where the
 * result is small). NaN must match NaN and infinities must match exactly.
 */
export function expectClose(
  actual: Float32Array,
  expected: Float32Array,
  shape: readonly number[],
  tolerance: number,
  label: string,
  scale = 1,
): void {
  fail(label, compareClose(actual, expected, scale, { shape, tolerance }));
}

/**
 * Sums of float32 (gradients) equal bit for bit, the sign of zero included; only NaN payloads may
 * differ (IEEE leaves the payload of an arithmetic NaN open), so any NaN matches any NaN.
 */
export function expectSumBitsEqual(actual: Float32Array, expected: Float32Array, shape: readonly number[], label: string): void {
  fail(label, compareBits(actual, expected, { shape, anyNaN: true }));
}

/**
 * Opens validation and out-of-memory error scopes on the device before each test of the file and
 * fails the test when either caught an error when it ends, so no GPU error passes unseen (the
 * conformance suite's way; argpool's own reads report errors too, this also covers work never read).
 */
export function guardErrorScopes(device: () => GPUDevice): void {
  beforeEach(() => {
    device().pushErrorScope('out-of-memory');
    device().pushErrorScope('validation');
  });
  afterEach(async () => {
    const validation = await device().popErrorScope();
    const outOfMemory = await device().popErrorScope();
    expect(validation?.message ?? null, 'GPU validation error').toBeNull();
    expect(outOfMemory?.message ?? null, 'GPU out-of-memory error').toBeNull();
  });
}

/**
 * float16 bit patterns equal (NaN payloads and the sign of zero included). `sums`: results that add,
 * where any NaN matches any NaN (IEEE leaves the payload of a sum's NaN open), as in expectSumBitsEqual.
 */
export function expectHalfBitsEqual(actual: Uint16Array, expected: Uint16Array, shape: readonly number[], label: string, sums = false): void {
  fail(label, compareHalfBits(actual, expected, { shape, anyNaN: sums }));
}
