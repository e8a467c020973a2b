// Max unpooling, pass 1 of 2 (general scatter): each pooled element claims the output position its
// index points at. Pass 2 (max_unpool_write.wgsl) then writes every output element once.
//
// Layout: values/indices are [N, C, in_volume] channels-first or [N, in_volume, C] channels-last
//   (`channels_last` = 1); the output is [N, C, out_volume] or [N, out_volume, C] in the same layout.
// Index convention: index = n*index_stride_n + c*index_stride_c + p*index_stride_s, where p is the
//   position in the output's spatial volume; (0, 0, 1) is PyTorch's per-plane index. An index may point
//   anywhere in its own (n, c) plane, not only inside its pooling window.
// Duplicates: several pooled elements may point at one position (overlapping windows, or any indices a
//   caller supplies). `owner` takes the atomic maximum of (pooled element + 1), so the element that is
//   last in memory order wins whatever the thread timing, as in PyTorch's sequential CPU loop. `owner`
//   must be zero when the pass starts.
// Faults: an index that does not decode to a position of its plane claims nothing; status[0] takes the
//   atomic maximum of ~t, so after the pass ~status[0] is the first bad element in memory order (0: none).

struct UnpoolParams {
  total: u32,
  out_total: u32,
  channels: u32,
  channels_last: u32,
  in_d: u32,
  in_h: u32,
  in_w: u32,
  out_d: u32,
  out_h: u32,
  out_w: u32,
  index_stride_n: u32,
  index_stride_c: u32,
  index_stride_s: u32,
  fill: u32,
  rank: u32,
}

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> params: UnpoolParams;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> owner: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>, 2>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = ((wid.z * groups.y + wid.y) * groups.x + wid.x) * WORKGROUP_SIZE + lid;
  if (t >= params.total) {
    return;
  }
  let in_volume = params.in_d * params.in_h * params.in_w;
  let out_volume = params.out_d * params.out_h * params.out_w;
  var n: u32;
  var c: u32;
  if (params.channels_last != 0u) {
    c = t % params.channels;
    n = t / (params.channels * in_volume);
  } else {
    let plane = t / in_volume;
    c = plane % params.channels;
    n = plane / params.channels;
  }
  let rel = indices[t] - i32(n * params.index_stride_n + c * params.index_stride_c);
  let step = i32(params.index_stride_s);
  if (rel < 0 || rel % step != 0 || u32(rel / step) >= out_volume) {
    atomicMax(&status[0], ~t);
    return;
  }
  let p = u32(rel / step);
  var target_offset: u32;
  if (params.channels_last != 0u) {
    target_offset = (n * out_volume + p) * params.channels + c;
  } else {
    target_offset = (n * params.channels + c) * out_volume + p;
  }
  atomicMax(&owner[target_offset], t + 1u);
}
