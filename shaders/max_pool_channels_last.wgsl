// Max pooling with argmax indices for channels-last tensors whose channel count is a multiple of 4:
// each invocation computes one output position (COLUMNS consecutive ones along the row) for four
// adjacent channels, which sit next to each other in memory, so every tap is one vec4 load and the
// outputs are vec4 stores. Any window geometry (padding, dilation, ceil mode, overlapping windows)
// works, since the lanes share it; windows that tile the input take the TILES form.
//
// Grid: x = group of four channels, y = output column (group of COLUMNS columns), z = (n*out_d + od)*out_h + oh.
// Layout: [N, D, H, W, C] dense, lower ranks as 3-D with leading sizes of 1.
// Index convention, ties, NaN, -inf, bit copies: exactly as max_pool.wgsl, whose results this kernel
//   must reproduce bit for bit (lane j is channel 4*x + j). A lane takes a tap when it is strictly
//   greater, NaN taking its place per NAN_RULE: one signed comparison of max_key4 with the kept limit
//   (layout.wgsl's rule_key4 and rule_limit4), which orders values as order_key4 does (-0 ties +0,
//   subnormals ordered, no float comparison); the first in-bounds tap seeds it.
// float16 tensors: the same code on float16 bits, one half per u32 lane (the 'stored' float accessors
//   of src/programs/storage.ts): keys by max_key4_half, which orders halves
//   as max_key4 orders their widened values, so results equal the float32 path's narrowed back.
// Bindings, params and float accessors: declared in src/programs/max_pool_channels_last.ts, written by
// src/programs/storage.ts; include: layout.wgsl (encode_index, valid_taps, max_key4, rule_key4, rule_limit4).

override WORKGROUP_X: u32 = 8u;
override WORKGROUP_Y: u32 = 8u;
// NaN rule (NAN_PROPAGATE, NAN_IGNORE or NAN_FIRST, layout.wgsl): the keys and limits of `take`.
override NAN_RULE: u32 = 0u;
// The window's size, fixed per pipeline.
override KERNEL_W: u32 = 2u;
override KERNEL_H: u32 = 2u;
override KERNEL_D: u32 = 1u;
// TILES: the windows tile the input (stride = kernel, no padding or dilation, each input size its
// output size times the kernel): every tap is in bounds, so the taps are one loop of static length
// with no bounds (on SwiftShader the per-invocation tap bounds and dynamic loops cost more than the
// loads).
override TILES: bool = false;
// Output columns per invocation (consecutive along the row), to spread the per-invocation setup.
override COLUMNS: u32 = 1u;

struct Best {
  bits: vec4<u32>,
  pos: vec4<u32>,
  // rule_limit4(stored_key4(bits), NAN_RULE), below every key (MAX_KEY_UNSET) until the first in-bounds tap.
  limit: vec4<i32>,
}

fn take(best: Best, bits: vec4<u32>, pos: u32) -> Best {
  let raw = stored_key4(bits);
  let key = rule_key4(raw, NAN_RULE);
  let wins = key > best.limit;
  return Best(select(best.bits, bits, wins), select(best.pos, vec4<u32>(pos), wins),
      select(best.limit, rule_limit4(raw, NAN_RULE), wins));
}

// The maximum of the window of output (od, oh, ow) for the four channels at plane_base.
fn window_max(plane_base: u32, groups: u32, od: u32, oh: u32, ow: u32) -> Best {
  let d0 = od * params.stride_d - params.pad_d;
  let h0 = oh * params.stride_h - params.pad_h;
  let w0 = ow * params.stride_w - params.pad_w;
  var best = Best(vec4<u32>(0u), vec4<u32>(0u), vec4<i32>(MAX_KEY_UNSET));
  if (TILES) {
    for (var k = 0u; k < KERNEL_D * KERNEL_H * KERNEL_W; k++) {
      let pos = ((d0 + k / (KERNEL_W * KERNEL_H)) * params.in_h + h0 + (k / KERNEL_W) % KERNEL_H) * params.in_w + w0 + k % KERNEL_W;
      best = take(best, input_load4(plane_base + pos * groups), pos);
    }
    return best;
  }
  let taps_d = valid_taps(od, params.stride_d, params.pad_d, params.dilation_d, KERNEL_D, params.in_d);
  let taps_h = valid_taps(oh, params.stride_h, params.pad_h, params.dilation_h, KERNEL_H, params.in_h);
  let taps_w = valid_taps(ow, params.stride_w, params.pad_w, params.dilation_w, KERNEL_W, params.in_w);
  for (var kd = taps_d.x; kd < taps_d.y; kd++) {
    let d = d0 + kd * params.dilation_d;
    for (var kh = taps_h.x; kh < taps_h.y; kh++) {
      let row = (d * params.in_h + h0 + kh * params.dilation_h) * params.in_w;
      for (var kw = taps_w.x; kw < taps_w.y; kw++) {
        let pos = row + w0 + kw * params.dilation_w;
        best = take(best, input_load4(plane_base + pos * groups), pos);
      }
    }
  }
  return best;
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let groups = params.channels / 4u;
  let c4 = gid.x;
  let ow0 = gid.y * COLUMNS;
  if (c4 >= groups || ow0 >= params.out_w) {
    return;
  }
  let oh = gid.z % params.out_h;
  let od = (gid.z / params.out_h) % params.out_d;
  let n = gid.z / (params.out_h * params.out_d);
  let plane_base = n * params.in_d * params.in_h * params.in_w * groups + c4;
  // Index of spatial position q for the four channels: base + q * index_stride_s.
  let base = vec4<i32>(encode_index(Element(n, c4 * 4u, 0u), params.index_stride_n, params.index_stride_c, params.index_stride_s))
      + vec4<i32>(0, 1, 2, 3) * i32(params.index_stride_c);
  let row = (n * params.out_d + od) * params.out_h + oh;
  let count = min(COLUMNS, params.out_w - ow0);
  for (var j = 0u; j < count; j++) {
    let ow = ow0 + j;
    let best = window_max(plane_base, groups, od, oh, ow);
    let out_index = (row * params.out_w + ow) * groups + c4;
    values_store4(out_index, best.bits);
    indices[out_index] = base + vec4<i32>(best.pos) * i32(params.index_stride_s);
  }
}
