/**
 * Channels-last windows that tile the input (channels a multiple of 4): pooling in
 * max_pool_channels_last.wgsl with TILES, unpooling and the pooling gradient from the pooling's own
 * indices in max_unpool_channels_last.wgsl. Each shape is first shown to take those kernels (the
 * plan); then all three operations are compared bit for bit with the CPU reference on every value
 * kind and index format, gradients with -0 and NaN included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgPool, cpu, type IndexFormat, type PoolOptions, type UnpoolOptions } from '../src/index';
import { LAUNCH_PROFILES } from '../src/launch';
import { resolvePoolGeometry, resolveUnpoolGeometry } from '../src/options';
import { planMaxPool, planMaxPoolBackward, planMaxUnpool } from '../src/plan';
import { expectBitsEqual, expectIntsEqual, expectSumBitsEqual, guardErrorScopes } from './compare';
import { makeValues, VALUE_KINDS } from './data';

let ap: ArgPool;
beforeAll(async () => {
  ap = await ArgPool.create();
});
afterAll(() => ap?.destroy());
guardErrorScopes(() => ap.device);

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const LIMITS = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 };
const FORMATS: IndexFormat[] = ['spatial', 'flat', 'flat-no-batch', 'window'];

// 2-D square and oblong windows, 1-D, 3-D, and 16 channels (several channel groups per position).
const CASES: { shape: number[]; kernelSize: number | number[] }[] = [
  { shape: [2, 8, 8, 8], kernelSize: 2 },
  { shape: [1, 6, 9, 12], kernelSize: [2, 3] },
  { shape: [2, 12, 4], kernelSize: 4 },
  { shape: [1, 4, 6, 8, 4], kernelSize: 2 },
  { shape: [3, 10, 6, 16], kernelSize: [1, 2] },
];

describe('channels-last pooling, unpooling and gradient of windows that tile the input', () => {
  it('pools with TILES and takes max_unpool_channels_last.wgsl, with no clear of its result, in every index format', () => {
    for (const { shape, kernelSize } of CASES) {
      for (const indexFormat of FORMATS) {
        const pool: PoolOptions = { kernelSize, layout: 'NHWC', indexFormat };
        const g = resolvePoolGeometry('maxPool', shape, pool);
        const pooledShape = [shape[0], ...g.outSpatial, shape.at(-1)!];
        const unpool = resolveUnpoolGeometry('maxUnpool', pooledShape, pooledShape, { kernelSize, layout: 'NHWC', indexFormat, outputSize: shape.slice(1, -1) });
        const what = `${JSON.stringify(shape)} k${JSON.stringify(kernelSize)} ${indexFormat}`;
        const pooling = planMaxPool(g, { limits: LIMITS }).programs[0];
        expect([pooling.shader, pooling.constants.TILES], what).toEqual(['max_pool_channels_last.wgsl', 1]);
        for (const plan of [planMaxUnpool(unpool, { limits: LIMITS, pooledBy: g }), planMaxPoolBackward(g, { limits: LIMITS, pooledBy: g })]) {
          expect(plan.programs.map((p) => p.shader), what).toEqual(['max_unpool_channels_last.wgsl']);
          expect(plan.clears.map((c) => c.role), what).toEqual(['status']);
        }
      }
    }
  });

  it('pools several output columns per invocation on large inputs, the last run cut short at the row\'s end', async () => {
    // 8 channel groups x 4 batches x 64 rows x ceil(66 / 8) runs: enough invocations for runs of 8.
    const shape = [4, 128, 132, 32];
    const g = resolvePoolGeometry('maxPool', shape, { kernelSize: 2, layout: 'NHWC' });
    const program = planMaxPool(g, { limits: LIMITS, launch: LAUNCH_PROFILES.emulated }).programs[0];
    expect([program.shader, program.constants.TILES, program.constants.COLUMNS]).toEqual(['max_pool_channels_last.wgsl', 1, 8]);
    expect(g.outSpatial[1] % 8).toBe(2);
    let seed = 5;
    for (const kind of ['ties', 'nan', 'special'] as const) {
      for (const indexFormat of ['flat', 'window'] as const) {
        const pool: PoolOptions = { kernelSize: 2, layout: 'NHWC', indexFormat };
        const data = makeValues(kind, size(shape), seed++);
        const ref = cpu.maxPool({ data, shape }, pool);
        const x = ap.tensor(data, shape);
        const { values, indices } = ap.maxPool(x, pool);
        const label = `${kind} ${indexFormat} ${JSON.stringify(shape)}`;
        expectBitsEqual(await values.read(), ref.values.data as Float32Array, ref.values.shape, `pool values ${label}`);
        expectIntsEqual(await indices.read(), ref.indices.data, ref.indices.shape, `pool indices ${label}`);
        for (const t of [x, values, indices]) t.destroy();
      }
    }
  });

  for (const { shape, kernelSize } of CASES) {
    it(`matches the CPU reference: ${JSON.stringify(shape)} kernel ${JSON.stringify(kernelSize)}, every value kind and index format`, async () => {
      let seed = size(shape);
      for (const kind of VALUE_KINDS) {
        for (const indexFormat of FORMATS) {
          seed++;
          const pool: PoolOptions = { kernelSize, layout: 'NHWC', indexFormat };
          const label = `${kind} ${indexFormat} ${JSON.stringify(shape)} k${JSON.stringify(kernelSize)}`;
          const data = makeValues(kind, size(shape), seed);
          const ref = cpu.maxPool({ data, shape }, pool);
          const x = ap.tensor(data, shape);
          const { values, indices } = ap.maxPool(x, pool);
          expectBitsEqual(await values.read(), ref.values.data as Float32Array, ref.values.shape, `pool values ${label}`);
          expectIntsEqual(await indices.read(), ref.indices.data, ref.indices.shape, `pool indices ${label}`);

          const unpoolOptions: UnpoolOptions = { kernelSize, layout: 'NHWC', indexFormat, outputSize: shape.slice(1, -1) };
          const expected = cpu.maxUnpool(ref.values, ref.indices, unpoolOptions);
          const up = ap.maxUnpool(values, indices, unpoolOptions);
          expectBitsEqual(await up.read(), expected.data as Float32Array, expected.shape, `unpool ${label}`);

          const grad = makeValues(kind === 'nan' ? 'nan' : 'special', ref.values.data.length, seed + 1);
          grad[0] = -0;
          grad[1] = NaN;
          const backward = { ...pool, inputShape: shape };
          const expectedBack = cpu.maxPoolBackward({ data: grad, shape: ref.values.shape }, ref.indices, backward);
          const g = ap.tensor(grad, ref.values.shape);
          const dx = ap.maxPoolBackward(g, indices, backward);
          const got = await dx.read();
          expectSumBitsEqual(got, expectedBack.data as Float32Array, expectedBack.shape, `gradient ${label}`);
          for (const t of [x, values, indices, up, g, dx]) t.destroy();
        }
      }
    });
  }
});
