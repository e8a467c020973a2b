// ONNX MaxPool indices: argpool's int32 'flat' indices widened to the int64 that ONNX graphs carry.
//
// Layout: `indices` holds one int32 per pooled element, NCHW-flat as argpool's indexFormat 'flat'
//   writes it: index = (n * C + c) * volume + p, where p is the row-major spatial position
//   (d * H + h) * W + w of the maximum in the pooling input of spatial size D x H x W (1 for absent
//   dims). `wide` holds two u32 words per element, little-endian int64 (low word first), as ORT's
//   WebGPU provider stores int64 tensors.
// Rules: COLUMN_MAJOR = 1 gives ONNX storage_order = 1: the spatial part is re-encoded column-major,
//   p' = (w * H + h) * D + d, the plane offset (n * C + c) * volume stays. Negative indices (none come
//   from a pooling) are sign-extended, so the high word is 0 or 0xffffffff.
// One invocation per element; the flat element number is rebuilt from the dispatch grid.

override WORKGROUP_SIZE: u32 = 64u;
override COLUMN_MAJOR: u32 = 0u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let e = ((wid.z * groups.y + wid.y) * groups.x + wid.x) * WORKGROUP_SIZE + lid;
  if (e >= params.count) {
    return;
  }
  var index = indices[e];
  if (COLUMN_MAJOR != 0u && index >= 0) {
    let volume = params.in_d * params.in_h * params.in_w;
    let flat = u32(index);
    let p = flat % volume;
    let w = p % params.in_w;
    let h = (p / params.in_w) % params.in_h;
    let d = p / (params.in_w * params.in_h);
    index = i32(flat - p + (w * params.in_h + h) * params.in_d + d);
  }
  wide[e] = vec2<u32>(bitcast<u32>(index), select(0u, 0xffffffffu, index < 0));
}
