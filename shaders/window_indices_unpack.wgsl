// 'window' indices, before unpooling or a gradient: turns tap numbers (one byte each, four to a
// 32-bit word, least significant byte first) into spatial indices (scratch, int32) that the spatial
// kernels then read. One invocation per word.
//
// Params: the pooling fields of the pooling that the taps number: "out" is the pooled size (the shape of the
//   taps), "in" the size the taps point into (the pooling input, or the unpooled output).
// Taps: tap k = (k_d*kernel_h + k_h)*kernel_w + k_w of output o names position
//   o*stride - pad + k*dilation per dimension.
// Faults: a tap number of kernel volume or more, or a tap over padding (a position outside the "in"
//   size), becomes -1, which names no element, and status[0] takes the atomic maximum of ~t, so
//   ~status[0] is the first bad element in memory order (0: none). The spatial kernels that follow
//   fault on the same elements.
// Bindings and params: src/programs/window_indices_unpack.ts; include: layout.wgsl.

override WORKGROUP_SIZE: u32 = 64u;

// The input coordinate of tap k of output o along one dimension, or -1 when it falls on padding.
fn coordinate(o: u32, k: u32, stride: u32, pad: u32, dilation: u32, size: u32) -> i32 {
  let x = i32(o * stride + k * dilation) - i32(pad);
  return select(-1, x, x >= 0 && x < i32(size));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let word = ((wid.z * groups.y + wid.y) * groups.x + wid.x) * WORKGROUP_SIZE + lid;
  if (word * 4u >= params.total) {
    return;
  }
  let out_volume = params.out_d * params.out_h * params.out_w;
  let tap_count = params.kernel_d * params.kernel_h * params.kernel_w;
  let packed = taps[word];
  for (var j = 0u; j < 4u; j++) {
    let t = word * 4u + j;
    if (t >= params.total) {
      break;
    }
    let tap = (packed >> (8u * j)) & 0xffu;
    let e = element_at(t, params.channels, out_volume, params.channels_last != 0u);
    let ow = e.p % params.out_w;
    let oh = (e.p / params.out_w) % params.out_h;
    let od = e.p / (params.out_w * params.out_h);
    let kw = tap % params.kernel_w;
    let kh = (tap / params.kernel_w) % params.kernel_h;
    let kd = tap / (params.kernel_w * params.kernel_h);
    let xw = coordinate(ow, kw, params.stride_w, params.pad_w, params.dilation_w, params.in_w);
    let xh = coordinate(oh, kh, params.stride_h, params.pad_h, params.dilation_h, params.in_h);
    let xd = coordinate(od, kd, params.stride_d, params.pad_d, params.dilation_d, params.in_d);
    if (tap >= tap_count || xw < 0 || xh < 0 || xd < 0) {
      spatial[t] = -1;
      atomicMax(&status[0], ~t);
    } else {
      spatial[t] = (xd * i32(params.in_h) + xh) * i32(params.in_w) + xw;
    }
  }
}
