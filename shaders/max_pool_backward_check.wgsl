// Gradient of max pooling, pass 1 of 2: checks that every index names an element inside its own
// pooling window, as the indices from max_pool.wgsl with the same options do. Pass 2
// (max_pool_backward.wgsl) gathers over windows, so an index outside its window would silently
// contribute nothing; this pass reports it instead.
//
// Layout and index convention: as in max_pool.wgsl. Bindings and params:
//   src/programs/max_pool_backward_check.ts; include: layout.wgsl.
// Faults: status[0] takes the atomic maximum of ~t for each bad pooled element t, so afterwards
//   ~status[0] is the first one in memory order (0: none). The host tells "names no input element"
//   from "outside its window" by decoding the reported index itself.

override WORKGROUP_SIZE: u32 = 64u;

// Whether input coordinate x is a tap of output o's window along one dimension.
fn in_window(x: u32, o: u32, stride: u32, pad: u32, dilation: u32, kernel: u32) -> bool {
  let r = i32(x) - (i32(o * stride) - i32(pad));
  return r >= 0 && r % i32(dilation) == 0 && r / i32(dilation) < i32(kernel);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = ((wid.z * groups.y + wid.y) * groups.x + wid.x) * WORKGROUP_SIZE + lid;
  if (t >= params.total) {
    return;
  }
  let out_volume = params.out_d * params.out_h * params.out_w;
  let in_volume = params.in_d * params.in_h * params.in_w;
  let e = element_at(t, params.channels, out_volume, params.channels_last != 0u);
  let q = decode_index(indices[t], e.n, e.c, params.index_stride_n, params.index_stride_c, params.index_stride_s, in_volume);
  var inside = q >= 0;
  if (inside) {
    let x = u32(q);
    let ow = e.p % params.out_w;
    let oh = (e.p / params.out_w) % params.out_h;
    let od = e.p / (params.out_w * params.out_h);
    inside = in_window(x % params.in_w, ow, params.stride_w, params.pad_w, params.dilation_w, params.kernel_w)
        && in_window((x / params.in_w) % params.in_h, oh, params.stride_h, params.pad_h, params.dilation_h, params.kernel_h)
        && in_window(x / (params.in_w * params.in_h), od, params.stride_d, params.pad_d, params.dilation_d, params.kernel_d);
  }
  if (!inside) {
    atomicMax(&status[0], ~t);
  }
}
