// Max unpooling, pass 2 of 2: one invocation per output element writes it exactly once.
//
// Layout and index convention: as in max_unpool_claim.wgsl, whose pass must run first.
// A position that some pooled element claimed gets that element's value, copied as bits (values are
//   read as u32, so NaN payloads and -0 survive). owner[o] = t + 1 names the winning pooled element t.
// Other positions depend on `fill`:
//   0 (zero):     0.0.
//   1 (nearest):  the pooled map resized to the output: source position floor(dst * in / out) per dim.
//   2 (bilinear): linear, bilinear or trilinear by rank, half-pixel centres (PyTorch interpolate with
//                 align_corners=False): src = max((dst + 0.5) * in / out - 0.5, 0), as an exact fraction
//                 (see linear_taps). Each spatial dim has
//                 two taps weighted (1 - l, l), both taken even when l = 0, as PyTorch does, so an
//                 infinity beside a zero weight gives NaN there too. Computed in f32: it matches a
//                 float64 reference to a small tolerance, not bit for bit.
// Bindings, params and float accessors: src/programs/max_unpool_write.ts; include: layout.wgsl.

const FILL_NEAREST: u32 = 1u;
const FILL_BILINEAR: u32 = 2u;

override WORKGROUP_SIZE: u32 = 64u;

fn pooled_value(n: u32, c: u32, p: u32) -> u32 {
  let in_volume = params.in_d * params.in_h * params.in_w;
  return values_load(element_offset(Element(n, c, p), params.channels, in_volume, params.channels_last != 0u));
}

// floor(dst * in / out), exact for every size: the product can pass 2^32 on long signals, so it is
// formed with mul_div (layout.wgsl).
fn nearest_source(dst: u32, in_size: u32, out_size: u32) -> u32 {
  return min(mul_div(dst, in_size, out_size).x, in_size - 1u);
}

// Lower tap, upper tap and weight of the upper tap for one dimension. The source coordinate
// (dst + 0.5) * in / out - 0.5 is kept as the exact fraction ((2*dst + 1)*in - out) / (2*out), so only
// the final weight rounds, whatever the sizes (a float coordinate loses precision as they grow). The
// product (2*dst + 1)*in = q*(2*out) + r comes from mul_div, so it may pass 2^32; the numerator is then
// (q*(2*out) + r - out), whose quotient and remainder by 2*out follow from q and r.
fn linear_taps(dst: u32, in_size: u32, out_size: u32) -> vec3<f32> {
  let denominator = 2u * out_size;
  let qr = mul_div(2u * dst + 1u, in_size, denominator);
  var i0 = 0u;
  var rest = 0u;
  if (qr.x > 0u || qr.y >= out_size) {
    // numerator >= 0 (clamped to 0 below that, as max(src, 0) does).
    if (qr.y >= out_size) {
      i0 = qr.x;
      rest = qr.y - out_size;
    } else {
      i0 = qr.x - 1u;
      rest = qr.y + out_size;
    }
  }
  // (dst + 0.5) * in / out - 0.5 < in - 0.5, so i0 <= in - 1 already; the min only guards the index.
  i0 = min(i0, in_size - 1u);
  let i1 = min(i0 + 1u, in_size - 1u);
  let weight = f32(rest) / f32(denominator);
  return vec3<f32>(f32(i0), f32(i1), weight);
}

fn resized_value(n: u32, c: u32, p: u32) -> u32 {
  let ow = p % params.out_w;
  let oh = (p / params.out_w) % params.out_h;
  let od = p / (params.out_w * params.out_h);
  if (params.fill == FILL_NEAREST) {
    let sd = nearest_source(od, params.in_d, params.out_d);
    let sh = nearest_source(oh, params.in_h, params.out_h);
    let sw = nearest_source(ow, params.in_w, params.out_w);
    return pooled_value(n, c, (sd * params.in_h + sh) * params.in_w + sw);
  }
  let td = linear_taps(od, params.in_d, params.out_d);
  let th = linear_taps(oh, params.in_h, params.out_h);
  let tw = linear_taps(ow, params.in_w, params.out_w);
  var sum = 0.0;
  // Corner bits: bit 0 picks the width tap, bit 1 height, bit 2 depth; only the real dims are walked.
  for (var corner = 0u; corner < (1u << params.rank); corner++) {
    let bd = (corner >> 2u) & 1u;
    let bh = (corner >> 1u) & 1u;
    let bw = corner & 1u;
    let weight = select(1.0 - td.z, td.z, bd == 1u) * select(1.0 - th.z, th.z, bh == 1u)
        * select(1.0 - tw.z, tw.z, bw == 1u);
    let d = u32(select(td.x, td.y, bd == 1u));
    let h = u32(select(th.x, th.y, bh == 1u));
    let w = u32(select(tw.x, tw.y, bw == 1u));
    sum += weight * bitcast<f32>(pooled_value(n, c, (d * params.in_h + h) * params.in_w + w));
  }
  return bitcast<u32>(sum);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let o = ((wid.z * groups.y + wid.y) * groups.x + wid.x) * WORKGROUP_SIZE + lid;
  if (o >= params.out_total) {
    return;
  }
  let winner = owner[o];
  if (winner != 0u) {
    output_store(o, values_load(winner - 1u));
    return;
  }
  if (params.fill == 0u) {
    output_store(o, 0u);
    return;
  }
  let out_volume = params.out_d * params.out_h * params.out_w;
  let e = element_at(o, params.channels, out_volume, params.channels_last != 0u);
  output_store(o, resized_value(e.n, e.c, e.p));
}
