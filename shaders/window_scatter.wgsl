// Window scatter: the work of window_gather.wgsl driven from the pooled side, one invocation per
// pooled element instead of one per element of the pooling input. With overlapping windows each input
// element has several candidate windows (four for 3x3/2), so a gather tests every candidate for every
// input element; here only the pooled elements (a quarter as many for stride 2) test the few windows
// that hold their own target. The result must be zero before the pass (the host clears it); elements
// that no index names stay zero.
//
// Pooled element t names target x. The windows that can name x are those whose window holds x (the
// host uses this kernel only for indices a pooling produced, or after max_pool_backward_check.wgsl);
// among those whose index equals t's, exactly one invocation writes x, so there are no races and the
// result is the same on every run:
// - unpooling (LAST_MATCH = true): the last of them in memory order (depth, row, column of the
//   pooled plane) writes its value, as bits: "last in memory order wins", as in the scatter;
// - the pooling gradient (LAST_MATCH = false): the first of them writes the f32 sum of all their
//   gradients, in increasing order, the first term's bits taken as 0.0 + g (first_sum_bits) and the
//   others added with add_exact: the sequence of roundings of a sequential scatter-add.
//
// Layout and index convention: as in max_pool.wgsl (`pooled` and `indices` have the pooled shape,
//   `result` the pooling input's shape, one layout). Bindings, params and
//   float accessors: src/programs/window_scatter.ts; include: layout.wgsl.
// Grid: flat over the pooled elements (folded 2-D/3-D by the host).
// OVERLAP = false (windows that share no element): each target has one window, so the invocation
//   writes it at once (the value, or 0.0 + gradient), with no search.
// WINDOW_TAPS: the indices are 'window' taps from a pooling with this window (one byte each, four to
//   a 32-bit word, least significant byte first), read as they are: tap k of output o names input
//   o*stride - pad + k*dilation per dimension, and another window names the same element when its
//   tap is that element's tap in it.

override WORKGROUP_SIZE: u32 = 64u;
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
override WINDOW_TAPS: bool = false;
// False when no two windows share an element along any dimension ((kernel - 1) * dilation < stride):
// a target then lies in its own window only, so no other window is looked for.
override OVERLAP: bool = true;

// Tap number of pooled element k ('window' indices).
fn tap_at(k: u32) -> i32 {
  return i32((bitcast<u32>(indices[k / 4u]) >> (8u * (k % 4u))) & 0xffu);
}

// The tap of window o that lands on input coordinate x along one dimension (x must be one of its taps).
fn tap_in(x: u32, o: i32, stride: u32, pad: u32, dilation: u32) -> i32 {
  return (i32(x + pad) - o * i32(stride)) / i32(dilation);
}

// The position in its plane that pooled element t (at pooled position p) names, or -1.
fn target_of(t: u32, p: u32, index: i32, e: Element, in_volume: u32) -> i32 {
  if (!WINDOW_TAPS) {
    return decode_index(index, e.n, e.c, params.index_stride_n, params.index_stride_c, params.index_stride_s, in_volume);
  }
  let tap = u32(index);
  let ow = p % params.out_w;
  let oh = (p / params.out_w) % params.out_h;
  let od = p / (params.out_w * params.out_h);
  let xw = i32(ow * STRIDE_W + (tap % KERNEL_W) * DILATION_W) - i32(params.pad_w);
  let xh = i32(oh * STRIDE_H + ((tap / KERNEL_W) % KERNEL_H) * DILATION_H) - i32(params.pad_h);
  let xd = i32(od * STRIDE_D + (tap / (KERNEL_W * KERNEL_H)) * DILATION_D) - i32(params.pad_d);
  if (tap >= KERNEL_D * KERNEL_H * KERNEL_W || xw < 0 || xh < 0 || xd < 0
      || xw >= i32(params.in_w) || xh >= i32(params.in_h) || xd >= i32(params.in_d)) {
    return -1;
  }
  return (xd * i32(params.in_h) + xh) * i32(params.in_w) + xw;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = ((wid.z * groups.y + wid.y) * groups.x + wid.x) * WORKGROUP_SIZE + lid;
  if (t >= params.total) {
    return;
  }
  let channels_last = params.channels_last != 0u;
  let out_volume = params.out_d * params.out_h * params.out_w;
  let in_volume = params.in_d * params.in_h * params.in_w;
  let e = element_at(t, params.channels, out_volume, channels_last);
  var index: i32;
  if (WINDOW_TAPS) {
    index = tap_at(t);
  } else {
    index = indices[t];
  }
  let q = target_of(t, e.p, index, e, in_volume);
  if (q < 0) {
    return;
  }
  if (!OVERLAP) {
    let bits = pooled_load(t);
    result_store(element_offset(Element(e.n, e.c, u32(q)), params.channels, in_volume, channels_last),
        select(first_sum_bits(bits), bits, LAST_MATCH));
    return;
  }
  let x = u32(q) % params.in_w;
  let y = (u32(q) / params.in_w) % params.in_h;
  let z = u32(q) / (params.in_w * params.in_h);
  let range_w = candidate_outputs(x, STRIDE_W, params.pad_w, DILATION_W, KERNEL_W, params.out_w);
  let range_h = candidate_outputs(y, STRIDE_H, params.pad_h, DILATION_H, KERNEL_H, params.out_h);
  let range_d = candidate_outputs(z, STRIDE_D, params.pad_d, DILATION_D, KERNEL_D, params.out_d);
  let own = i32(e.p);
  var sum = first_sum_bits(pooled_load(t));
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
        let other = (od * i32(params.out_h) + oh) * i32(params.out_w) + ow;
        if (other == own) {
          continue;
        }
        let k = element_offset(Element(e.n, e.c, u32(other)), params.channels, out_volume, channels_last);
        if (WINDOW_TAPS) {
          let tap = (tap_in(z, od, STRIDE_D, params.pad_d, DILATION_D) * i32(KERNEL_H) + tap_in(y, oh, STRIDE_H, params.pad_h, DILATION_H)) * i32(KERNEL_W)
              + tap_in(x, ow, STRIDE_W, params.pad_w, DILATION_W);
          if (tap_at(k) != tap) {
            continue;
          }
        } else if (indices[k] != index) {
          continue;
        }
        // Unpooling: a later window names x too, so it writes. Gradient: an earlier one does.
        if ((other > own) == LAST_MATCH) {
          return;
        }
        if (!LAST_MATCH) {
          sum = add_exact(sum, pooled_load(k));
        }
      }
    }
  }
  result_store(element_offset(Element(e.n, e.c, u32(q)), params.channels, in_volume, channels_last), select(sum, pooled_load(t), LAST_MATCH));
}
