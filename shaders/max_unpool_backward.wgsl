// Gradient of max unpooling with respect to the pooled values: each pooled element reads the output
// gradient at the position its index names (a gather: one read and one write per element).
//
// Layout and index convention: as in max_unpool_claim.wgsl; grad_output has the unpooled shape,
//   grad_values the shape of indices. Values are copied as bits.
// Bindings, params and float accessors: src/programs/max_unpool_backward.ts; include: layout.wgsl.
// Faults: an index that names no position of its plane gives 0 and sets status[0] to the atomic
//   maximum of ~t (the first bad element in memory order is ~status[0]).

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
    grad_values_store(t, 0u);
    return;
  }
  grad_values_store(t, grad_output_load(u32(target_offset)));
}
