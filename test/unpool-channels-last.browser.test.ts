/**
 * max_unpool_channels_last.wgsl: unpooling and the pooling gradient of channels-last poolings whose
 * windows tile the input (channels a multiple of 4), from the pooling's own indices. Each shape is
 * first shown to take the kernel (the plan); then both operations are compared bit for bit with the
 * CPU reference on every value kind and index format, gradients with -0 and NaN included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgPool, cpu, type IndexFormat, type PoolOptions, type UnpoolOptions } from '../src/index';
import { resolvePoolGeometry, resolveUnpoolGeometry } from '../src/options';
import { planMaxPoolBackward, planMaxUnpool } from '../src/plan';
import { expectBitsEqual, expectSumBitsEqual, guardErrorScopes } from './compare';
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

describe('channels-last unpooling and gradient of windows that tile the input', () => {
  it('takes max_unpool_channels_last.wgsl, with no clear of its result, in every index format', () => {
    for (const { shape, kernelSize } of CASES) {
      for (const indexFormat of FORMATS) {
        const pool: PoolOptions = { kernelSize, layout: 'NHWC', indexFormat };
        const g = resolvePoolGeometry('maxPool', shape, pool);
        const pooledShape = [shape[0], ...g.outSpatial, shape.at(-1)!];
        const unpool = resolveUnpoolGeometry('maxUnpool', pooledShape, pooledShape, { kernelSize, layout: 'NHWC', indexFormat, outputSize: shape.slice(1, -1) });
        const what = `${JSON.stringify(shape)} k${JSON.stringify(kernelSize)} ${indexFormat}`;
        for (const plan of [planMaxUnpool(unpool, { limits: LIMITS, pooledBy: g }), planMaxPoolBackward(g, { limits: LIMITS, pooledBy: g })]) {
          expect(plan.programs.map((p) => p.shader), what).toEqual(['max_unpool_channels_last.wgsl']);
          expect(plan.clears.map((c) => c.role), what).toEqual(['status']);
        }
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
