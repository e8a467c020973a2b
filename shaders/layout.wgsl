// Shared addressing, window and comparison helpers: the `layout` include of every kernel that reads
// indices or walks a layout (src/programs/storage.ts puts it in front of the kernel). No entry point of
// its own.
//
// A tensor [N, C, spatial...] with `volume` spatial elements is stored channels-first
// ((n*C + c)*volume + p) or channels-last ((n*volume + p)*C + c).
// An index encodes (n, c, p) as n*stride_n + c*stride_c + p*stride_s; the host picks the strides for
// PyTorch's per-plane index (0, 0, 1), ONNX's and TensorFlow's flat indices.

struct Element {
  n: u32,
  c: u32,
  p: u32,
}

fn element_at(offset: u32, channels: u32, volume: u32, channels_last: bool) -> Element {
  if (channels_last) {
    let rest = offset / channels;
    return Element(rest / volume, offset % channels, rest % volume);
  }
  let plane = offset / volume;
  return Element(plane / channels, plane % channels, offset % volume);
}

fn element_offset(e: Element, channels: u32, volume: u32, channels_last: bool) -> u32 {
  if (channels_last) {
    return (e.n * volume + e.p) * channels + e.c;
  }
  return (e.n * channels + e.c) * volume + e.p;
}

fn encode_index(e: Element, stride_n: u32, stride_c: u32, stride_s: u32) -> i32 {
  return i32(e.n * stride_n + e.c * stride_c + e.p * stride_s);
}

// The spatial position an index names inside its own (n, c) plane of `volume` elements, or -1 when
// it names none (negative, off the stride grid, or past the plane).
fn decode_index(index: i32, n: u32, c: u32, stride_n: u32, stride_c: u32, stride_s: u32, volume: u32) -> i32 {
  let rel = index - i32(n * stride_n + c * stride_c);
  let step = i32(stride_s);
  if (rel < 0 || rel % step != 0 || u32(rel / step) >= volume) {
    return -1;
  }
  return rel / step;
}

// First and one-past-last kernel tap whose input position lies inside [0, size).
fn valid_taps(o: u32, stride: u32, pad: u32, dilation: u32, kernel: u32, size: u32) -> vec2<u32> {
  let start = i32(o * stride) - i32(pad);
  let step = i32(dilation);
  var first = 0;
  if (start < 0) {
    first = (-start + step - 1) / step;
  }
  // Taps k with start + k*dilation <= size - 1.
  let last = (i32(size) - 1 - start) / step + 1;
  return vec2<u32>(u32(first), u32(clamp(last, first, i32(kernel))));
}

// The outputs whose window can hold coordinate x along one dimension: tap k reaches x from output
// (x + pad - k*dilation) / stride. Returns the first and one-past-last candidate output; `is_tap`
// then keeps those for which the division is exact under the dilation.
fn candidate_outputs(x: u32, stride: u32, pad: u32, dilation: u32, kernel: u32, out_size: u32) -> vec2<i32> {
  // Smallest output o >= 0 with o*stride >= x + pad - (kernel-1)*dilation; largest with o*stride <= x + pad.
  let hi_pos = i32(x + pad);
  let lo_pos = hi_pos - i32((kernel - 1u) * dilation);
  let s = i32(stride);
  let lo = max(select((lo_pos + s - 1) / s, 0, lo_pos <= 0), 0);
  let hi = min(hi_pos / s, i32(out_size) - 1);
  return vec2<i32>(lo, hi + 1);
}

fn is_tap(x: u32, o: i32, stride: u32, pad: u32, dilation: u32) -> bool {
  let r = i32(x + pad) - o * i32(stride);
  return r % i32(dilation) == 0;
}

// Unpooling: the output offset that pooled element t's index names, or -1 when it names no position
// of its own (n, c) plane. The pooled tensor has `in_volume` spatial elements, the unpooled one
// `out_volume`; `strides` are the index strides (n, c, s).
fn unpool_target(t: u32, index: i32, channels: u32, in_volume: u32, out_volume: u32, channels_last: bool, strides: vec3<u32>) -> i32 {
  let e = element_at(t, channels, in_volume, channels_last);
  let p = decode_index(index, e.n, e.c, strides.x, strides.y, strides.z, out_volume);
  if (p < 0) {
    return -1;
  }
  return i32(element_offset(Element(e.n, e.c, u32(p)), channels, out_volume, channels_last));
}

// Float comparisons that follow PyTorch on any conforming implementation. WGSL lets an implementation
// flush subnormals to zero and ignore the sign of zero in float arithmetic and comparisons, so kernels
// compare integer keys of the bits instead: order_key is monotonic in the value for every non-NaN
// float (negative values flip all bits, positive ones flip the sign bit), subnormals included, and
// maps -0 to +0's key, so the two zeros tie (IEEE: -0 == +0). NaN has no place in that order; callers
// test it with is_nan first.
fn is_nan(bits: u32) -> bool {
  return (bits & 0x7fffffffu) > 0x7f800000u;
}

fn is_nan4(bits: vec4<u32>) -> vec4<bool> {
  return (bits & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u);
}

fn order_key(bits: u32) -> u32 {
  let b = select(bits, 0u, bits == 0x80000000u);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn order_key4(bits: vec4<u32>) -> vec4<u32> {
  let b = select(bits, vec4<u32>(0u), bits == vec4<u32>(0x80000000u));
  return select(b | vec4<u32>(0x80000000u), ~b, (b & vec4<u32>(0x80000000u)) != vec4<u32>(0u));
}

// The same order with NaN folded in, for pooling's running maximum in fewer instructions: max_key is a
// signed key, -m for a negative value of magnitude bits m and m for a positive one (so -0 and +0 both
// map to 0, subnormals keep their order), and MAX_KEY_NAN, above every other key (+inf's is
// 0x7f800000), for every NaN. A kernel keeps `limit = min(max_key(best), MAX_KEY_LIMIT)` for its
// maximum and lets a tap replace it when `max_key(tap) > limit`. That is exactly "a NaN tap always
// replaces; otherwise the tap replaces a maximum that is not NaN when strictly greater": a NaN tap's
// key exceeds every limit; a maximum that is NaN has limit MAX_KEY_LIMIT, which no other key exceeds;
// between two non-NaN values the keys compare as order_key does.
const MAX_KEY_LIMIT: i32 = 0x7f800000i;
const MAX_KEY_NAN: u32 = 0x7f800001u;
// Below every key (-inf's is -0x7f800000): a maximum with this limit is replaced by any first tap.
const MAX_KEY_UNSET: i32 = -0x7fffffffi - 1i;

// NaN rules of max pooling (NanRule in src/options.ts), as a pooling kernel's NAN_RULE override gives
// them: PROPAGATE (PyTorch) a NaN always takes over the maximum; IGNORE (TensorFlow.js) a NaN never
// wins over a number, and a NaN maximum (only the first tap can be one) loses to any number; FIRST
// (TensorFlow's and ONNX Runtime's CPU kernels) a NaN wins only as the first tap, and then keeps it.
const NAN_PROPAGATE: u32 = 0u;
const NAN_IGNORE: u32 = 1u;
const NAN_FIRST: u32 = 2u;

// Whether a tap replaces the maximum under `rule`, given whether the tap is NaN, whether the maximum
// is NaN, and whether the tap is strictly greater (order_key, meaningful when neither is NaN).
fn tap_wins(rule: u32, nan: bool, best_nan: bool, greater: bool) -> bool {
  if (rule == NAN_IGNORE) {
    return !nan && (best_nan || greater);
  }
  if (rule == NAN_FIRST) {
    return !nan && !best_nan && greater;
  }
  return nan || (!best_nan && greater);
}

// The same rules on max_key comparisons, for the kernels that keep a limit (below): a NaN tap's key
// and the limit a NaN maximum keeps are chosen per rule, so one signed comparison `key > limit`
// decides. PROPAGATE: NaN above everything (MAX_KEY_NAN), its limit MAX_KEY_LIMIT, so a later NaN
// still wins (the last NaN, as PyTorch). IGNORE: NaN below every value's key (MAX_KEY_NAN_LOW, still
// above MAX_KEY_UNSET, so a NaN first tap is taken) and a NaN maximum keeps that low limit. FIRST:
// NaN taps low, a NaN maximum's limit above every key. max_key and its vector forms map NaN to
// MAX_KEY_NAN; rule_key4 and rule_limit4 turn that into the rule's key and limit.
const MAX_KEY_NAN_LOW: i32 = -0x7f800001i;

fn rule_key4(key: vec4<i32>, rule: u32) -> vec4<i32> {
  if (rule == NAN_PROPAGATE) {
    return key;
  }
  return select(key, vec4<i32>(MAX_KEY_NAN_LOW), key == vec4<i32>(i32(MAX_KEY_NAN)));
}

// The limit a maximum with max_key `key` keeps (see MAX_KEY_LIMIT above).
fn rule_limit4(key: vec4<i32>, rule: u32) -> vec4<i32> {
  if (rule == NAN_PROPAGATE) {
    return min(key, vec4<i32>(MAX_KEY_LIMIT));
  }
  let nan_limit = select(i32(MAX_KEY_NAN), MAX_KEY_NAN_LOW, rule == NAN_IGNORE);
  return select(key, vec4<i32>(nan_limit), key == vec4<i32>(i32(MAX_KEY_NAN)));
}

fn max_key(bits: u32) -> i32 {
  let m = i32(min(bits & 0x7fffffffu, MAX_KEY_NAN));
  // Negative and not NaN: bits in [0x80000000, 0xff800000].
  return select(m, -m, bits - 0x80000000u <= 0x7f800000u);
}

fn max_key4(bits: vec4<u32>) -> vec4<i32> {
  let m = vec4<i32>(min(bits & vec4<u32>(0x7fffffffu), vec4<u32>(MAX_KEY_NAN)));
  return select(m, -m, bits - vec4<u32>(0x80000000u) <= vec4<u32>(0x7f800000u));
}

// The first gradient that reaches an element, as the f32 sum 0.0 + g would give it: -0 becomes +0,
// every other value (subnormals included) keeps its bits. Kernels that sum gradients start from this
// instead of adding to 0.0, so an element with one contribution is exact even where the adder
// flushes subnormals.
fn first_sum_bits(bits: u32) -> u32 {
  return select(bits, 0u, bits == 0x80000000u);
}

fn first_sum_bits4(bits: vec4<u32>) -> vec4<u32> {
  return select(bits, vec4<u32>(0u), bits == vec4<u32>(0x80000000u));
}

// The same two rules on float16 bits (the low 16 bits of each lane), for the vector kernels on float16
// tensors (their 'stored' float accessors, src/programs/storage.ts), which move halves as they are and never widen
// them. max_key4_half orders halves as max_key4 orders their widened float32s (-m for a negative
// magnitude m, m for a positive one, MAX_KEY_NAN for every NaN), so MAX_KEY_LIMIT and MAX_KEY_UNSET
// apply unchanged; first_sum_bits4_half is the float32 sum 0.0 + g of a half g narrowed back: g,
// except -0, which gives +0.
fn max_key4_half(bits: vec4<u32>) -> vec4<i32> {
  let m = bits & vec4<u32>(0x7fffu);
  let key = vec4<i32>(select(m, vec4<u32>(MAX_KEY_NAN), m > vec4<u32>(0x7c00u)));
  // Negative and not NaN: bits in [0x8000, 0xfc00].
  return select(key, -key, bits - vec4<u32>(0x8000u) <= vec4<u32>(0x7c00u));
}

fn first_sum_bits4_half(bits: vec4<u32>) -> vec4<u32> {
  return select(bits, vec4<u32>(0u), bits == vec4<u32>(0x8000u));
}

// a * b = q * c + r with r < c, returned as (q, r), for a * b that does not fit 32 bits. Needs
// c < 2^31 and q < 2^32; the host refuses sizes beyond that. Binary long multiplication: each step
// doubles the partial product (q, r) and adds b's remainder when a's bit is set, reducing mod c.
fn mul_div(a: u32, b: u32, c: u32) -> vec2<u32> {
  var q = (b / c) * a;
  let rb = b % c;
  var hq = 0u;
  var r = 0u;
  for (var bit = 31i; bit >= 0i; bit--) {
    hq = hq * 2u;
    r = r * 2u;
    if (r >= c) {
      r -= c;
      hq += 1u;
    }
    if (((a >> u32(bit)) & 1u) != 0u) {
      r += rb;
      if (r >= c) {
        r -= c;
        hq += 1u;
      }
    }
  }
  return vec2<u32>(q + hq, r);
}

// f32 addition on bits, correctly rounded (IEEE round to nearest even) with subnormals kept, on an
// implementation that may flush subnormal operands and results to zero. When either operand is at
// least 2^-60 in magnitude (or inf/NaN), the adder's result is exact already: a subnormal operand is
// then below half an ulp of the other (so flushing it changes nothing) and the sum cannot be
// subnormal. Otherwise both operands are scaled by 2^64 without arithmetic on subnormals (exponent
// bits, or the integer significand), added as normal numbers (the sum is a multiple of 2^-85, so zero
// or normal), and scaled back, a subnormal result taken from its integer significand.
const TWO_POW_MINUS_60_BITS: u32 = 0x21800000u;

fn scaled_up(bits: u32) -> f32 {
  let magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x00800000u) {
    return bitcast<f32>(bits + (64u << 23u));
  }
  // m * 2^-149 * 2^64 = m * 2^-85 (2^-85 has exponent bits 42).
  let v = f32(magnitude) * bitcast<f32>(42u << 23u);
  return select(v, -v, (bits & 0x80000000u) != 0u);
}

fn scaled_down(bits: u32) -> u32 {
  let magnitude = bits & 0x7fffffffu;
  if (magnitude >= (65u << 23u)) {
    return bits - (64u << 23u);
  }
  // Below 2^-62: a subnormal (or zero) after scaling, whose significand s * 2^85 is an integer < 2^23.
  return (bits & 0x80000000u) | u32(bitcast<f32>(magnitude) * bitcast<f32>(212u << 23u));
}

fn add_exact(a: u32, b: u32) -> u32 {
  if (max(a & 0x7fffffffu, b & 0x7fffffffu) >= TWO_POW_MINUS_60_BITS) {
    return bitcast<u32>(bitcast<f32>(a) + bitcast<f32>(b));
  }
  return scaled_down(bitcast<u32>(scaled_up(a) + scaled_up(b)));
}

fn add_exact4(a: vec4<u32>, b: vec4<u32>) -> vec4<u32> {
  return vec4<u32>(add_exact(a.x, b.x), add_exact(a.y, b.y), add_exact(a.z, b.z), add_exact(a.w, b.w));
}
