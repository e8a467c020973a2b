/**
 * Result comparisons, for the conformance plan's report, the tests and the demo: each returns null when
 * the arrays agree, else a short table of the first differing elements (position, coordinates where a
 * shape is given, actual, expected).
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

/** Differences a table shows at most. */
const SHOWN = 8;

/** Options of a comparison: the shape (to show coordinates), whether any NaN matches any NaN. */
export interface CompareOptions {
  /** Shows each difference's coordinates in a tensor of this shape. */
  shape?: readonly number[];
  /** Any NaN matches any NaN (results that add: IEEE leaves an arithmetic NaN's payload open). */
  anyNaN?: boolean;
}

function showFloat(bits: number): string {
  const value = new Float32Array(new Uint32Array([bits]).buffer)[0];
  const text = Object.is(value, -0) ? '-0' : String(value);
  return `${text} (0x${bits.toString(16).padStart(8, '0')})`;
}

/** Row-major coordinates of a flat position in a shape, as `[n, c, ...]`. */
function coordinates(shape: readonly number[], position: number): string {
  const coords: number[] = [];
  let rest = position;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    coords.unshift(rest % shape[axis]);
    rest = Math.floor(rest / shape[axis]);
  }
  return `[${coords.join(', ')}]`;
}

/**
 * Null when `same` holds element by element, else the count and a table of the first differences:
 * position (and coordinates, with a shape), actual, expected.
 */
function differences(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  same: (a: number, e: number) => boolean,
  show: (x: number) => string,
  shape?: readonly number[],
): string | null {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  const rows: string[] = [];
  let mismatches = 0;
  for (let i = 0; i < actual.length; i++) {
    if (!same(actual[i], expected[i]) && mismatches++ < SHOWN) rows.push(`${i}${shape ? ` ${coordinates(shape, i)}` : ''}: ${show(actual[i])}, ${show(expected[i])}`);
  }
  if (!mismatches) return null;
  const where = shape ? ` (shape [${shape.join(', ')}])` : '';
  return `${mismatches} of ${actual.length} elements differ${where}; first (position: actual, expected): ${rows.join('; ')}`;
}

const isNaNBits = (bits: number) => (bits & 0x7fffffff) > 0x7f800000;
const isHalfNaN = (bits: number) => (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
const showHalf = (bits: number) => `0x${bits.toString(16).padStart(4, '0')}`;

/** float32 bit patterns equal (NaN payloads and the sign of zero included, unless `anyNaN`). */
export function compareBits(actual: Float32Array, expected: Float32Array, options: CompareOptions = {}): string | null {
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const anyNaN = options.anyNaN === true;
  return differences(a, e, (x, y) => x === y || (anyNaN && isNaNBits(x) && isNaNBits(y)), showFloat, options.shape);
}

/** float16 bit patterns equal (NaN payloads and the sign of zero included, unless `anyNaN`). */
export function compareHalfBits(actual: Uint16Array, expected: Uint16Array, options: CompareOptions = {}): string | null {
  const anyNaN = options.anyNaN === true;
  return differences(actual, expected, (x, y) => x === y || (anyNaN && isHalfNaN(x) && isHalfNaN(y)), showHalf, options.shape);
}

/** Integers equal. */
export function compareInts(actual: Int32Array | Uint8Array, expected: Int32Array | Uint8Array, options: CompareOptions = {}): string | null {
  return differences(actual, expected, (x, y) => x === y, String, options.shape);
}

/**
 * |actual - expected| <= tolerance * max(scale, |expected|) (default CLOSE_TOLERANCE), for results that
 * interpolate or sum; `scale` is the magnitude of the inputs (rounding error grows with them even where
 * the result is small). NaN must match NaN and infinities must match exactly.
 */
export function compareClose(actual: Float32Array, expected: Float32Array, scale: number, options: CompareOptions & { tolerance?: number } = {}): string | null {
  const tolerance = options.tolerance ?? CLOSE_TOLERANCE;
  const close = (a: number, e: number) =>
    Number.isNaN(e) ? Number.isNaN(a) : Number.isFinite(e) ? Math.abs(a - e) <= tolerance * Math.max(scale, Math.abs(e)) : a === e;
  const found = differences(actual, expected, close, String, options.shape);
  return found && `${found} (tolerance ${tolerance} relative to max(|expected|, ${scale}))`;
}

/** The largest finite magnitude in `data` (the scale of interpolation error), at least the smallest normal / tolerance. */
export function magnitude(data: Float32Array): number {
  let most = 2 ** -126 / CLOSE_TOLERANCE;
  for (const v of data) if (Number.isFinite(v) && Math.abs(v) > most) most = Math.abs(v);
  return most;
}
