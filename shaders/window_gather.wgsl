// Window gather (the general kernel; window_scatter.wgsl does the same work from the pooled side and
// is what runs when specialised kernels are allowed): one invocation per element of the pooling
// input's shape visits every pooled output whose window contains it and whose index names it. It
// serves two operations, with no atomics, so the result is the same on every run:
// - the pooling gradient (LAST_MATCH = false): the f32 sum of those outputs' gradients, added in
//   increasing output order (depth, row, column: the memory order of the pooled tensor) from 0.0, the
//   same sequence of roundings as a sequential scatter-add over the pooled elements. The first term is
//   taken as its bits (first_sum_bits, layout.wgsl: 0.0 + g), the others added with add_exact
//   (layout.wgsl), so subnormal gradients sum bit for bit as in the reference on implementations
//   whose adder flushes them;
// - unpooling of indices from a pooling with these options (LAST_MATCH = true): the value of the last
//   such output in that order, as bits, or +0.0 when none names the element; this is the scatter's
//   "last in memory order wins" rule, since only outputs whose window contains an element can name it.
// Indices outside their window are never gathered: the host uses this kernel only for indices that a
//   pooling produced, or after max_pool_backward_check.wgsl, which reports such indices.
//
// Layout and index convention: as in max_pool.wgsl (`pooled`, the gradients or values, and `indices`
//   have the pooled shape, `result` the pooling input's shape, all in one layout). Bindings, params
//   and float accessors: src/programs/window_gather.ts; include: layout.wgsl.
// Grid: channels-first x = column, y = group of ROWS rows, z = plane * in_d + depth; channels-last x = channel,
//   y = column, z = (n * in_d + depth) * in_h + row. Every dimension walks in steps of the grid's
//   size along it (grid-stride loops), so the host folds any size into maxComputeWorkgroupsPerDimension. The window (KERNEL_*, STRIDE_*, DILATION_*) is fixed per pipeline: the
//   divisions that find an element's windows are then by constants, which compilers make cheap.

override WORKGROUP_X: u32 = 64u;
override WORKGROUP_Y: u32 = 1u;
// Channels-first: input rows per invocation, which share the column's candidate windows (the host
// passes 1 for channels-last).
override ROWS: u32 = 1u;
override KERNEL_D: u32 = 1u;
override KERNEL_H: u32 = 1u;
override KERNEL_W: u32 = 1u;
override STRIDE_D: u32 = 1u;
override STRIDE_H: u32 = 1u;
override STRIDE_W: u32 = 1u;
override DILATION_D: u32 = 1u;
override DILATION_H: u32 = 1u;
override DILATION_W: u32 = 1u;
override LAST_MATCH: bool = false;

// What element e, at coordinates (x, y, z), receives from the outputs whose windows hold it;
// `range_w` and `range_d` are its candidate outputs along the width and depth.
fn gather(e: Element, x: u32, y: u32, z: u32, range_w: vec2<i32>, range_d: vec2<i32>) -> u32 {
  let channels_last = params.channels_last != 0u;
  let out_volume = params.out_d * params.out_h * params.out_w;
  let want = encode_index(e, params.index_stride_n, params.index_stride_c, params.index_stride_s);
  let range_h = candidate_outputs(y, STRIDE_H, params.pad_h, DILATION_H, KERNEL_H, params.out_h);
  var sum = 0u;
  var found = false;
  var last = 0u;
  for (var od = range_d.x; od < range_d.y; od++) {
    if (!is_tap(z, od, STRIDE_D, params.pad_d, DILATION_D)) {
      continue;
    }
    for (var oh = range_h.x; oh < range_h.y; oh++) {
      if (!is_tap(y, oh, STRIDE_H, params.pad_h, DILATION_H)) {
        continue;
      }
      for (var ow = range_w.x; ow < range_w.y; ow++) {
        if (!is_tap(x, ow, STRIDE_W, params.pad_w, DILATION_W)) {
          continue;
        }
        let q = (u32(od) * params.out_h + u32(oh)) * params.out_w + u32(ow);
        let k = element_offset(Element(e.n, e.c, q), params.channels, out_volume, channels_last);
        if (indices[k] == want) {
          let bits = pooled_load(k);
          sum = select(first_sum_bits(bits), add_exact(sum, bits), found);
          found = true;
          last = bits;
        }
      }
    }
  }
  return select(sum, last, LAST_MATCH);
}

// gather() for channels-first tensors, whose pooled plane starts at `base` and whose pooled elements
// are consecutive in it: element (y, z, x) of the plane, whose index reads `want`.
fn gather_planar(base: u32, want: i32, y: u32, z: u32, x: u32, range_w: vec2<i32>, range_d: vec2<i32>) -> u32 {
  let range_h = candidate_outputs(y, STRIDE_H, params.pad_h, DILATION_H, KERNEL_H, params.out_h);
  var sum = 0u;
  var found = false;
  var last = 0u;
  for (var od = range_d.x; od < range_d.y; od++) {
    if (!is_tap(z, od, STRIDE_D, params.pad_d, DILATION_D)) {
      continue;
    }
    for (var oh = range_h.x; oh < range_h.y; oh++) {
      if (!is_tap(y, oh, STRIDE_H, params.pad_h, DILATION_H)) {
        continue;
      }
      let row = base + (u32(od) * params.out_h + u32(oh)) * params.out_w;
      for (var ow = range_w.x; ow < range_w.y; ow++) {
        if (!is_tap(x, ow, STRIDE_W, params.pad_w, DILATION_W)) {
          continue;
        }
        let k = row + u32(ow);
        if (indices[k] == want) {
          let bits = pooled_load(k);
          sum = select(first_sum_bits(bits), add_exact(sum, bits), found);
          found = true;
          last = bits;
        }
      }
    }
  }
  return select(sum, last, LAST_MATCH);
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let channels_last = params.channels_last != 0u;
  let in_volume = params.in_d * params.in_h * params.in_w;
  let out_volume = params.out_d * params.out_h * params.out_w;
  let batch = params.total / (out_volume * params.channels);
  let step_x = groups.x * WORKGROUP_X;
  let step_y = groups.y * WORKGROUP_Y;
  if (channels_last) {
    for (var c = gid.x; c < params.channels; c += step_x) {
      for (var x = gid.y; x < params.in_w; x += step_y) {
        let range_w = candidate_outputs(x, STRIDE_W, params.pad_w, DILATION_W, KERNEL_W, params.out_w);
        for (var zz = gid.z; zz < batch * params.in_d * params.in_h; zz += groups.z) {
          let y = zz % params.in_h;
          let z = (zz / params.in_h) % params.in_d;
          let e = Element(zz / (params.in_h * params.in_d), c, (z * params.in_h + y) * params.in_w + x);
          let range_d = candidate_outputs(z, STRIDE_D, params.pad_d, DILATION_D, KERNEL_D, params.out_d);
          result_store(element_offset(e, params.channels, in_volume, true), gather(e, x, y, z, range_w, range_d));
        }
      }
    }
    return;
  }
  for (var x = gid.x; x < params.in_w; x += step_x) {
    let range_w = candidate_outputs(x, STRIDE_W, params.pad_w, DILATION_W, KERNEL_W, params.out_w);
    for (var first_row = gid.y * ROWS; first_row < params.in_h; first_row += step_y * ROWS) {
      let rows = min(ROWS, params.in_h - first_row);
      for (var zz = gid.z; zz < batch * params.channels * params.in_d; zz += groups.z) {
        let z = zz % params.in_d;
        let plane = zz / params.in_d;
        let n = plane / params.channels;
        let c = plane % params.channels;
        let range_d = candidate_outputs(z, STRIDE_D, params.pad_d, DILATION_D, KERNEL_D, params.out_d);
        let base = plane * out_volume;
        let want_base = encode_index(Element(n, c, 0u), params.index_stride_n, params.index_stride_c, params.index_stride_s);
        for (var r = 0u; r < rows; r++) {
          let y = first_row + r;
          let p = (z * params.in_h + y) * params.in_w + x;
          result_store(plane * in_volume + p, gather_planar(base, want_base + i32(p * params.index_stride_s), y, z, x, range_w, range_d));
        }
      }
    }
  }
}
