// Completes a fault status after an index-reading kernel has run: status[0] holds ~t for the first
// bad element t in memory order (0: no fault); this copies that element's index into status[1], so the
// host can report both with one read. One invocation.
// PACKED_BYTES = 1: the indices are 'window' taps, one byte each, four to a word (least significant
// byte first), and the reported index is the tap.

override PACKED_BYTES: u32 = 0u;

@compute @workgroup_size(1)
fn main() {
  if (status[0] != 0u) {
    let t = ~status[0];
    if (PACKED_BYTES != 0u) {
      status[1] = (bitcast<u32>(indices[t / 4u]) >> (8u * (t % 4u))) & 0xffu;
    } else {
      status[1] = bitcast<u32>(indices[t]);
    }
  }
}
