// float16 conversions: included by src/programs/storage.ts for the kernels that see float16 tensors
// widened to float32 bits (float access 'widened'), whose accessors it writes. No entry point of its own.
//
// A float16 tensor holds two bytes per element: element i is the half (i % 2) of 32-bit word i / 2,
// least significant half first (the order a Uint16Array view gives on a little-endian host, as
// WebGPU's are). The kernels keep working on float32 bits: every float16 widens exactly to a float32
// (subnormals become normal float32s), so comparisons (order_key) and bit copies behave exactly as on
// the widened float32 tensor, and results narrow back once: copies come back as their own bits
// (NaN payloads included, see f32_to_f16_bits), sums and interpolations are rounded once.
//
// The conversions are integer code on the bits, not unpack2x16float / pack2x16float or f16(x): WGSL
// leaves it to the implementation whether a float conversion that is not exact rounds up or down, and
// lets it flush subnormals, while these give round to nearest even with subnormals kept everywhere.
//
// Two storage modes, chosen per device by the host:
// - packed (any adapter): the bindings are array<u32> words. Loads take the element's half of its
//   word. Stores of one element must not race with the other element of the same word, which another
//   invocation may write at the same time, so a store is atomicOr of the element's half into a word
//   that the host cleared before the pass; every kernel writes each element at most once.
// - native (adapters with 'shader-f16', `enable f16;` in front of the module): array<f16> bindings,
//   where each element is its own memory location, so plain stores do not race. Loads and stores go
//   through bitcasts so the bits, not a value, are moved.

// float16 bits (the low 16 bits of h) widened to float32 bits, exactly.
fn f16_to_f32_bits(h: u32) -> u32 {
  let sign = (h & 0x8000u) << 16u;
  let exponent = (h >> 10u) & 0x1fu;
  let fraction = h & 0x3ffu;
  if (exponent == 31u) {
    // Infinity, or NaN with its payload at the top of the float32 fraction.
    return sign | 0x7f800000u | (fraction << 13u);
  }
  if (exponent != 0u) {
    // Normal: rebias the exponent from 15 to 127.
    return sign | ((exponent + 112u) << 23u) | (fraction << 13u);
  }
  if (fraction == 0u) {
    return sign;
  }
  // Subnormal, fraction * 2^-24 = 2^(b - 24) * (fraction / 2^b) with b its leading bit: a normal
  // float32 with biased exponent b - 24 + 127, whose fraction is the bits below b.
  let b = firstLeadingBit(fraction);
  return sign | ((b + 103u) << 23u) | ((fraction << (23u - b)) & 0x7fffffu);
}

// float32 bits narrowed to float16 bits (in the low 16 bits): round to nearest, ties to even,
// subnormals kept; 65520 and above in magnitude give infinity. NaN keeps its sign and the top 10 bits
// of its payload, with the quiet bit set when those are all zero (so it stays a NaN, and a NaN widened
// from float16 comes back as its own bits).
fn f32_to_f16_bits(f: u32) -> u32 {
  let sign = (f >> 16u) & 0x8000u;
  let a = f & 0x7fffffffu;
  if (a > 0x7f800000u) {
    let payload = (a >> 13u) & 0x3ffu;
    return sign | 0x7c00u | select(payload, 0x200u, payload == 0u);
  }
  if (a >= 0x477ff000u) {
    // 65520 and up, and infinity.
    return sign | 0x7c00u;
  }
  if (a >= 0x38800000u) {
    // 2^-14 and up: a normal float16. Rebias, then round away the low 13 bits, ties to even; a carry
    // out of the fraction steps the exponent, as it should.
    let rebiased = a - (112u << 23u);
    return sign | ((rebiased + 0xfffu + ((rebiased >> 13u) & 1u)) >> 13u);
  }
  if (a <= 0x33000000u) {
    // 2^-25 and below (float32 subnormals included): 0, the tie at 2^-25 going to the even 0.
    return sign;
  }
  // Subnormal float16: round a * 2^24 = m * 2^(e - 126) to an integer, m the float32 significand
  // with its hidden bit and e its biased exponent (102..112, so the shift is 14..24). Rounding up to
  // 1024 gives the smallest normal, 0x0400, as it should.
  let e = a >> 23u;
  let m = (a & 0x7fffffu) | 0x800000u;
  let shift = 126u - e;
  let q = m >> shift;
  let rest = m & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  let up = rest > half || (rest == half && (q & 1u) == 1u);
  return sign | (q + select(0u, 1u, up));
}
