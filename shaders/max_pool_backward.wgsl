// Gradient of max pooling, pass 2 of 2: one invocation per input element gathers the gradients of
// every output whose window contains it and whose index names it. No float atomics, so the result
// is the same on every run.
//
// Layout and index convention: as in max_pool.wgsl (grad_output and indices have the pooled shape,
//   grad_input the input shape, all in one layout); prepended by the host: layout.wgsl.
// Order: contributions are added in f32 in increasing output order (depth, row, column), the memory
//   order of the pooled tensor, starting from 0.0: the same sequence of roundings as a sequential
//   scatter-add over the pooled elements.
// Indices outside their window are never gathered; max_pool_backward_check.wgsl reports them.

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

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> params: PoolParams;
@group(0) @binding(1) var<storage, read> grad_output: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> grad_input: array<f32>;

// The outputs whose window holds coordinate x along one dimension, as the kernel taps that reach it:
// tap k belongs to output (x + pad - k*dilation) / stride when that divides exactly and is in range.
// Returns the first and one-past-last output; `o` walks them through `next_output`.
fn first_tap(x: u32, stride: u32, pad: u32, dilation: u32, kernel: u32, out_size: u32) -> vec2<i32> {
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

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = ((wid.z * groups.y + wid.y) * groups.x + wid.x) * WORKGROUP_SIZE + lid;
  let in_volume = params.in_d * params.in_h * params.in_w;
  let out_volume = params.out_d * params.out_h * params.out_w;
  let channels_last = params.channels_last != 0u;
  if (t >= params.total / out_volume * in_volume) {
    return;
  }
  let e = element_at(t, params.channels, in_volume, channels_last);
  let want = encode_index(e, params.index_stride_n, params.index_stride_c, params.index_stride_s);
  let x = e.p % params.in_w;
  let y = (e.p / params.in_w) % params.in_h;
  let z = e.p / (params.in_w * params.in_h);
  let range_d = first_tap(z, params.stride_d, params.pad_d, params.dilation_d, params.kernel_d, params.out_d);
  let range_h = first_tap(y, params.stride_h, params.pad_h, params.dilation_h, params.kernel_h, params.out_h);
  let range_w = first_tap(x, params.stride_w, params.pad_w, params.dilation_w, params.kernel_w, params.out_w);
  var sum = 0.0;
  for (var od = range_d.x; od < range_d.y; od++) {
    if (!is_tap(z, od, params.stride_d, params.pad_d, params.dilation_d)) {
      continue;
    }
    for (var oh = range_h.x; oh < range_h.y; oh++) {
      if (!is_tap(y, oh, params.stride_h, params.pad_h, params.dilation_h)) {
        continue;
      }
      for (var ow = range_w.x; ow < range_w.y; ow++) {
        if (!is_tap(x, ow, params.stride_w, params.pad_w, params.dilation_w)) {
          continue;
        }
        let q = (u32(od) * params.out_h + u32(oh)) * params.out_w + u32(ow);
        let k = element_offset(Element(e.n, e.c, q), params.channels, out_volume, channels_last);
        if (indices[k] == want) {
          sum += grad_output[k];
        }
      }
    }
  }
  grad_input[t] = sum;
}
