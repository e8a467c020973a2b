/**
 * Result comparisons of the conformance plan. Each returns null when the arrays agree, else a short
 * table of the first differing elements (position, actual, expected), for the report.
 */

/** How a check compares: the rule, as the report states it. */
export type Comparison = 'bits' | 'ints' | 'sum-bits' | 'close' | 'half-bits' | 'half-sum-bits';

export const COMPARISON_RULES: Readonly<Record<Comparison, string>> = {
  bits: 'float32 bit patterns equal (NaN payloads and the sign of zero included)',
  ints: 'integers equal',
  'sum-bits': 'float32 sums in the reference order, bit patterns equal; NaN matches any NaN (IEEE leaves an arithmetic NaN payload open)',
  close: '|actual - expected| <= 1e-6 * max(|expected|, largest input magnitude), NaN and infinities exactly (interpolated fill)',
  'half-bits': 'float16 bit patterns equal (NaN payloads and the sign of zero included)',
  'half-sum-bits': 'float16 bit patterns equal (sums in float32 in the reference order, rounded once); NaN matches any NaN',
};

/** Relative tolerance of the 'close' comparison (float32 interpolation against float64 rounded once). */
export const CLOSE_TOLERANCE = 1e-6;

const SHOWN = 5;

function showFloat(bits: number): string {
  const value = new Float32Array(new Uint32Array([bits]).buffer)[0];
  const text = Object.is(value, -0) ? '-0' : String(value);
  return `${text} (0x${bits.toString(16).padStart(8, '0')})`;
}

function summary(rows: string[], mismatches: number, total: number): string {
  return `${mismatches} of ${total} elements differ; first (position: actual, expected): ${rows.join('; ')}`;
}

function lengthMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>): string | null {
  return actual.length === expected.length ? null : `length ${actual.length}, expected ${expected.length}`;
}

/** Null when `same` holds element by element, else the count and a table of the first differences. */
function differences(actual: ArrayLike<number>, expected: ArrayLike<number>, same: (a: number, e: number) => boolean, show: (x: number) => string): string | null {
  const bad = lengthMismatch(actual, expected);
  if (bad) return bad;
  const rows: string[] = [];
  let mismatches = 0;
  for (let i = 0; i < actual.length; i++) {
    if (!same(actual[i], expected[i]) && mismatches++ < SHOWN) rows.push(`${i}: ${show(actual[i])}, ${show(expected[i])}`);
  }
  return mismatches ? summary(rows, mismatches, actual.length) : null;
}

const isNaNBits = (bits: number) => (bits & 0x7fffffff) > 0x7f800000;
const isHalfNaN = (bits: number) => (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
const showHalf = (bits: number) => `0x${bits.toString(16).padStart(4, '0')}`;

/** float32 bit patterns equal; with `anyNaN`, any NaN matches any NaN. */
export function compareBits(actual: Float32Array, expected: Float32Array, anyNaN = false): string | null {
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  return differences(a, e, (x, y) => x === y || (anyNaN && isNaNBits(x) && isNaNBits(y)), showFloat);
}

/** float16 bit patterns equal; with `anyNaN`, any NaN matches any NaN. */
export function compareHalfBits(actual: Uint16Array, expected: Uint16Array, anyNaN = false): string | null {
  return differences(actual, expected, (x, y) => x === y || (anyNaN && isHalfNaN(x) && isHalfNaN(y)), showHalf);
}

/** Integers equal. */
export function compareInts(actual: Int32Array | Uint8Array, expected: Int32Array | Uint8Array): string | null {
  return differences(actual, expected, (x, y) => x === y, String);
}

/** Within CLOSE_TOLERANCE relative to max(|expected|, scale); NaN matches NaN, infinities exactly. */
export function compareClose(actual: Float32Array, expected: Float32Array, scale: number): string | null {
  const close = (a: number, e: number) =>
    Number.isNaN(e) ? Number.isNaN(a) : Number.isFinite(e) ? Math.abs(a - e) <= CLOSE_TOLERANCE * Math.max(scale, Math.abs(e)) : a === e;
  return differences(actual, expected, close, String);
}

/** The largest finite magnitude in `data` (the scale of interpolation error), at least the smallest normal / tolerance. */
export function magnitude(data: Float32Array): number {
  let most = 2 ** -126 / CLOSE_TOLERANCE;
  for (const v of data) if (Number.isFinite(v) && Math.abs(v) > most) most = Math.abs(v);
  return most;
}
