// The memory-bound floor of a kernel's time: a plain copy of `count` 16-byte words from `src` to
// `dst`, one word per invocation. It moves exactly the bytes it is given (read once, written once) and
// does no arithmetic, so its time is what moving a kernel's bytes costs on the adapter at hand. Used
// by the speed table of `argpool check` and by `npm run bench` (timed with timestamp queries around
// its compute pass, the limit for argpool's timestamp times).
//
// Dispatch: the word count folded into a grid of at most maxComputeWorkgroupsPerDimension per
// dimension (x, then y, then z); the flat word index is rebuilt from the workgroup id and the grid
// size, and invocations past the end return.

struct CopyParams {
  count: u32,
  groups_x: u32,
  groups_y: u32,
  pad: u32,
}

override WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> params: CopyParams;
@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<u32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let group = (wid.z * params.groups_y + wid.y) * params.groups_x + wid.x;
  let i = group * WORKGROUP_SIZE + lid;
  if (i >= params.count) {
    return;
  }
  dst[i] = src[i];
}
