// Unpooling, or the pooling gradient, for indices that max_pool_tiled.wgsl's kind of pooling produced:
// windows that tile the pooling input exactly (see that file), each index inside its own window.
// Every output element then lies in exactly one window, so each invocation writes the whole blocks of
// four adjacent windows, once, with vec4 stores: no zero-fill pass, no atomics.
//
// Grid, layout and PoolParams: as max_pool_tiled.wgsl, with "in" the unpooled (pooling input) size
//   and "out" the pooled size. `values` are the pooled values (or output gradients), `output` the
//   unpooled tensor (or input gradient).
// Element q of window k holds values[k] when indices[k] names q, else +0.0. With GRADIENT, the
//   element is the f32 sum 0.0 + values[k], so -0.0 becomes +0.0, as in a scatter-add from zero.
// Values are copied as bits otherwise. Prepended by the host: layout.wgsl (for encode_index).

struct PoolParams {
  total: u32,
  channels: u32,
  channels_last: u32,
  in_d: u32,
  in_h: u32,
  in_w: u32,
  out_d: u32,
  out_h: u32,
  out_w: u32,
  kernel_d: u32,
  kernel_h: u32,
  kernel_w: u32,
  stride_d: u32,
  stride_h: u32,
  stride_w: u32,
  pad_d: u32,
  pad_h: u32,
  pad_w: u32,
  dilation_d: u32,
  dilation_h: u32,
  dilation_w: u32,
  index_stride_n: u32,
  index_stride_c: u32,
  index_stride_s: u32,
}

override WORKGROUP_X: u32 = 64u;
override WORKGROUP_Y: u32 = 1u;
override KERNEL_W: u32 = 2u;
override GRADIENT: bool = false;

@group(0) @binding(0) var<uniform> params: PoolParams;
@group(0) @binding(1) var<storage, read> values: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> indices: array<vec4<i32>>;
@group(0) @binding(3) var<storage, read_write> output: array<vec4<u32>>;

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ow = gid.x * 4u;
  let oh = gid.y;
  if (ow >= params.out_w || oh >= params.out_h) {
    return;
  }
  let plane = gid.z / params.out_d;
  let od = gid.z % params.out_d;
  let pooled = (((plane * params.out_d + od) * params.out_h + oh) * params.out_w + ow) / 4u;
  var bits = values[pooled];
  if (GRADIENT) {
    bits = select(bits, vec4<u32>(0u), bits == vec4<u32>(0x80000000u));
  }
  let chosen = indices[pooled];
  // Index of spatial position q is base + q * index_stride_s (layout.wgsl's encoding).
  let base = encode_index(Element(plane / params.channels, plane % params.channels, 0u),
      params.index_stride_n, params.index_stride_c, params.index_stride_s);
  let step = i32(params.index_stride_s);
  let in_volume = params.in_d * params.in_h * params.in_w;
  let lane_offset = vec4<u32>(0u, 1u, 2u, 3u) * KERNEL_W;
  for (var kd = 0u; kd < params.kernel_d; kd++) {
    let d = od * params.kernel_d + kd;
    for (var kh = 0u; kh < params.kernel_h; kh++) {
      let h = oh * params.kernel_h + kh;
      let row_start = (d * params.in_h + h) * params.in_w + ow * KERNEL_W;
      // taps[kw] lane j: the element of window j at kernel column kw.
      var taps: array<vec4<u32>, 4>;
      for (var kw = 0u; kw < KERNEL_W; kw++) {
        let want = vec4<i32>(base) + vec4<i32>(vec4<u32>(row_start + kw) + lane_offset) * step;
        taps[kw] = select(vec4<u32>(0u), bits, chosen == want);
      }
      let out_base = (plane * in_volume + row_start) / 4u;
      if (KERNEL_W == 1u) {
        output[out_base] = taps[0];
      } else if (KERNEL_W == 2u) {
        output[out_base] = vec4<u32>(taps[0].x, taps[1].x, taps[0].y, taps[1].y);
        output[out_base + 1u] = vec4<u32>(taps[0].z, taps[1].z, taps[0].w, taps[1].w);
      } else {
        for (var j = 0u; j < 4u; j++) {
          output[out_base + j] = vec4<u32>(taps[0][j], taps[1][j], taps[2][j], taps[3][j]);
        }
      }
    }
  }
}
