// Unpooling, or the pooling gradient, for channels-last indices that a pooling whose windows tile the
// input produced: stride equal to the kernel, no padding, no dilation, every input size its output
// size times the kernel, each index inside its own window; the channel count a multiple of 4. Every
// element of the result then lies in exactly one window, so each invocation takes one pooled
// position for four adjacent channels (one vec4 of values, one of indices) and writes its whole
// window, four channels per vec4 store, once: no zero-fill pass, no atomics, no search.
//
// Grid: x = group of four channels, y = pooled column, z = (n*out_d + od)*out_h + oh.
// Layout: [N, D, H, W, C] dense, lower ranks as 3-D with leading sizes of 1; "in" is the unpooled
//   (pooling input) size, "out" the pooled size. `values` are the pooled values (or output
//   gradients), `output` the unpooled tensor (or input gradient). Lane j is channel 4*x + j.
// Element q of window k holds values[k] when indices[k] names q, else +0.0. With GRADIENT, the
//   element is the f32 sum 0.0 + values[k] (stored_first_sum4), so -0.0 becomes +0.0, as in a
//   scatter-add from zero. Values are copied as bits otherwise.
// Index convention: index = n*index_stride_n + c*index_stride_c + p*index_stride_s, p the spatial
//   position in the plane (layout.wgsl's encode_index; 'spatial', 'flat', 'flat-no-batch').
// WINDOW_TAPS: the indices are 'window' taps (one byte each, four to a 32-bit word, least
//   significant byte first; the host sizes the buffer to whole vec4s): the four channels' taps are
//   one word, and element (kd, kh, kw) of a window is named by tap (kd*KERNEL_H + kh)*KERNEL_W + kw.
// float16 tensors: the same code on float16 bits, one half per u32 lane, whole words stored (the
//   'stored' float accessors of src/programs/storage.ts).
// Bindings, params and float accessors: src/programs/max_unpool_channels_last.ts; include: layout.wgsl.

override WORKGROUP_X: u32 = 8u;
override WORKGROUP_Y: u32 = 8u;
override KERNEL_W: u32 = 2u;
override KERNEL_H: u32 = 2u;
override KERNEL_D: u32 = 1u;
override GRADIENT: bool = false;
override WINDOW_TAPS: bool = false;

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let groups = params.channels / 4u;
  let c4 = gid.x;
  let ow = gid.y;
  if (c4 >= groups || ow >= params.out_w) {
    return;
  }
  let oh = gid.z % params.out_h;
  let od = (gid.z / params.out_h) % params.out_d;
  let n = gid.z / (params.out_h * params.out_d);
  let pooled = (((n * params.out_d + od) * params.out_h + oh) * params.out_w + ow) * groups + c4;
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
  // Index of spatial position q for the four channels: base + q * index_stride_s.
  let c = c4 * 4u;
  let base = vec4<i32>(
    encode_index(Element(n, c, 0u), params.index_stride_n, params.index_stride_c, params.index_stride_s),
    encode_index(Element(n, c + 1u, 0u), params.index_stride_n, params.index_stride_c, params.index_stride_s),
    encode_index(Element(n, c + 2u, 0u), params.index_stride_n, params.index_stride_c, params.index_stride_s),
    encode_index(Element(n, c + 3u, 0u), params.index_stride_n, params.index_stride_c, params.index_stride_s));
  let step = i32(params.index_stride_s);
  let plane = n * params.in_d * params.in_h * params.in_w;
  let zero = vec4<u32>(0u);
  for (var k = 0u; k < KERNEL_D * KERNEL_H * KERNEL_W; k++) {
    let kw = k % KERNEL_W;
    let kh = (k / KERNEL_W) % KERNEL_H;
    let kd = k / (KERNEL_W * KERNEL_H);
    let q = ((od * KERNEL_D + kd) * params.in_h + oh * KERNEL_H + kh) * params.in_w + ow * KERNEL_W + kw;
    var want: vec4<i32>;
    if (WINDOW_TAPS) {
      want = vec4<i32>(i32(k));
    } else {
      want = base + vec4<i32>(i32(q) * step);
    }
    output_store4((plane + q) * groups + c4, select(zero, bits, chosen == want));
  }
}
