// Max pooling with argmax indices for 2-D channels-first inputs with overlapping windows that are 3
// wide with stride 2, dilation 1 and padding 1 along the width (the 3x3/2 stem of ResNet), and any
// kernel height, stride, padding and dilation along the height, ceil mode included; the input width a
// multiple of 4. Each invocation computes four adjacent outputs (vec4 lanes) in each of ROWS
// consecutive output rows. Per row of taps it loads the 12 columns the four windows span as three
// vec4s and forms each tap column's four lanes with shuffles, instead of one bounds-checked scalar
// load per tap and output; the divisions of the addressing happen once per invocation. (On
// SwiftShader, which runs invocations on CPU cores, loads and per-invocation setup dominate.)
//
// Grid: x = group of four output columns, y = group of ROWS output rows, z = plane (n*C + c).
// Layout: input [N, C, H, W] and outputs [N, C, out_h, out_w], dense (params.in_d = out_d = 1).
//   Output element (plane*out_h + oh)*out_w + ow; lane j of the vectors is output ow + j. Rows start
//   on whole vec4s because the width is a multiple of 4.
// Windows: output (oh, ow) covers input (oh*stride_h - pad_h + kh*dilation_h, 2*ow - 1 + kw), kh <
//   KERNEL_H, kw < 3; positions outside the input are padding and never win (they are masked out,
//   never compared).
// Index convention: index = n*index_stride_n + c*index_stride_c + p*index_stride_s with p = h*W + w, as
//   max_pool.wgsl ('spatial', 'flat', 'flat-no-batch'; 'window' taps are packed afterwards from
//   spatial indices by window_indices_pack.wgsl).
// Ties, NaN, -inf, bit copies: exactly as max_pool.wgsl, whose results this kernel must reproduce bit
//   for bit. The window is walked row by row, column by column; the maximum is seeded with the first
//   in-bounds tap; each later in-bounds tap replaces it when it is strictly greater, NaN taking its
//   place per NAN_RULE: one signed comparison of max_key4 with the kept limit (layout.wgsl's rule_key4
//   and rule_limit4), which orders values as order_key4 does, so the first maximum wins and -0 ties
//   +0. Values are copied as bits.
// float16 tensors: the same code on float16 bits, one half per u32 lane (the 'stored' float accessors
//   of src/programs/storage.ts): keys by max_key4_half, which orders halves
//   as max_key4 orders their widened values; values are stored two lanes to a word, so the host takes
//   this kernel for float16 only where the output width is even (no word spans two rows).
// Bindings, params and float accessors: declared in src/programs/max_pool_overlap_tiled.ts, written by
// src/programs/storage.ts; include: layout.wgsl (Element, encode_index, max_key4, rule_key4, rule_limit4).

override WORKGROUP_X: u32 = 64u;
override WORKGROUP_Y: u32 = 1u;
// NaN rule (NAN_PROPAGATE, NAN_IGNORE or NAN_FIRST, layout.wgsl): the keys and limits of `take`.
override NAN_RULE: u32 = 0u;
// The kernel height, fixed per pipeline so the loop over window rows has a static bound (the width
// is 3).
override KERNEL_H: u32 = 3u;
// Output rows per invocation.
override ROWS: u32 = 16u;

struct Best {
  bits: vec4<u32>,
  pos: vec4<u32>,
  // rule_limit4(max_key4(bits), NAN_RULE) (layout.wgsl); MAX_KEY_UNSET until the first in-bounds tap.
  limit: vec4<i32>,
}

// Lane by lane: an in-bounds tap `bits` at `pos` replaces the maximum when none is seeded yet (the
// window's first in-bounds tap: every key exceeds MAX_KEY_UNSET), or when its key under NAN_RULE
// exceeds the kept limit (by default: when it is NaN, or when the maximum is not NaN and the tap is
// strictly greater); one signed comparison of max_key4 with the kept limit.
fn take(best: Best, bits: vec4<u32>, pos: vec4<u32>, inside: vec4<bool>) -> Best {
  let raw = stored_key4(bits);
  let key = rule_key4(raw, NAN_RULE);
  let wins = inside & (key > best.limit);
  return Best(select(best.bits, bits, wins), select(best.pos, pos, wins),
      select(best.limit, rule_limit4(raw, NAN_RULE), wins));
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ow = gid.x * 4u;
  if (ow >= params.out_w) {
    return;
  }
  let plane = gid.z;
  let in_w = i32(params.in_w);
  let in_plane = plane * params.in_h * params.in_w;
  let base_index = encode_index(Element(plane / params.channels, plane % params.channels, 0u),
      params.index_stride_n, params.index_stride_c, params.index_stride_s);
  let live = vec4<u32>(ow) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(params.out_w);
  // Input column of each lane's first tap, 8g - 1 + 2j (g = gid.x): -1 is padding.
  let col0 = vec4<i32>(i32(8u * gid.x)) + vec4<i32>(-1, 1, 3, 5);
  let inside0 = (col0 >= vec4<i32>(0)) & (col0 < vec4<i32>(in_w));
  let inside1 = col0 + vec4<i32>(1) < vec4<i32>(in_w);
  let inside2 = col0 + vec4<i32>(2) < vec4<i32>(in_w);
  let first_row = gid.y * ROWS;
  let rows = min(ROWS, params.out_h - min(first_row, params.out_h));
  for (var r = 0u; r < rows; r++) {
    let oh = first_row + r;
    let h0 = i32(oh * params.stride_h) - i32(params.pad_h);
    var best = Best(vec4<u32>(0u), vec4<u32>(0u), vec4<i32>(MAX_KEY_UNSET));
    for (var kh = 0u; kh < KERNEL_H; kh++) {
      let h = h0 + i32(kh * params.dilation_h);
      if (h < 0 || h >= i32(params.in_h)) {
        continue;
      }
      let row = u32(h) * params.in_w;
      // The row's columns 8g - 4 .. 8g + 7 as three vec4s: `prev` lies before the row when g = 0
      // (only its last column is used, and that is padding), `b` may lie past its end (masked).
      let at = (in_plane + row) / 4u + 2u * gid.x;
      let prev = input_load4(max(at, 1u) - 1u);
      let a = input_load4(at);
      let b = input_load4(at + 1u);
      let pos = vec4<u32>(row) + bitcast<vec4<u32>>(col0);
      best = take(best, vec4<u32>(prev.w, a.y, a.w, b.y), pos, inside0);
      best = take(best, vec4<u32>(a.x, a.z, b.x, b.z), pos + vec4<u32>(1u), inside1);
      best = take(best, vec4<u32>(a.y, a.w, b.y, b.w), pos + vec4<u32>(2u), inside2);
    }
    let out_index = (plane * params.out_h + oh) * params.out_w + ow;
    let index = vec4<i32>(base_index) + vec4<i32>(best.pos) * i32(params.index_stride_s);
    values_store_lanes(out_index, best.bits, live);
    indices[out_index] = index.x;
    if (live.y) {
      indices[out_index + 1u] = index.y;
    }
    if (live.z) {
      indices[out_index + 2u] = index.z;
    }
    if (live.w) {
      indices[out_index + 3u] = index.w;
    }
  }
}
