// Global max pooling with argmax indices: the window is the whole input (kernel = input size, no
// padding), so there is one output per (n, c) plane. One workgroup per plane: its invocations walk the
// plane in steps of the workgroup size, then reduce their candidates in workgroup memory. (The general
// kernel would give a whole plane to one invocation: a 56x56 plane is 3,136 loads in a row.)
//
// Layout: input [N, C, D, H, W] channels-first or [N, D, H, W, C] channels-last (`channels_last`),
//   lower ranks with leading sizes of 1; output element (n, c) is n*C + c in either layout.
// Grid: one workgroup per plane, the flat workgroup number rebuilt from the (folded) grid.
// Index convention: as max_pool.wgsl (index = n*index_stride_n + c*index_stride_c + p*index_stride_s,
//   p the position in the plane).
// Ties, NaN, -inf, bit copies: exactly as max_pool.wgsl, whose results this kernel must reproduce bit
//   for bit. The sequential rule (walk the window in order; a tap replaces the maximum when strictly
//   greater, NaN per NAN_RULE) picks one element by a strict order on (tier, key, position), which
//   does not depend on the order of comparisons, so a tree reduction finds the same element:
//   - numbers: the larger order_key wins (-0 ties +0, subnormals ordered), a tie the smaller position
//     (the first maximum);
//   - NaN under PROPAGATE: above every number, and among NaNs the larger position (the last NaN);
//   - NaN under IGNORE: below every number, and among NaNs the smaller position (a window of only NaN
//     keeps its first);
//   - NaN under FIRST: the first element of the plane (position 0) above every number when it is NaN,
//     any other NaN below every number (it never enters), among those the smaller position.
//   An invocation that holds no element has tier EMPTY, below everything.
// Bindings, params and the input_load / values_store accessors: declared in src/programs/max_pool_global.ts,
// written by src/programs/storage.ts (float16 widened to float32 bits); include: layout.wgsl
// (Element, element_offset, encode_index, is_nan, order_key, NAN_* rules).

override WORKGROUP_SIZE: u32 = 64u;
// NaN rule (NAN_PROPAGATE, NAN_IGNORE or NAN_FIRST, layout.wgsl).
override NAN_RULE: u32 = 0u;

const EMPTY: u32 = 0u;
const NAN_BELOW: u32 = 1u;
const NUMBER: u32 = 2u;
const NAN_ABOVE: u32 = 3u;

struct Candidate {
  tier: u32,
  key: u32,
  pos: u32,
  bits: u32,
}

var<workgroup> candidates: array<Candidate, WORKGROUP_SIZE>;

fn candidate_at(bits: u32, pos: u32) -> Candidate {
  if (!is_nan(bits)) {
    return Candidate(NUMBER, order_key(bits), pos, bits);
  }
  let above = NAN_RULE == NAN_PROPAGATE || (NAN_RULE == NAN_FIRST && pos == 0u);
  return Candidate(select(NAN_BELOW, NAN_ABOVE, above), 0u, pos, bits);
}

// Whether a beats b in the order above (never both; a candidate does not beat itself).
fn beats(a: Candidate, b: Candidate) -> bool {
  if (a.tier != b.tier) {
    return a.tier > b.tier;
  }
  if (a.tier == NUMBER) {
    return a.key > b.key || (a.key == b.key && a.pos < b.pos);
  }
  if (a.tier == NAN_ABOVE && NAN_RULE == NAN_PROPAGATE) {
    return a.pos > b.pos;
  }
  return a.pos < b.pos;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let plane = (wid.z * groups.y + wid.y) * groups.x + wid.x;
  // The same for the whole workgroup, so returning keeps the barriers below in uniform control flow.
  if (plane >= params.total) {
    return;
  }
  let volume = params.in_d * params.in_h * params.in_w;
  let channels_last = params.channels_last != 0u;
  let n = plane / params.channels;
  let c = plane % params.channels;
  let base = element_offset(Element(n, c, 0u), params.channels, volume, channels_last);
  let step = select(1u, params.channels, channels_last);
  var best = Candidate(EMPTY, 0u, 0u, 0u);
  for (var p = lid; p < volume; p += WORKGROUP_SIZE) {
    let tap = candidate_at(input_load(base + p * step), p);
    if (beats(tap, best)) {
      best = tap;
    }
  }
  candidates[lid] = best;
  workgroupBarrier();
  for (var span = WORKGROUP_SIZE / 2u; span > 0u; span /= 2u) {
    if (lid < span && beats(candidates[lid + span], candidates[lid])) {
      candidates[lid] = candidates[lid + span];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let winner = candidates[0];
    values_store(plane, winner.bits);
    indices[plane] = encode_index(Element(n, c, winner.pos), params.index_stride_n, params.index_stride_c, params.index_stride_s);
  }
}
