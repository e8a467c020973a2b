// 'window' indices, after pooling: turns the spatial indices a pooling kernel wrote (scratch, int32)
// into tap numbers, one byte each, four to a 32-bit word. One invocation per word.
//
// Layout: as in max_pool.wgsl; element t of the pooled tensor (memory order) is byte t % 4 of word
//   t / 4, least significant byte first (the order a Uint8Array view of the words gives on a
//   little-endian host, as WebGPU's are). Bytes past the last element are 0.
// Taps: output o's window holds input o*stride - pad + k*dilation for k in [0, kernel) per dimension;
//   the tap number is (k_d*kernel_h + k_h)*kernel_w + k_w, taps over padding counted. The spatial
//   index always names an input element of its own window here (the pooling wrote it), so the
//   division by the dilation is exact.
// Bindings and params: src/programs/window_indices_pack.ts; include: layout.wgsl.

override WORKGROUP_SIZE: u32 = 64u;

fn tap_of(x: u32, o: u32, stride: u32, pad: u32, dilation: u32) -> u32 {
  return u32(i32(x) - (i32(o * stride) - i32(pad))) / dilation;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let word = ((wid.z * groups.y + wid.y) * groups.x + wid.x) * WORKGROUP_SIZE + lid;
  if (word * 4u >= params.total) {
    return;
  }
  let out_volume = params.out_d * params.out_h * params.out_w;
  var packed = 0u;
  for (var j = 0u; j < 4u; j++) {
    let t = word * 4u + j;
    if (t >= params.total) {
      break;
    }
    let e = element_at(t, params.channels, out_volume, params.channels_last != 0u);
    let x = u32(spatial[t]);
    let ow = e.p % params.out_w;
    let oh = (e.p / params.out_w) % params.out_h;
    let od = e.p / (params.out_w * params.out_h);
    let kw = tap_of(x % params.in_w, ow, params.stride_w, params.pad_w, params.dilation_w);
    let kh = tap_of((x / params.in_w) % params.in_h, oh, params.stride_h, params.pad_h, params.dilation_h);
    let kd = tap_of(x / (params.in_w * params.in_h), od, params.stride_d, params.pad_d, params.dilation_d);
    let tap = (kd * params.kernel_h + kh) * params.kernel_w + kw;
    packed |= (tap & 0xffu) << (8u * j);
  }
  taps[word] = packed;
}
