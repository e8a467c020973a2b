/**
 * Result checks that explain themselves: on a mismatch they throw an error holding a table of the
 * first differing elements (position, coordinates, actual, expected) instead of a bare boolean.
 */
import { afterEach, beforeEach, expect } from 'vitest';

function coordinates(shape: readonly number[], position: number): string {
  const coords: number[] = [];
  let rest = position;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    coords.unshift(rest % shape[axis]);
    rest = Math.floor(rest / shape[axis]);
  }
  return `[${coords.join(', ')}]`;
}

function showFloat(bits: number): string {
  const value = new Float32Array(new Uint32Array([bits]).buffer)[0];
  const text = Object.is(value, -0) ? '-0' : String(value);
  return `${text} (0x${bits.toString(16).padStart(8, '0')})`;
}

function report(label: string, shape: readonly number[], rows: string[], mismatches: number, total: number): never {
  throw new Error(
    `${label}: ${mismatches} of ${total} elements differ (shape [${shape.join(', ')}]); first ones:\n` +
      ['position  coordinates  actual  expected', ...rows].join('\n'),
  );
}

const SHOWN = 8;

/** float32 arrays equal bit for bit (NaN payloads and the sign of zero included). */
export function expectBitsEqual(actual: Float32Array, expected: Float32Array, shape: readonly number[], label: string): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length}, expected ${expected.length}`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const rows: string[] = [];
  let mismatches = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      if (mismatches++ < SHOWN) rows.push(`${i}  ${coordinates(shape, i)}  ${showFloat(a[i])}  ${showFloat(e[i])}`);
    }
  }
  if (mismatches) report(label, shape, rows, mismatches, a.length);
}

/** Integer arrays equal exactly. */
export function expectIntsEqual(actual: Int32Array | Uint8Array, expected: Int32Array | Uint8Array, shape: readonly number[], label: string): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length}, expected ${expected.length}`);
  const rows: string[] = [];
  let mismatches = 0;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      if (mismatches++ < SHOWN) rows.push(`${i}  ${coordinates(shape, i)}  ${actual[i]}  ${expected[i]}`);
    }
  }
  if (mismatches) report(label, shape, rows, mismatches, actual.length);
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
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length}, expected ${expected.length}`);
  const rows: string[] = [];
  let mismatches = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const same = Number.isNaN(e)
      ? Number.isNaN(a)
      : Number.isFinite(e)
        ? Math.abs(a - e) <= tolerance * Math.max(scale, Math.abs(e))
        : a === e;
    if (!same && mismatches++ < SHOWN) rows.push(`${i}  ${coordinates(shape, i)}  ${a}  ${e}`);
  }
  if (mismatches) report(`${label} (tolerance ${tolerance}, scale ${scale})`, shape, rows, mismatches, actual.length);
}

/**
 * Sums of float32 (gradients) equal bit for bit, the sign of zero included; only NaN payloads may
 * differ (IEEE leaves the payload of an arithmetic NaN open), so any NaN matches any NaN.
 */
export function expectSumBitsEqual(actual: Float32Array, expected: Float32Array, shape: readonly number[], label: string): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length}, expected ${expected.length}`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const rows: string[] = [];
  let mismatches = 0;
  for (let i = 0; i < a.length; i++) {
    const same = a[i] === e[i] || (Number.isNaN(actual[i]) && Number.isNaN(expected[i]));
    if (!same && mismatches++ < SHOWN) rows.push(`${i}  ${coordinates(shape, i)}  ${showFloat(a[i])}  ${showFloat(e[i])}`);
  }
  if (mismatches) report(label, shape, rows, mismatches, a.length);
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

function showHalf(bits: number): string {
  return `0x${bits.toString(16).padStart(4, '0')}`;
}

const isHalfNaN = (bits: number) => (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;

/**
 * float16 bit patterns equal (NaN payloads and the sign of zero included). `sums`: results that add,
 * where any NaN matches any NaN (IEEE leaves the payload of a sum's NaN open), as in expectSumBitsEqual.
 */
export function expectHalfBitsEqual(actual: Uint16Array, expected: Uint16Array, shape: readonly number[], label: string, sums = false): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length}, expected ${expected.length}`);
  const rows: string[] = [];
  let mismatches = 0;
  for (let i = 0; i < actual.length; i++) {
    const same = actual[i] === expected[i] || (sums && isHalfNaN(actual[i]) && isHalfNaN(expected[i]));
    if (!same && mismatches++ < SHOWN) rows.push(`${i}  ${coordinates(shape, i)}  ${showHalf(actual[i])}  ${showHalf(expected[i])}`);
  }
  if (mismatches) report(label, shape, rows, mismatches, actual.length);
}
