// ONNX MaxUnpool indices: the int64 indices of an ONNX graph narrowed to argpool's int32 'flat' indices.
//
// Layout: `wide` holds two u32 words per element, little-endian int64 (low word first), as ORT's
//   WebGPU provider stores int64 tensors; `indices` receives one int32 per element, same order.
// Rules: a value outside the int32 range (high word other than the low word's sign extension) becomes
//   -1, an index that names no element, so argpool's unpooling reports it as invalid instead of
//   scattering to a wrapped-around position.
// One invocation per element; the flat element number is rebuilt from the dispatch grid.

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let e = ((wid.z * groups.y + wid.y) * groups.x + wid.x) * WORKGROUP_SIZE + lid;
  if (e >= params.count) {
    return;
  }
  let v = wide[e];
  let fits = v.y == select(0u, 0xffffffffu, (v.x & 0x80000000u) != 0u);
  indices[e] = select(-1, bitcast<i32>(v.x), fits);
}
