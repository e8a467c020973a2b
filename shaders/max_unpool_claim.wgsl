// Max unpooling, pass 1 of 2 (general scatter): each pooled element claims the output position its
// index points at. Pass 2 (max_unpool_write.wgsl) then writes every output element once.
//
// Layout: values/indices are [N, C, in_volume] channels-first or [N, in_volume, C] channels-last
//   (`channels_last` = 1); the output is [N, C, out_volume] or [N, out_volume, C] in the same layout.
// Index convention: see layout.wgsl (included); p is a position in the output's spatial
//   volume. An index may point anywhere in its own (n, c) plane, not only inside its pooling window.
// Duplicates: several pooled elements may point at one position (overlapping windows, or any indices a
//   caller supplies). `owner` takes the atomic maximum of (pooled element + 1), so the element that is
//   last in memory order wins whatever the thread timing, as in PyTorch's sequential CPU loop. `owner`
//   must be zero when the pass starts.
// Faults: an index that names no position of its plane claims nothing; status[0] takes the atomic
//   maximum of ~t, so afterwards ~status[0] is the first bad element in memory order (0: none).
// Bindings and params: src/programs/max_unpool_claim.ts; include: layout.wgsl.

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = ((wid.z * groups.y + wid.y) * groups.x + wid.x) * WORKGROUP_SIZE + lid;
  if (t >= params.total) {
    return;
  }
  let target_offset = unpool_target(t, indices[t], params.channels, params.in_d * params.in_h * params.in_w,
      params.out_d * params.out_h * params.out_w, params.channels_last != 0u,
      vec3<u32>(params.index_stride_n, params.index_stride_c, params.index_stride_s));
  if (target_offset < 0) {
    atomicMax(&status[0], ~t);
    return;
  }
  atomicMax(&owner[target_offset], t + 1u);
}
