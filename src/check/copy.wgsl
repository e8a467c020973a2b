// The memory-bound floor of the speed table in `argpool check`: a plain copy of `count` 16-byte words
// from `src` to `dst`, one word per invocation, no arithmetic. Its time is what moving a kernel's
// bytes costs on the adapter at hand.
//
// Dispatch: the word count folded into a 2-D grid of at most maxComputeWorkgroupsPerDimension per
// dimension; the flat index is rebuilt from the workgroup id and the grid width, and invocations past
// the end return.

struct CopyParams {
  count: u32,
  groups_x: u32,
  pad0: u32,
  pad1: u32,
}

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> params: CopyParams;
@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<u32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * params.groups_x + wid.x) * WORKGROUP_SIZE + lid;
  if (i >= params.count) {
    return;
  }
  dst[i] = src[i];
}
