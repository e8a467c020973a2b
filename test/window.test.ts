/** 'window' indices without a GPU: the CPU reference on hand-derived cases, the option checks, and the plans. */
import { describe, expect, it } from 'vitest';
import { cpu } from 'argpool';
import { resolvePoolBackwardGeometry, resolvePoolGeometry, resolveUnpoolGeometry, type PoolOptions } from '../src/options';
import { planMaxPool, planMaxPoolBackward, planMaxUnpool, planMaxUnpoolBackward, type PlanLimits } from '../src/plan';

const limits: PlanLimits = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };
const window = { indexFormat: 'window' } as const;

describe("the CPU reference with indexFormat 'window'", () => {
  it('numbers taps in window order, counting taps over padding', () => {
    // 4x4 input counting down: each window's maximum is its first in-bounds element.
    const data = Float32Array.from({ length: 16 }, (_, i) => 15 - i);
    const options: PoolOptions = { kernelSize: 3, stride: 2, padding: 1, ...window };
    const { values, indices } = cpu.maxPool({ data, shape: [1, 1, 4, 4] }, { ...options, indexFormat: 'window' });
    expect(indices.data).toBeInstanceOf(Uint8Array);
    // Output (0, 0) covers rows and columns -1..1, so input (0, 0) is tap (1, 1) = 4; (0, 1): input
    // (0, 1) is tap (1, 0) = 3; (1, 0): input (1, 0) is tap (0, 1) = 1; (1, 1): input (1, 1) is tap 0.
    expect(Array.from(indices.data)).toEqual([4, 3, 1, 0]);
    expect(Array.from(values.data)).toEqual([15, 14, 11, 10]);
    expect(Array.from(cpu.maxPool({ data, shape: [1, 1, 4, 4] }, { ...options, indexFormat: 'spatial' }).indices.data)).toEqual([0, 1, 4, 5]);
  });

  it('follows dilation in 1-D and depth, row, column order in 3-D, in either layout', () => {
    const dilated = cpu.maxPool({ data: new Float32Array([0, 9, 1, 8, 2]), shape: [1, 1, 5] }, { kernelSize: 2, dilation: 2, stride: 1, ...window });
    // Windows {0, 2}, {1, 3}, {2, 4}: maxima 1 (tap 1), 9 (tap 0), 2 (tap 1).
    expect(Array.from(dilated.indices.data)).toEqual([1, 0, 1]);
    const cube = new Float32Array(8);
    cube[(1 * 2 + 0) * 2 + 1] = 5; // depth 1, row 0, column 1
    expect(Array.from(cpu.maxPool3d({ data: cube, shape: [1, 1, 2, 2, 2] }, { kernelSize: 2, ...window }).indices.data)).toEqual([5]);
    // Channels-last: two channels, maxima at different taps.
    const nhwc = new Float32Array([1, 0, 0, 0, 0, 0, 0, 1]); // [1, 2, 2, 2]: channel 0 peaks at (0, 0), channel 1 at (1, 1)
    expect(Array.from(cpu.maxPool2d({ data: nhwc, shape: [1, 2, 2, 2] }, { kernelSize: 2, layout: 'NHWC', ...window }).indices.data)).toEqual([0, 3]);
  });

  it('unpools and takes both gradients through taps as through spatial indices', () => {
    const values = { data: new Float32Array([1, 2, 3, 4]), shape: [1, 1, 2, 2] };
    const taps = { data: new Uint8Array([4, 3, 1, 0]), shape: [1, 1, 2, 2] };
    const options = { kernelSize: 3, stride: 2, padding: 1, outputSize: [4, 4], ...window };
    const unpooled = cpu.maxUnpool(values, taps, options);
    const expected = new Float32Array(16);
    [0, 1, 4, 5].forEach((p, k) => (expected[p] = k + 1));
    expect(Array.from(unpooled.data)).toEqual(Array.from(expected));
    const grad = { data: Float32Array.from({ length: 16 }, (_, i) => i), shape: [1, 1, 4, 4] };
    expect(Array.from(cpu.maxUnpoolBackward(grad, taps, options).data)).toEqual([0, 1, 4, 5]);
    const poolGrad = cpu.maxPoolBackward(values, taps, { kernelSize: 3, stride: 2, padding: 1, inputShape: [1, 1, 4, 4], ...window });
    expect(Array.from(poolGrad.data)).toEqual(Array.from(expected));
  });

  it('reports the first invalid tap: past the kernel volume, or over padding', () => {
    const values = { data: new Float32Array(4), shape: [1, 1, 2, 2] };
    const options = { kernelSize: 3, stride: 2, padding: 1, outputSize: [4, 4], ...window };
    expect(() => cpu.maxUnpool(values, { data: new Uint8Array([4, 3, 9, 0]), shape: [1, 1, 2, 2] }, options)).toThrow(
      'maxUnpool2d: Found an invalid window index 9 at indices[0, 0, 1, 0] (a window has 9 taps, and the tap must lie inside the unpooled output of spatial size [4, 4])',
    );
    // Tap 0 of output (0, 0) is input (-1, -1): padding.
    expect(() => cpu.maxUnpool(values, { data: new Uint8Array([0, 3, 1, 200]), shape: [1, 1, 2, 2] }, options)).toThrow(
      /invalid window index 0 at indices\[0, 0, 0, 0\]/,
    );
    // Tap 8 of output (1, 1) is input (3, 3): inside a 4x4 output, outside a 3x3 one.
    expect(() => cpu.maxUnpool(values, { data: new Uint8Array([4, 4, 4, 8]), shape: [1, 1, 2, 2] }, { ...options, outputSize: [3, 3] })).toThrow(
      /invalid window index 8 at indices\[0, 0, 1, 1\].*spatial size \[3, 3\]/,
    );
    expect(() =>
      cpu.maxPoolBackward(values, { data: new Uint8Array([4, 3, 1, 2]), shape: [1, 1, 2, 2] }, { kernelSize: 3, stride: 2, padding: 1, inputShape: [1, 1, 3, 3], ...window }),
    ).toThrow(/maxPoolBackward2d: Found an invalid window index 2 at indices\[0, 0, 1, 1\] .*pooling input of spatial size \[3, 3\]/);
  });

  it('takes taps only as a Uint8Array, and a Uint8Array only as taps', () => {
    const values = { data: new Float32Array(4), shape: [1, 1, 2, 2] };
    expect(() => cpu.maxUnpool(values, { data: new Int32Array(4), shape: [1, 1, 2, 2] }, { kernelSize: 2, ...window })).toThrow(
      "maxUnpool2d: indices data must be a Uint8Array for indexFormat 'window', got Int32Array",
    );
    expect(() => cpu.maxUnpool(values, { data: new Uint8Array(4), shape: [1, 1, 2, 2] }, { kernelSize: 2 })).toThrow(
      'maxUnpool2d: indices data must be an Int32Array or a BigInt64Array, got Uint8Array',
    );
  });
});

describe("options with indexFormat 'window'", () => {
  it('allow kernel volumes up to 256 and refuse larger ones, naming the volume', () => {
    expect(resolvePoolGeometry('maxPool', [1, 1, 16, 16], { kernelSize: 16, ...window }).indexFormat).toBe('window');
    expect(() => resolvePoolGeometry('maxPool', [1, 1, 300], { kernelSize: 257, ...window })).toThrow(
      "maxPool1d: indexFormat 'window' stores uint8 taps, so the kernel volume must be at most 256; kernelSize [257] has 257 taps",
    );
    expect(() => resolveUnpoolGeometry('maxUnpool', [1, 1, 2, 2, 2], [1, 1, 2, 2, 2], { kernelSize: 7, ...window })).toThrow(/343 taps/);
  });

  it('give unpooling a dilation (default 1), checked like the pooling one', () => {
    expect(resolveUnpoolGeometry('maxUnpool', [1, 1, 3], [1, 1, 3], { kernelSize: 2, dilation: 3, ...window }).dilation).toEqual([3]);
    expect(resolveUnpoolGeometry('maxUnpool', [1, 1, 3, 3], [1, 1, 3, 3], { kernelSize: 2 }).dilation).toEqual([1, 1]);
    expect(() => resolveUnpoolGeometry('maxUnpool', [1, 1, 3], [1, 1, 3], { kernelSize: 2, dilation: 0 })).toThrow(/dilation must be positive integers/);
  });
});

describe("plans with indexFormat 'window'", () => {
  const pool = resolvePoolGeometry('maxPool', [1, 3, 9, 9], { kernelSize: 3, stride: 2, padding: 1, ...window });
  const shaders = (plan: { programs: { shader: string }[] }) => plan.programs.map((p) => p.shader);

  it('pooling packs the spatial indices into taps, four to a word', () => {
    const plan = planMaxPool(pool, { limits });
    expect(shaders(plan)).toEqual(['max_pool.wgsl', 'window_indices_pack.wgsl']);
    // 3 * 5 * 5 = 75 taps: 80 bytes (whole 16-byte blocks).
    expect(plan.needs.find((n) => n.role === 'indices')!.bytes).toBe(80);
    expect(plan.scratch.find((s) => s.role === 'spatialIndices')!.bytes).toBe(300);
  });

  it('reading taps unpacks them first and reports faults with the packed tap, unless they come from the same pooling', () => {
    const unpool = resolveUnpoolGeometry('maxUnpool', [1, 3, 5, 5], [1, 3, 5, 5], { kernelSize: 3, stride: 2, padding: 1, outputSize: [9, 9], ...window });
    const general = planMaxUnpool(unpool, { limits });
    expect(shaders(general)).toEqual(['window_indices_unpack.wgsl', 'max_unpool_claim.wgsl', 'max_unpool_write.wgsl', 'index_fault.wgsl']);
    expect(general.programs[3].constants).toEqual({ PACKED_BYTES: 1 });
    expect(general.programs[1].bindings).toContain('spatialIndices');
    expect(general.needs.find((n) => n.role === 'indices')!.bytes).toBe(80);
    // From the same pooling: the scatter reads the taps directly; not when the unpooling's windows
    // differ, nor on the general kernels.
    const gather = planMaxUnpool(unpool, { limits, pooledBy: pool });
    expect(shaders(gather)).toEqual(['window_scatter.wgsl']);
    expect(gather.programs[0].constants.WINDOW_TAPS).toBe(1);
    expect(gather.programs[0].bindings).toContain('indices');
    const otherWindows = resolveUnpoolGeometry('maxUnpool', [1, 3, 5, 5], [1, 3, 5, 5], { kernelSize: 3, stride: 2, padding: 1, dilation: 1, outputSize: [9, 9], ...window });
    expect(shaders(planMaxUnpool(otherWindows, { limits, pooledBy: { ...pool, dilation: [2, 2] } }))).toContain('max_unpool_claim.wgsl');
    expect(shaders(planMaxUnpool(unpool, { limits, pooledBy: pool, specialised: false }))).toContain('max_unpool_claim.wgsl');

    const backward = resolvePoolBackwardGeometry([1, 3, 5, 5], [1, 3, 5, 5], { kernelSize: 3, stride: 2, padding: 1, inputShape: [1, 3, 9, 9], ...window });
    expect(shaders(planMaxPoolBackward(backward, { limits }))).toEqual([
      'window_indices_unpack.wgsl', 'max_pool_backward_check.wgsl', 'window_scatter.wgsl', 'index_fault.wgsl',
    ]);
    expect(shaders(planMaxPoolBackward(backward, { limits, pooledBy: pool }))).toEqual(['window_scatter.wgsl']);
    expect(shaders(planMaxUnpoolBackward(unpool, { limits }))).toEqual(['window_indices_unpack.wgsl', 'max_unpool_backward.wgsl', 'index_fault.wgsl']);

    // Windows that tile the input: the tiled kernel reads taps from the same pooling as they are.
    const tiling = resolvePoolGeometry('maxPool', [1, 2, 8, 16], { kernelSize: 2, ...window });
    const tiledUnpool = resolveUnpoolGeometry('maxUnpool', [1, 2, 4, 8], [1, 2, 4, 8], { kernelSize: 2, ...window });
    const tiled = planMaxUnpool(tiledUnpool, { limits, pooledBy: tiling });
    expect(shaders(tiled)).toEqual(['max_unpool_tiled.wgsl']);
    expect(tiled.programs[0].constants.WINDOW_TAPS).toBe(1);
    const tiledBackward = resolvePoolBackwardGeometry([1, 2, 4, 8], [1, 2, 4, 8], { kernelSize: 2, inputShape: [1, 2, 8, 16], ...window });
    expect(shaders(planMaxPoolBackward(tiledBackward, { limits, pooledBy: tiling }))).toEqual(['max_unpool_tiled.wgsl']);

    // Channels-last windows that tile the input, four channels to a word of taps: the same.
    const lastTiling = resolvePoolGeometry('maxPool', [1, 8, 16, 4], { kernelSize: 2, layout: 'NHWC', ...window });
    const lastUnpool = resolveUnpoolGeometry('maxUnpool', [1, 4, 8, 4], [1, 4, 8, 4], { kernelSize: 2, layout: 'NHWC', ...window });
    const last = planMaxUnpool(lastUnpool, { limits, pooledBy: lastTiling });
    expect(shaders(last)).toEqual(['max_unpool_channels_last.wgsl']);
    expect(last.programs[0].constants.WINDOW_TAPS).toBe(1);
    expect(last.clears.map((c) => c.role)).toEqual(['status']);
    const lastBackward = resolvePoolBackwardGeometry([1, 4, 8, 4], [1, 4, 8, 4], { kernelSize: 2, layout: 'NHWC', inputShape: [1, 8, 16, 4], ...window });
    expect(shaders(planMaxPoolBackward(lastBackward, { limits, pooledBy: lastTiling }))).toEqual(['max_unpool_channels_last.wgsl']);
    // Three channels: no whole vec4 per position, so the scatter.
    const oddChannels = resolvePoolGeometry('maxPool', [1, 8, 16, 3], { kernelSize: 2, layout: 'NHWC', ...window });
    const oddUnpool = resolveUnpoolGeometry('maxUnpool', [1, 4, 8, 3], [1, 4, 8, 3], { kernelSize: 2, layout: 'NHWC', ...window });
    expect(shaders(planMaxUnpool(oddUnpool, { limits, pooledBy: oddChannels }))).toEqual(['window_scatter.wgsl']);
  });
});
