// Max pooling with argmax indices, 1-D, 2-D and 3-D, one invocation per output element.
//
// Layout: input, values and indices are dense float32 / int32 arrays of shape [N, C, D, H, W]
//   (channels-first) or [N, D, H, W, C] (channels-last, `channels_last` = 1). Lower ranks run as 3-D
//   with leading spatial sizes of 1. Invocation t writes output element t in memory order, so writes
//   are contiguous in either layout.
// Windows: output o covers input o*stride - pad_begin + k*dilation, k in [0, kernel); positions outside
//   the input are padding and never win.
// Index convention: index = n*index_stride_n + c*index_stride_c + p*index_stride_s, where
//   p = (d*H + h)*W + w is the position in the input's spatial volume. The host picks the strides:
//   (0, 0, 1) is PyTorch's per-plane index, others are ONNX's and TensorFlow's flat indices.
// Ties: the window is walked depth, row, column; the maximum starts at the first in-bounds element and
//   only a strictly greater value replaces it, so the first maximum wins (PyTorch).
// NaN (NAN_RULE, see tap_wins in layout.wgsl): by default (PyTorch's CPU loop) any NaN replaces the
//   current maximum, a later NaN included, so a window holding a NaN outputs NaN and its index points
//   at the last NaN in window order; 'ignore' never lets a NaN win over a number; 'first' keeps a NaN
//   only as the first in-bounds tap. NaN is detected on the bit pattern because WGSL has no isNan and
//   `x != x` may be folded away.
// Comparison: "greater" is decided on order_key (layout.wgsl), an integer key of the bits, never on
//   float `>`: WGSL lets an implementation flush subnormals and ignore the sign of zero, which would
//   pick a different maximum than PyTorch. -0 and +0 have one key, so they tie and the first wins.
// All -inf: the first in-bounds element is never replaced, so its index is the result.
// Values are copied as bits (the input is read as u32), so NaN payloads and -0 survive exactly.
// Bindings, params and the input_load / values_store accessors: declared in src/programs/max_pool.ts,
// written by src/programs/storage.ts (float16 widened to float32 bits); include: layout.wgsl (Element,
// element_at, element_offset, encode_index, valid_taps, is_nan, order_key, tap_wins).

override WORKGROUP_SIZE: u32 = 64u;
// NaN rule (NAN_PROPAGATE, NAN_IGNORE or NAN_FIRST, layout.wgsl).
override NAN_RULE: u32 = 0u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = ((wid.z * groups.y + wid.y) * groups.x + wid.x) * WORKGROUP_SIZE + lid;
  if (t >= params.total) {
    return;
  }
  let out_volume = params.out_d * params.out_h * params.out_w;
  let in_volume = params.in_d * params.in_h * params.in_w;
  let channels_last = params.channels_last != 0u;
  let e = element_at(t, params.channels, out_volume, channels_last);
  let p = e.p;
  // Input offset of spatial position q in this (n, c) plane: in_base + q * in_step.
  let in_base = element_offset(Element(e.n, e.c, 0u), params.channels, in_volume, channels_last);
  let in_step = select(1u, params.channels, channels_last);
  let ow = p % params.out_w;
  let oh = (p / params.out_w) % params.out_h;
  let od = p / (params.out_w * params.out_h);

  let taps_d = valid_taps(od, params.stride_d, params.pad_d, params.dilation_d, params.kernel_d, params.in_d);
  let taps_h = valid_taps(oh, params.stride_h, params.pad_h, params.dilation_h, params.kernel_h, params.in_h);
  let taps_w = valid_taps(ow, params.stride_w, params.pad_w, params.dilation_w, params.kernel_w, params.in_w);
  let d0 = od * params.stride_d - params.pad_d;
  let h0 = oh * params.stride_h - params.pad_h;
  let w0 = ow * params.stride_w - params.pad_w;

  // Seed with the first in-bounds element; the host guarantees every window has one.
  var best_pos = ((d0 + taps_d.x * params.dilation_d) * params.in_h + h0 + taps_h.x * params.dilation_h) * params.in_w
      + w0 + taps_w.x * params.dilation_w;
  var best_bits = input_load(in_base + best_pos * in_step);
  var best_is_nan = is_nan(best_bits);
  var best_key = order_key(best_bits);
  for (var kd = taps_d.x; kd < taps_d.y; kd++) {
    let d = d0 + kd * params.dilation_d;
    for (var kh = taps_h.x; kh < taps_h.y; kh++) {
      let row = (d * params.in_h + h0 + kh * params.dilation_h) * params.in_w;
      for (var kw = taps_w.x; kw < taps_w.y; kw++) {
        let pos = row + w0 + kw * params.dilation_w;
        let bits = input_load(in_base + pos * in_step);
        let nan = is_nan(bits);
        let key = order_key(bits);
        if (tap_wins(NAN_RULE, nan, best_is_nan, key > best_key)) {
          best_bits = bits;
          best_key = key;
          best_pos = pos;
          best_is_nan = nan;
        }
      }
    }
  }
  values_store(t, best_bits);
  indices[t] = encode_index(Element(e.n, e.c, best_pos), params.index_stride_n, params.index_stride_c, params.index_stride_s);
}
