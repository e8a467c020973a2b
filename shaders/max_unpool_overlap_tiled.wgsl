// Unpooling for indices that max_pool_overlap_tiled.wgsl's most common pooling produced: 2-D
// channels-first, 3x3 windows with stride 2, padding 1 at the start and dilation 1 in both
// dimensions (the ResNet stem), the input width a multiple of 4, each index inside its own window.
// Windows overlap, so up to four of them hold an element; the last of them in memory order whose
// index names it gives its value, as in window_scatter.wgsl. Each invocation gathers four adjacent
// elements of ROWS input rows from the few windows that hold them and writes each row's four with
// one vec4 store: no clear, no atomics, no scattered stores.
//
// Grid: x = group of four input columns, y = group of ROWS input rows, z = plane (n*C + c).
// Layout: params as for the pooling ("in" the unpooled size, "out" the pooled size), dense
//   channels-first tensors; element (plane*in_h + y)*in_w + x.
// Windows: pooled (oh, ow) covers input rows 2*oh - 1 .. 2*oh + 1 and columns 2*ow - 1 .. 2*ow + 1.
//   An even row y lies in window row y/2 only (tap row 1); an odd one in (y-1)/2 (tap row 2) and then
//   (y+1)/2 (tap row 0), where that exists. Of the four columns 4g .. 4g+3: 4g lies in window column
//   2g (tap column 1); 4g+1 in 2g (tap 2) then 2g+1 (tap 0); 4g+2 in 2g+1 (tap 1); 4g+3 in 2g+1 (tap 2)
//   then 2g+2 (tap 0), where that exists. Candidates are taken in memory order, a later match
//   replacing an earlier one; an element no index names is +0.0. Values are copied as bits.
// Index convention: as max_pool.wgsl ('spatial', 'flat', 'flat-no-batch'). WINDOW_TAPS: the indices
//   are 'window' taps (one byte each, four to a 32-bit word, least significant byte first): the
//   element's tap in a window is (tap row)*3 + (tap column).
// float16 tensors: the same code on float16 bits, one half per u32 lane, whole words stored (the
//   'stored' float accessors of src/programs/storage.ts).
// Bindings, params and float accessors: src/programs/max_unpool_overlap_tiled.ts; include: layout.wgsl.

override WORKGROUP_X: u32 = 64u;
override WORKGROUP_Y: u32 = 1u;
override ROWS: u32 = 16u;
override WINDOW_TAPS: bool = false;

// What pooled element k says about the elements it may name: its index, or with WINDOW_TAPS its tap.
fn named(k: u32) -> i32 {
  if (WINDOW_TAPS) {
    return i32((bitcast<u32>(indices[k / 4u]) >> (8u * (k % 4u))) & 0xffu);
  }
  return indices[k];
}

// The four elements after the windows of pooled row `oh`, whose tap row is `kh`: `result` where no
// window of the row names them. `want` is what names each element: its index, or its tap column
// with WINDOW_TAPS (the row's part, kh*3, is added here). `last` says whether window column 2g+2
// exists.
fn row_windows(result: vec4<u32>, row: u32, g: u32, kh: u32, want: vec4<i32>, last: bool) -> vec4<u32> {
  let k0 = row + 2u * g;
  let k2 = select(k0 + 1u, k0 + 2u, last);
  let n0 = named(k0);
  let n1 = named(k0 + 1u);
  let n2 = named(k2);
  let v0 = values_load(k0);
  let v1 = values_load(k0 + 1u);
  let v2 = values_load(k2);
  var early = vec4<i32>(n0, n0, n1, n1);
  var late = vec4<i32>(n0, n1, n1, n2);
  if (WINDOW_TAPS) {
    // Each window's tap of the element: early windows hold columns 4g .. 4g+3 at taps 1, 2, 1, 2,
    // late ones 4g+1 and 4g+3 at tap 0.
    early = early - vec4<i32>(i32(kh * 3u)) - vec4<i32>(1, 2, 1, 2);
    late = late - vec4<i32>(i32(kh * 3u));
  }
  let late_exists = vec4<bool>(false, true, false, last);
  let merged = select(result, vec4<u32>(v0, v0, v1, v1), early == want);
  return select(merged, vec4<u32>(v0, v1, v1, v2), late_exists & (late == want));
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = gid.x;
  if (4u * g >= params.in_w) {
    return;
  }
  let plane = gid.z;
  let base = encode_index(Element(plane / params.channels, plane % params.channels, 0u),
      params.index_stride_n, params.index_stride_c, params.index_stride_s);
  let step = i32(params.index_stride_s);
  let last = 2u * g + 2u < params.out_w;
  let pooled_plane = plane * params.out_h;
  let first_row = gid.y * ROWS;
  let rows = min(ROWS, params.in_h - min(first_row, params.in_h));
  for (var r = 0u; r < rows; r++) {
    let y = first_row + r;
    // With WINDOW_TAPS each window's tap is compared after subtracting the element's own (see
    // row_windows), so every lane wants 0; else the element's index.
    var want = vec4<i32>(0);
    if (!WINDOW_TAPS) {
      want = vec4<i32>(base) + (vec4<i32>(i32(y * params.in_w + 4u * g)) + vec4<i32>(0, 1, 2, 3)) * step;
    }
    var result = vec4<u32>(0u);
    if (y % 2u == 0u) {
      result = row_windows(result, (pooled_plane + y / 2u) * params.out_w, g, 1u, want, last);
    } else {
      result = row_windows(result, (pooled_plane + (y - 1u) / 2u) * params.out_w, g, 2u, want, last);
      if ((y + 1u) / 2u < params.out_h) {
        result = row_windows(result, (pooled_plane + (y + 1u) / 2u) * params.out_w, g, 0u, want, last);
      }
    }
    output_store4(((plane * params.in_h + y) * params.in_w) / 4u + g, result);
  }
}
