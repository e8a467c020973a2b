/**
 * IEEE 754 binary16 (float16) on the host: conversions between its bits and numbers or float32 bits,
 * written from the format's definition (1 sign bit, 5 exponent bits with bias 15, 10 fraction bits;
 * exponent 0 holds zeros and subnormals, fraction * 2^-24; exponent 31 holds the infinities and NaN).
 *
 * - Widening (float16 to number or float32) is exact: every float16, subnormals included, is a
 *   normal float32.
 * - Narrowing rounds to nearest, ties to even, keeps subnormals (no flush to zero), and gives
 *   ±infinity from 65520 in magnitude up (the tie between 65504, the largest finite float16, and
 *   2^16 goes to the even 2^16, which is out of range).
 * - NaN keeps its sign and the top 10 bits of its float32 payload; when those are all zero the quiet
 *   bit is set so the result stays a NaN. A NaN widened from float16 narrows back to its own bits,
 *   so copies through float32 keep every NaN (signalling ones included) exactly.
 *
 * No Node imports: the CPU reference and the tensor API use these in the browser too.
 */

/** The runtime's Float16Array type where its TypeScript lib declares one (ES2025 / esnext.float16), else never. */
export type Float16ArrayType = typeof globalThis extends { Float16Array: { prototype: infer T } } ? T : never;

/** The runtime's Float16Array constructor, or undefined where there is none. */
export function float16ArrayConstructor(): (new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => ArrayLike<number>) | undefined {
  return (globalThis as { Float16Array?: new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => ArrayLike<number> }).Float16Array;
}

/** Whether `data` is a Float16Array of this runtime (false where the runtime has none). */
export function isFloat16Array(data: unknown): boolean {
  const constructor = float16ArrayConstructor();
  return constructor !== undefined && data instanceof constructor;
}

/** The value of float16 bits `h` (0..0xffff). */
export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/** Rounds a non-negative number to an integer, ties to even (exact for the scaled values below). */
function roundHalfEven(m: number): number {
  const floor = Math.floor(m);
  const rest = m - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The float16 bits of `x` rounded to nearest, ties to even (from a float64, rounded once). NaN gives
 * the quiet NaN 0x7e00; use `float32BitsToFloat16Bits` to keep a float32 NaN's sign and payload.
 */
export function numberToFloat16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) {
    // Subnormal range: a multiple of 2^-24. Rounding up to 1024 gives the smallest normal, whose
    // bits are 0x0400, so the same expression holds.
    return sign | roundHalfEven(a * 2 ** 24);
  }
  let exponent = Math.floor(Math.log2(a));
  if (2 ** exponent > a) exponent--;
  if (2 ** (exponent + 1) <= a) exponent++;
  // a = m * 2^(exponent - 10) with m in [1024, 2048); a carry to 2048 steps into the next exponent.
  const m = roundHalfEven(a * 2 ** (10 - exponent));
  return sign | (((exponent + 15) << 10) + (m - 1024));
}

/** float16 bits widened to float32 bits (exact; NaN payloads move to the top of the float32 fraction). */
export function float16BitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 31) return (sign | 0x7f800000 | (fraction << 13)) >>> 0;
  const bits = new Uint32Array(new Float32Array([Math.abs(float16BitsToNumber(h))]).buffer)[0];
  return (sign | bits) >>> 0;
}

/** float32 bits narrowed to float16 bits: round to nearest even, subnormals kept, NaN as described above. */
export function float32BitsToFloat16Bits(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  if ((f & 0x7f800000) === 0x7f800000 && (f & 0x7fffff) !== 0) {
    const payload = (f >>> 13) & 0x3ff;
    return sign | 0x7c00 | (payload === 0 ? 0x200 : payload);
  }
  const value = new Float32Array(new Uint32Array([f & 0x7fffffff]).buffer)[0];
  return sign | numberToFloat16Bits(value);
}

/** float16 bits widened to a Float32Array (exact, bit patterns as `float16BitsToFloat32Bits`). */
export function widenFloat16(bits: Uint16Array): Float32Array<ArrayBuffer> {
  const wide = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) wide[i] = float16BitsToFloat32Bits(bits[i]);
  return new Float32Array(wide.buffer);
}

/** A Float32Array narrowed to float16 bits (each element rounded once, as `float32BitsToFloat16Bits`). */
export function narrowToFloat16(data: Float32Array): Uint16Array<ArrayBuffer> {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const narrow = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) narrow[i] = float32BitsToFloat16Bits(bits[i]);
  return narrow;
}
