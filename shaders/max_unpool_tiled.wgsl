// Unpooling, or the pooling gradient, for indices that max_pool_tiled.wgsl's kind of pooling produced:
// windows that tile the pooling input exactly (see that file), each index inside its own window.
// Every output element then lies in exactly one window, so each invocation writes the whole blocks of
// four adjacent windows in each of ROWS pooled rows, once, with vec4 stores: no zero-fill pass, no
// atomics.
//
// Grid, layout, params and the KERNEL_* and ROWS constants: as max_pool_tiled.wgsl, with "in" the
//   unpooled (pooling input) size and "out" the pooled size. `values` are the pooled values (or output
//   gradients), `output` the unpooled tensor (or input gradient).
// Element q of window k holds values[k] when indices[k] names q, else +0.0. With GRADIENT, the
//   element is the f32 sum 0.0 + values[k], so -0.0 becomes +0.0, as in a scatter-add from zero.
// float16 tensors: the same code on float16 bits, one half per u32 lane, whole words stored (the
//   'stored' float accessors of src/programs/storage.ts); the first sum is first_sum_bits4_half.
// Values are copied as bits otherwise. Bindings, params and float accessors:
//   src/programs/max_unpool_tiled.ts; include: layout.wgsl (for encode_index).
// WINDOW_TAPS: the indices are 'window' taps (one byte each, four to a 32-bit word, least significant
//   byte first; the host sizes the buffer to whole vec4s): the four windows' taps are one word, and
//   element (k, kw) of a window is named by tap k*KERNEL_W + kw.

override WORKGROUP_X: u32 = 64u;
override WORKGROUP_Y: u32 = 1u;
override KERNEL_W: u32 = 2u;
override KERNEL_H: u32 = 2u;
override KERNEL_D: u32 = 1u;
override ROWS: u32 = 16u;
override GRADIENT: bool = false;
override WINDOW_TAPS: bool = false;

// One row of the four windows' blocks: element kw of window j is bits[j] where chosen[j] == want[j] + kw*step.
fn write_row(at: u32, bits: vec4<u32>, chosen: vec4<i32>, want: vec4<i32>, step: i32) {
  let zero = vec4<u32>(0u);
  let t0 = select(zero, bits, chosen == want);
  if (KERNEL_W == 1u) {
    output_store4(at, t0);
    return;
  }
  let t1 = select(zero, bits, chosen == want + vec4<i32>(step));
  if (KERNEL_W == 2u) {
    output_store4(at, vec4<u32>(t0.x, t1.x, t0.y, t1.y));
    output_store4(at + 1u, vec4<u32>(t0.z, t1.z, t0.w, t1.w));
    return;
  }
  let t2 = select(zero, bits, chosen == want + vec4<i32>(2 * step));
  let t3 = select(zero, bits, chosen == want + vec4<i32>(3 * step));
  output_store4(at, vec4<u32>(t0.x, t1.x, t2.x, t3.x));
  output_store4(at + 1u, vec4<u32>(t0.y, t1.y, t2.y, t3.y));
  output_store4(at + 2u, vec4<u32>(t0.z, t1.z, t2.z, t3.z));
  output_store4(at + 3u, vec4<u32>(t0.w, t1.w, t2.w, t3.w));
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ow = gid.x * 4u;
  if (ow >= params.out_w) {
    return;
  }
  let plane = gid.z / params.out_d;
  let od = gid.z % params.out_d;
  let in_plane = plane * params.in_d * params.in_h * params.in_w;
  // Index of spatial position q is base + q * index_stride_s (layout.wgsl's encoding).
  let base = encode_index(Element(plane / params.channels, plane % params.channels, 0u),
      params.index_stride_n, params.index_stride_c, params.index_stride_s);
  let step = i32(params.index_stride_s);
  let lanes = vec4<u32>(0u, 1u, 2u, 3u) * KERNEL_W + vec4<u32>(ow * KERNEL_W);
  let first_row = gid.y * ROWS;
  let rows = min(ROWS, params.out_h - min(first_row, params.out_h));
  for (var r = 0u; r < rows; r++) {
    let oh = first_row + r;
    let pooled = (((plane * params.out_d + od) * params.out_h + oh) * params.out_w + ow) / 4u;
    var bits = values_load4(pooled);
    if (GRADIENT) {
      bits = stored_first_sum4(bits);
    }
    var chosen: vec4<i32>;
    if (WINDOW_TAPS) {
      let word = bitcast<u32>(indices[pooled / 4u][pooled % 4u]);
      chosen = vec4<i32>((vec4<u32>(word) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu));
    } else {
      chosen = indices[pooled];
    }
    let top = (od * KERNEL_D * params.in_h + oh * KERNEL_H) * params.in_w;
    for (var k = 0u; k < KERNEL_D * KERNEL_H; k++) {
      let row = top + ((k / KERNEL_H) * params.in_h + k % KERNEL_H) * params.in_w;
      if (WINDOW_TAPS) {
        write_row((in_plane + row + ow * KERNEL_W) / 4u, bits, chosen, vec4<i32>(i32(k * KERNEL_W)), 1);
      } else {
        let want = vec4<i32>(base) + vec4<i32>(vec4<u32>(row) + lanes) * step;
        write_row((in_plane + row + ow * KERNEL_W) / 4u, bits, chosen, want, step);
      }
    }
  }
}
