// Window gather: one invocation per element of the pooling input's shape visits every pooled output
// whose window contains it and whose index names it. It serves two operations, with no atomics, so
// the result is the same on every run:
// - the pooling gradient (LAST_MATCH = false): the f32 sum of those outputs' gradients, added in
//   increasing output order (depth, row, column: the memory order of the pooled tensor) from 0.0, the
//   same sequence of roundings as a sequential scatter-add over the pooled elements;
// - unpooling of indices from a pooling with these options (LAST_MATCH = true): the value of the last
//   such output in that order, as bits, or +0.0 when none names the element; this is the scatter's
//   "last in memory order wins" rule, since only outputs whose window contains an element can name it.
// Indices outside their window are never gathered: the host uses this kernel only for indices that a
//   pooling produced, or after max_pool_backward_check.wgsl, which reports such indices.
//
// Layout and index convention: as in max_pool.wgsl (`pooled`, the gradients or values, and `indices`
//   have the pooled shape, `result` the pooling input's shape, all in one layout); prepended by the
//   host: layout.wgsl.

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
override LAST_MATCH: bool = false;

@group(0) @binding(0) var<uniform> params: PoolParams;
@group(0) @binding(1) var<storage, read> pooled: array<u32>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> result: array<u32>;

// The outputs whose window can hold coordinate x along one dimension: tap k reaches x from output
// (x + pad - k*dilation) / stride. Returns the first and one-past-last candidate output; `is_tap`
// then keeps those for which the division is exact under the dilation.
fn candidate_outputs(x: u32, stride: u32, pad: u32, dilation: u32, kernel: u32, out_size: u32) -> vec2<i32> {
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
  let range_d = candidate_outputs(z, params.stride_d, params.pad_d, params.dilation_d, params.kernel_d, params.out_d);
  let range_h = candidate_outputs(y, params.stride_h, params.pad_h, params.dilation_h, params.kernel_h, params.out_h);
  let range_w = candidate_outputs(x, params.stride_w, params.pad_w, params.dilation_w, params.kernel_w, params.out_w);
  var sum = 0.0;
  var last = 0u;
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
          sum += bitcast<f32>(pooled[k]);
          last = pooled[k];
        }
      }
    }
  }
  result[t] = select(bitcast<u32>(sum), last, LAST_MATCH);
}
