// Max pooling with argmax indices when the windows tile the input exactly: channels-first, stride
// equal to the kernel, no padding, no dilation, every input size a multiple of its kernel size and
// the output width a multiple of 4. Each invocation computes four adjacent outputs in each of ROWS
// consecutive output rows from whole vec4 loads: per output a few vector instructions, and the
// divisions of the addressing once per invocation. (On SwiftShader, which runs invocations on CPU
// cores, the fixed cost per invocation dominates a kernel this light, hence the rows.)
//
// Grid: x = group of four output columns, y = group of ROWS output rows, z = plane * out_d + depth;
//   with COLUMNS, x = run of ROWS groups of four output columns, y = output row.
// Layout: [N, C, D, H, W] dense, lower ranks as 3-D with leading sizes of 1. Output element
//   ((plane*out_d + od)*out_h + oh)*out_w + ow.
// Index convention, ties, NaN, -inf, bit copies: exactly as max_pool.wgsl, whose results this kernel
//   must reproduce bit for bit (lane j of the vectors is output ow + j). The maximum is seeded with
//   the window's first tap (a limit below every key); each later tap in window order (depth, row,
//   column) replaces it when it is strictly greater, NaN taking its place per NAN_RULE: one signed
//   comparison of max_key4 against the kept limit (layout.wgsl's rule_key4 and rule_limit4), which
//   orders values as order_key4 does (-0 ties +0, subnormals ordered, never a float comparison).
// float16 tensors: the same code on float16 bits, one half per u32 lane (the 'stored' float accessors
//   of src/programs/storage.ts): keys by max_key4_half, which orders halves
//   as max_key4 orders their widened values, so results equal the float32 path's narrowed back.
// Bindings, params and float accessors: declared in src/programs/max_pool_tiled.ts, written by
// src/programs/storage.ts; include: layout.wgsl (encode_index, max_key4, rule_key4, rule_limit4).

override WORKGROUP_X: u32 = 64u;
override WORKGROUP_Y: u32 = 1u;
// NaN rule (NAN_PROPAGATE, NAN_IGNORE or NAN_FIRST, layout.wgsl): the keys and limits of `take`.
override NAN_RULE: u32 = 0u;
// The kernel, fixed per pipeline so loops and lane shuffles are static: width 1, 2 or 4, any height
// and depth.
override KERNEL_W: u32 = 2u;
override KERNEL_H: u32 = 2u;
override KERNEL_D: u32 = 1u;
// Output rows per invocation, or with COLUMNS groups of four output columns along one row (for 1-D
// and other single-row outputs, where rows would leave one group per invocation).
override ROWS: u32 = 16u;
override COLUMNS: bool = false;

struct Best {
  bits: vec4<u32>,
  pos: vec4<u32>,
  // rule_limit4(max_key4(bits), NAN_RULE) (layout.wgsl): a tap wins when its rule_key4 is greater.
  limit: vec4<i32>,
}

// Lane by lane: tap `bits` at `pos` replaces the maximum when its key under NAN_RULE exceeds the kept
// limit (by default: when it is NaN, or when the maximum is not NaN and the tap is strictly greater).
fn take(best: Best, bits: vec4<u32>, pos: vec4<u32>) -> Best {
  let raw = stored_key4(bits);
  let key = rule_key4(raw, NAN_RULE);
  let wins = key > best.limit;
  return Best(select(best.bits, bits, wins), select(best.pos, pos, wins),
      select(best.limit, rule_limit4(raw, NAN_RULE), wins));
}

// All taps of one input row for the four windows, in column order; `at` is the row segment's first
// vec4, `pos` the spatial positions of the four windows' first columns. Written out per kernel
// width: SwiftShader keeps local arrays in memory, which costs more than the whole comparison.
fn take_row(best: Best, at: u32, pos: vec4<u32>) -> Best {
  if (KERNEL_W == 1u) {
    return take(best, input_load4(at), pos);
  }
  if (KERNEL_W == 2u) {
    let a = input_load4(at);
    let b = input_load4(at + 1u);
    let t0 = take(best, vec4<u32>(a.x, a.z, b.x, b.z), pos);
    return take(t0, vec4<u32>(a.y, a.w, b.y, b.w), pos + vec4<u32>(1u));
  }
  let a = input_load4(at);
  let b = input_load4(at + 1u);
  let c = input_load4(at + 2u);
  let d = input_load4(at + 3u);
  let t0 = take(best, vec4<u32>(a.x, b.x, c.x, d.x), pos);
  let t1 = take(t0, vec4<u32>(a.y, b.y, c.y, d.y), pos + vec4<u32>(1u));
  let t2 = take(t1, vec4<u32>(a.z, b.z, c.z, d.z), pos + vec4<u32>(2u));
  return take(t2, vec4<u32>(a.w, b.w, c.w, d.w), pos + vec4<u32>(3u));
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  // Rows (or, with COLUMNS, groups of four columns along one row) this invocation computes.
  var ow0 = gid.x * 4u;
  var first_row = gid.y * ROWS;
  var count = min(ROWS, params.out_h - min(first_row, params.out_h));
  if (COLUMNS) {
    ow0 = gid.x * ROWS * 4u;
    first_row = gid.y;
    count = select(0u, min(ROWS, (params.out_w - min(ow0, params.out_w)) / 4u), first_row < params.out_h);
  }
  if (ow0 >= params.out_w) {
    return;
  }
  let plane = gid.z / params.out_d;
  let od = gid.z % params.out_d;
  let in_plane = plane * params.in_d * params.in_h * params.in_w;
  let base_index = encode_index(Element(plane / params.channels, plane % params.channels, 0u),
      params.index_stride_n, params.index_stride_c, params.index_stride_s);
  for (var r = 0u; r < count; r++) {
    let oh = select(first_row + r, first_row, COLUMNS);
    let ow = select(ow0, ow0 + 4u * r, COLUMNS);
    let lanes = vec4<u32>(0u, 1u, 2u, 3u) * KERNEL_W + vec4<u32>(ow * KERNEL_W);
    let top = (od * KERNEL_D * params.in_h + oh * KERNEL_H) * params.in_w;
    // A limit below every key: the window's first tap takes it.
    var best = Best(vec4<u32>(0u), vec4<u32>(0u), vec4<i32>(MAX_KEY_UNSET));
    for (var k = 0u; k < KERNEL_D * KERNEL_H; k++) {
      let row = top + ((k / KERNEL_H) * params.in_h + k % KERNEL_H) * params.in_w;
      best = take_row(best, (in_plane + row + ow * KERNEL_W) / 4u, vec4<u32>(row) + lanes);
    }
    let out_index = (((plane * params.out_d + od) * params.out_h + oh) * params.out_w + ow) / 4u;
    values_store4(out_index, best.bits);
    indices[out_index] = vec4<i32>(base_index) + vec4<i32>(best.pos) * i32(params.index_stride_s);
  }
}
