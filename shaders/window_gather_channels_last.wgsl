// Window gather for channels-last tensors whose channel count is a multiple of 4: window_gather.wgsl
// (read it first: the two operations, the order and exactness of the sum, the last-match rule) with four adjacent
// channels per invocation. They share every window, so each visited output is one vec4 load of
// values and one of indices, and the result one vec4 store.
//
// Grid: x = group of four channels, y = column, z = (n * in_d + depth) * ceil(in_h / ROWS) + group of
//   ROWS rows; every dimension walks in steps of the grid's size along it (grid-stride loops). The rows of a group share the column's candidate
//   windows. Layout [N, D, H, W, C]; lane j is channel 4*x + j.
// Prepended by the host: params.wgsl and layout.wgsl.

override WORKGROUP_X: u32 = 8u;
override WORKGROUP_Y: u32 = 8u;
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

@group(0) @binding(0) var<uniform> params: PoolParams;
@group(0) @binding(1) var<storage, read> pooled: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> indices: array<vec4<i32>>;
@group(0) @binding(3) var<storage, read_write> result: array<vec4<u32>>;

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let lanes = params.channels / 4u;
  let in_volume = params.in_d * params.in_h * params.in_w;
  let out_volume = params.out_d * params.out_h * params.out_w;
  let batch = params.total / (out_volume * params.channels);
  let row_groups = (params.in_h + ROWS - 1u) / ROWS;
  for (var lane = gid.x; lane < lanes; lane += groups.x * WORKGROUP_X) {
    let c = lane * 4u;
    for (var x = gid.y; x < params.in_w; x += groups.y * WORKGROUP_Y) {
      let range_w = candidate_outputs(x, STRIDE_W, params.pad_w, DILATION_W, KERNEL_W, params.out_w);
      for (var zz = gid.z; zz < batch * params.in_d * row_groups; zz += groups.z) {
        let first_row = (zz % row_groups) * ROWS;
        let z = (zz / row_groups) % params.in_d;
        let n = zz / (row_groups * params.in_d);
        let range_d = candidate_outputs(z, STRIDE_D, params.pad_d, DILATION_D, KERNEL_D, params.out_d);
        for (var y = first_row; y < min(first_row + ROWS, params.in_h); y++) {
          let p = (z * params.in_h + y) * params.in_w + x;
          let want = vec4<i32>(encode_index(Element(n, c, p), params.index_stride_n, params.index_stride_c, params.index_stride_s))
              + vec4<i32>(0, 1, 2, 3) * i32(params.index_stride_c);
          let range_h = candidate_outputs(y, STRIDE_H, params.pad_h, DILATION_H, KERNEL_H, params.out_h);
          var sum = vec4<u32>(0u);
          var found = vec4<bool>(false);
          var last = vec4<u32>(0u);
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
                let k = (n * out_volume + q) * lanes + lane;
                let bits = pooled[k];
                let hit = indices[k] == want;
                let added = add_exact4(sum, bits);
                sum = select(sum, select(first_sum_bits4(bits), added, found), hit);
                found = found | hit;
                last = select(last, bits, hit);
              }
            }
          }
          result[(n * in_volume + p) * lanes + lane] = select(sum, last, LAST_MATCH);
        }
      }
    }
  }
}
