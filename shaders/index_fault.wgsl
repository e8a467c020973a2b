// Completes a fault status after an index-reading kernel has run: status[0] holds ~t for the first
// bad element t in memory order (0: no fault); this copies that element's index into status[1], so the
// host can report both with one read. One invocation.

@group(0) @binding(0) var<storage, read> indices: array<i32>;
@group(0) @binding(1) var<storage, read_write> status: array<u32, 2>;

@compute @workgroup_size(1)
fn main() {
  if (status[0] != 0u) {
    status[1] = bitcast<u32>(indices[~status[0]]);
  }
}
