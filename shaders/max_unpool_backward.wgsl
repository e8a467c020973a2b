// Gradient of max unpooling with respect to the pooled values: each pooled element reads the output
// gradient at the position its index names (a gather: one read and one write per element).
//
// Layout and index convention: as in max_unpool_claim.wgsl; grad_output has the unpooled shape,
//   grad_values the shape of indices. Values are copied as bits. Prepended by the host: params.wgsl and layout.wgsl.
// Faults: an index that names no position of its plane gives 0 and sets status[0] to the atomic
//   maximum of ~t (the first bad element in memory order is ~status[0]).

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> params: UnpoolParams;
// float storage: float32, one u32 of bits per element. For float16 src/shaders.ts rewrites this block
// (bindings and accessors of the same names, see float16.wgsl). Accessors take and give float32 bits.
@group(0) @binding(1) var<storage, read> grad_output: array<u32>;
@group(0) @binding(3) var<storage, read_write> grad_values: array<u32>;
fn grad_output_load(i: u32) -> u32 {
  return grad_output[i];
}
fn grad_values_store(i: u32, bits: u32) {
  grad_values[i] = bits;
}
// end float storage

@group(0) @binding(2) var<storage, read> indices: array<i32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>, 2>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = ((wid.z * groups.y + wid.y) * groups.x + wid.x) * WORKGROUP_SIZE + lid;
  if (t >= params.total) {
    return;
  }
  let target_offset = unpool_target(params, t, indices[t]);
  if (target_offset < 0) {
    atomicMax(&status[0], ~t);
    grad_values_store(t, 0u);
    return;
  }
  grad_values_store(t, grad_output_load(u32(target_offset)));
}
