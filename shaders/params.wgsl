// The params uniforms, one struct per kind of operation, prepended by the host to every kernel
// (with layout.wgsl; see `withShared` in src/kernels.ts). All fields are u32; src/params.ts packs
// them field for field, and a node test checks the two lists agree.
//
// PoolParams: pooling and everything that walks pooling windows (the gradient, unpooling of indices
// from a known pooling). "in" is the pooling input, "out" the pooled size; 1-D and 2-D fill the
// leading dimensions with 1 (kernel and stride 1, padding 0).
// UnpoolParams: unpooling and its gradient. "in" is the pooled size, "out" the unpooled size.

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
