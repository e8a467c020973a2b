// Max pooling with argmax indices when the windows tile the input exactly: channels-first, stride
// equal to the kernel, no padding, no dilation, every input size a multiple of its kernel size and
// the output width a multiple of 4. Each invocation computes four adjacent outputs of one row from
// whole vec4 loads, so the work per output is a few vector instructions and no division.
//
// Grid: x = group of four output columns, y = output row, z = plane * out_d + output depth.
// Layout: [N, C, D, H, W] dense, lower ranks as 3-D with leading sizes of 1. Output element
//   ((plane*out_d + od)*out_h + oh)*out_w + ow.
// Index convention, ties, NaN, -inf, bit copies: exactly as max_pool.wgsl, whose results this kernel
//   must reproduce bit for bit (lane j of the vectors is output ow + j). Taps are walked in window
//   order (depth, row, column); a lane takes a tap when it is NaN, or when its current maximum is not
//   NaN and the tap is strictly greater.
// Prepended by the host: layout.wgsl (for encode_index).

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
// Kernel width, fixed per pipeline so the lane shuffles below are static (1, 2 or 4).
override KERNEL_W: u32 = 2u;

@group(0) @binding(0) var<uniform> params: PoolParams;
@group(0) @binding(1) var<storage, read> input: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> values: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> indices: array<vec4<i32>>;

fn is_nan4(bits: vec4<u32>) -> vec4<bool> {
  return (bits & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u);
}

// Tap `k` of the four windows, from the 4*KERNEL_W consecutive elements of one input row.
fn lanes(row: array<vec4<u32>, 4>, k: u32) -> vec4<u32> {
  if (KERNEL_W == 1u) {
    return row[0];
  }
  if (KERNEL_W == 2u) {
    if (k == 0u) {
      return vec4<u32>(row[0].x, row[0].z, row[1].x, row[1].z);
    }
    return vec4<u32>(row[0].y, row[0].w, row[1].y, row[1].w);
  }
  return vec4<u32>(row[0][k], row[1][k], row[2][k], row[3][k]);
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ow = gid.x * 4u;
  let oh = gid.y;
  if (ow >= params.out_w || oh >= params.out_h) {
    return;
  }
  let plane = gid.z / params.out_d;
  let od = gid.z % params.out_d;
  let in_volume = params.in_d * params.in_h * params.in_w;
  let lane_offset = vec4<u32>(0u, 1u, 2u, 3u) * KERNEL_W;

  var best_bits = vec4<u32>(0u);
  var best_pos = vec4<u32>(0u);
  var best_nan = vec4<bool>(false);
  var first = true;
  for (var kd = 0u; kd < params.kernel_d; kd++) {
    let d = od * params.kernel_d + kd;
    for (var kh = 0u; kh < params.kernel_h; kh++) {
      let h = oh * params.kernel_h + kh;
      let row_start = (d * params.in_h + h) * params.in_w + ow * KERNEL_W;
      let base = (plane * in_volume + row_start) / 4u;
      var row: array<vec4<u32>, 4>;
      for (var i = 0u; i < KERNEL_W; i++) {
        row[i] = input[base + i];
      }
      for (var kw = 0u; kw < KERNEL_W; kw++) {
        let bits = lanes(row, kw);
        let pos = vec4<u32>(row_start + kw) + lane_offset;
        let nan = is_nan4(bits);
        // The first tap seeds every lane; later ones replace by the max-pool rule.
        let take = vec4<bool>(first) | nan | (!best_nan & (bitcast<vec4<f32>>(bits) > bitcast<vec4<f32>>(best_bits)));
        best_bits = select(best_bits, bits, take);
        best_pos = select(best_pos, pos, take);
        best_nan = select(best_nan, nan, take);
        first = false;
      }
    }
  }
  let out_index = (((plane * params.out_d + od) * params.out_h + oh) * params.out_w + ow) / 4u;
  values[out_index] = best_bits;
  let n = plane / params.channels;
  let c = plane % params.channels;
  indices[out_index] = vec4<i32>(
    encode_index(Element(n, c, best_pos.x), params.index_stride_n, params.index_stride_c, params.index_stride_s),
    encode_index(Element(n, c, best_pos.y), params.index_stride_n, params.index_stride_c, params.index_stride_s),
    encode_index(Element(n, c, best_pos.z), params.index_stride_n, params.index_stride_c, params.index_stride_s),
    encode_index(Element(n, c, best_pos.w), params.index_stride_n, params.index_stride_c, params.index_stride_s));
}
