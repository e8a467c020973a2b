// Shared addressing and window helpers, prepended by the host to every kernel that reads indices or walks a
// layout (see `withShared` in src/kernels.ts). No entry point of its own.
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
// of its own (n, c) plane ("in" is the pooled size, "out" the unpooled size).
fn unpool_target(u: UnpoolParams, t: u32, index: i32) -> i32 {
  let channels_last = u.channels_last != 0u;
  let out_volume = u.out_d * u.out_h * u.out_w;
  let e = element_at(t, u.channels, u.in_d * u.in_h * u.in_w, channels_last);
  let p = decode_index(index, e.n, e.c, u.index_stride_n, u.index_stride_c, u.index_stride_s, out_volume);
  if (p < 0) {
    return -1;
  }
  return i32(element_offset(Element(e.n, e.c, u32(p)), u.channels, out_volume, channels_last));
}
