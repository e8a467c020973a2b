/**
 * Global max pooling (the window is the whole input) on max_pool_global.wgsl, one workgroup per plane
 * reducing in workgroup memory, against the CPU reference bit for bit: every value kind (ties, where
 * the first maximum must win whichever invocation holds it; NaN; windows of only -inf; subnormals and
 * signed zeros), every index format, both layouts, ranks 1 to 3, planes that fill one workgroup, that
 * do not divide into the workgroup, and that take the large workgroup; the unpooling and the gradient
 * of its indices; and more planes than one grid dimension holds. The kernel runs under the 'gpu'
 * launch profile only, so the context forces that profile on this adapter. Each geometry is first
 * shown to take the kernel, and the small planes, and every plane under the 'emulated' profile, the
 * general kernel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgPool, cpu, type IndexFormat, type Layout, type PoolOptions } from 'argpool';
import { LAUNCH_PROFILES } from '../src/launch';
import { resolvePoolGeometry } from '../src/options';
import { planMaxPool } from '../src/plan';
import { expectBitsEqual, expectHalfBitsEqual, expectIntsEqual, expectSumBitsEqual, guardErrorScopes } from './compare';
import { makeHalfValues, makeValues, VALUE_KINDS } from './data';

let ap: ArgPool;
beforeAll(async () => {
  ap = await ArgPool.create({ float16Storage: 'packed', launchProfile: 'gpu' });
});
afterAll(() => ap?.destroy());
guardErrorScopes(() => ap.device);

const LIMITS = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 };
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** [spatial size, layout]: 64 (one small workgroup), 65 and 5000 (a ragged last step), 4096 (the large workgroup). */
const GEOMETRIES: [number[], Layout][] = [
  [[8, 8], 'NCHW'],
  [[5, 13], 'NHWC'],
  [[65], 'NCHW'],
  [[64, 64], 'NCHW'],
  [[50, 100], 'NHWC'],
  [[4, 5, 6], 'NCHW'],
  [[3, 4, 7], 'NHWC'],
];

function shapeOf(spatial: number[], layout: Layout, batch = 2, channels = 3): number[] {
  return layout === 'NHWC' ? [batch, ...spatial, channels] : [batch, channels, ...spatial];
}

describe('global max pooling', () => {
  it("takes max_pool_global.wgsl under the 'gpu' profile where the window is the whole input of 64 elements or more, and the general kernel below and under the 'emulated' profile", () => {
    const gpu = { limits: LIMITS, launch: LAUNCH_PROFILES.gpu };
    expect(ap.launchProfile.name).toBe('gpu');
    for (const [spatial, layout] of GEOMETRIES) {
      const g = resolvePoolGeometry('maxPool', shapeOf(spatial, layout), { kernelSize: spatial, layout });
      const plan = planMaxPool(g, gpu);
      expect(plan.programs[0].shader, JSON.stringify(spatial)).toBe('max_pool_global.wgsl');
      expect(plan.programs[0].constants.WORKGROUP_SIZE).toBe(size(spatial) >= 4096 ? 256 : 64);
      const emulated = planMaxPool(g, { limits: LIMITS, launch: LAUNCH_PROFILES.emulated });
      expect(emulated.programs[0].shader, JSON.stringify(spatial)).toBe('max_pool.wgsl');
    }
    const small = resolvePoolGeometry('maxPool', [1, 2, 7, 9], { kernelSize: [7, 9] });
    expect(planMaxPool(small, gpu).programs[0].shader).toBe('max_pool.wgsl');
    const padded = resolvePoolGeometry('maxPool', [1, 2, 9, 9], { kernelSize: 9, stride: 1, padding: 4 });
    expect(padded.outSpatial).toEqual([9, 9]);
    expect(planMaxPool(padded, gpu).programs[0].shader).not.toBe('max_pool_global.wgsl');
  });

  for (const [spatial, layout] of GEOMETRIES) {
    it(`pools ${JSON.stringify(spatial)} ${layout} planes bit for bit on every value kind and index format, float32 and float16`, async () => {
      const shape = shapeOf(spatial, layout);
      const formats: IndexFormat[] = size(spatial) <= 256 ? ['spatial', 'flat', 'flat-no-batch', 'window'] : ['spatial', 'flat', 'flat-no-batch'];
      let seed = size(shape);
      for (const kind of VALUE_KINDS) {
        for (const indexFormat of formats) {
          const pool: PoolOptions = { kernelSize: spatial, layout, indexFormat };
          const label = `${kind} ${indexFormat} ${JSON.stringify(shape)}`;
          const data = makeValues(kind, size(shape), seed++);
          const ref = cpu.maxPool({ data, shape }, pool);
          const x = ap.tensor(data, shape);
          const { values, indices } = ap.maxPool(x, pool);
          expectBitsEqual(await values.read(), ref.values.data, ref.values.shape, `values ${label}`);
          expectIntsEqual(await indices.read(), ref.indices.data, ref.indices.shape, `indices ${label}`);
          const half = makeHalfValues(kind, size(shape), seed++);
          const refHalf = cpu.maxPool({ data: half, shape }, pool);
          const x16 = ap.tensor(half, shape, 'float16');
          const pooled16 = ap.maxPool(x16, pool);
          expectHalfBitsEqual(await pooled16.values.readFloat16Bits(), refHalf.values.data, refHalf.values.shape, `float16 values ${label}`);
          expectIntsEqual(await pooled16.indices.read(), refHalf.indices.data, refHalf.indices.shape, `float16 indices ${label}`);
          for (const t of [x, values, indices, x16, pooled16.values, pooled16.indices]) t.destroy();
        }
      }
    });
  }

  it('unpools and takes the gradient of its indices as the CPU reference does', async () => {
    const shape = [2, 3, 20, 30];
    const pool: PoolOptions = { kernelSize: [20, 30] };
    const data = makeValues('ties', size(shape), 7);
    const ref = cpu.maxPool({ data, shape }, pool);
    const x = ap.tensor(data, shape);
    const { values, indices } = ap.maxPool(x, pool);
    const unpoolOptions = { kernelSize: [20, 30], outputSize: [20, 30] };
    const up = ap.maxUnpool(values, indices, unpoolOptions);
    const expectedUp = cpu.maxUnpool(ref.values, ref.indices, unpoolOptions);
    expectBitsEqual(await up.read(), expectedUp.data, expectedUp.shape, 'unpooled');
    const grad = makeValues('special', ref.values.data.length, 8);
    const g = ap.tensor(grad, ref.values.shape);
    const back = ap.maxPoolBackward(g, indices, { ...pool, inputShape: shape });
    const expectedBack = cpu.maxPoolBackward({ data: grad, shape: ref.values.shape }, ref.indices, { ...pool, inputShape: shape });
    expectSumBitsEqual(await back.read(), expectedBack.data, expectedBack.shape, 'gradient');
    for (const t of [x, values, indices, up, g, back]) t.destroy();
  });

  it('pools more planes than one grid dimension holds (a folded grid of workgroups)', async () => {
    const shape = [1, 70_000, 8, 8];
    const pool: PoolOptions = { kernelSize: 8 };
    const g = resolvePoolGeometry('maxPool', shape, pool);
    const plan = planMaxPool(g, { limits: ap.device.limits, launch: ap.launchProfile });
    expect(plan.programs[0].shader).toBe('max_pool_global.wgsl');
    expect(plan.programs[0].grid[1]).toBeGreaterThan(1);
    const data = makeValues('random', size(shape), 9);
    const ref = cpu.maxPool({ data, shape }, pool);
    const x = ap.tensor(data, shape);
    const { values, indices } = ap.maxPool(x, pool);
    expectBitsEqual(await values.read(), ref.values.data, ref.values.shape, 'values');
    expectIntsEqual(await indices.read(), ref.indices.data, ref.indices.shape, 'indices');
    for (const t of [x, values, indices]) t.destroy();
  });
});
