/**
 * The scatter (window_scatter.wgsl) on windows that share no element: each pooled element writes its
 * target at once (OVERLAP = false), and on overlapping windows it searches the others. Unpooling and
 * the pooling gradient from a known pooling, against the CPU reference, on every value kind, in both
 * launch profiles, in channels-first shapes that do not tile and in channels-last ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgPool, cpu, type PoolOptions } from '../src/index';
import { resolvePoolGeometry } from '../src/options';
import { planMaxUnpool, type PlanLimits } from '../src/plan';
import { resolveUnpoolGeometry } from '../src/options';
import { expectBitsEqual, expectSumBitsEqual, guardErrorScopes } from './compare';
import { makeValues, VALUE_KINDS } from './data';

let emulated: ArgPool;
let gpuLaunch: ArgPool;
beforeAll(async () => {
  emulated = await ArgPool.create({ launchProfile: 'emulated' });
  gpuLaunch = await ArgPool.create({ device: emulated.device, launchProfile: 'gpu' });
});
afterAll(() => emulated.destroy());
guardErrorScopes(() => emulated.device);

const limits: PlanLimits = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
/** Unpooling takes the pooling's window without ceilMode (the output size says it). */
function unpoolOptions(options: PoolOptions, outputSize: readonly number[]) {
  const { ceilMode: _ceilMode, ...window } = options;
  return { ...window, outputSize: [...outputSize] };
}

// Channels-last windows that tile the input take the scatter only where the channels are not a
// multiple of 4 (otherwise max_unpool_channels_last.wgsl, tested in channels-last-tiles).
const CASES: { shape: number[]; options: PoolOptions; overlap: 0 | 1 }[] = [
  { shape: [2, 8, 8, 6], options: { kernelSize: 2, layout: 'NHWC' }, overlap: 0 },
  { shape: [1, 6, 10, 3], options: { kernelSize: 2, stride: 3, padding: 1, layout: 'NHWC' }, overlap: 0 },
  { shape: [1, 4, 4, 6, 5], options: { kernelSize: 2, layout: 'NHWC' }, overlap: 0 },
  { shape: [2, 3, 9, 10], options: { kernelSize: 3, stride: 3, padding: 1, ceilMode: true }, overlap: 0 },
  { shape: [1, 3, 31], options: { kernelSize: 2, stride: 3, dilation: 2, padding: 1 }, overlap: 0 },
  { shape: [2, 6, 9, 8], options: { kernelSize: 3, stride: 2, padding: 1, layout: 'NHWC' }, overlap: 1 },
];

describe('the scatter behind unpooling and the gradient from a known pooling', () => {
  it('is planned without the search exactly where windows share no element', () => {
    for (const c of CASES) {
      const pool = resolvePoolGeometry('maxPool', c.shape, c.options);
      const unpool = resolveUnpoolGeometry('maxUnpool', pool.layout === 'NHWC' ? [pool.batch, ...pool.outSpatial, pool.channels] : [pool.batch, pool.channels, ...pool.outSpatial],
        pool.layout === 'NHWC' ? [pool.batch, ...pool.outSpatial, pool.channels] : [pool.batch, pool.channels, ...pool.outSpatial], unpoolOptions(c.options, pool.inSpatial));
      const plan = planMaxUnpool(unpool, { limits, pooledBy: pool });
      expect(plan.programs.map((p) => p.shader), JSON.stringify(c)).toEqual(['window_scatter.wgsl']);
      expect(plan.programs[0].constants.OVERLAP, JSON.stringify(c)).toBe(c.overlap);
    }
  });

  for (const [name, context] of [['emulated', () => emulated], ['gpu', () => gpuLaunch]] as const) {
    it(`matches the CPU reference on every value kind (${name} launch profile)`, async () => {
      const ap = context();
      let seed = 1;
      for (const c of CASES) {
        for (const kind of VALUE_KINDS) {
          seed++;
          const data = makeValues(kind, size(c.shape), seed);
          const ref = cpu.maxPool({ data, shape: c.shape }, c.options);
          const spatial = c.options.layout === 'NHWC' ? c.shape.slice(1, -1) : c.shape.slice(2);
          const x = ap.tensor(data, c.shape);
          const { values, indices } = ap.maxPool(x, c.options);
          const label = `${name} ${kind} ${JSON.stringify(c)}`;
          const unpooled = ap.maxUnpool(values, indices, unpoolOptions(c.options, spatial));
          const expectedUnpool = cpu.maxUnpool(ref.values, ref.indices, unpoolOptions(c.options, spatial));
          expectBitsEqual(await unpooled.read(), expectedUnpool.data, expectedUnpool.shape, `unpool ${label}`);
          for (const gradKind of ['special', 'nan', 'ties'] as const) {
            const grad = makeValues(gradKind, ref.values.data.length, seed + 100);
            const g = ap.tensor(grad, ref.values.shape);
            const options = { ...c.options, inputShape: c.shape };
            const expected = cpu.maxPoolBackward({ data: grad, shape: ref.values.shape }, ref.indices, options);
            const dx = ap.maxPoolBackward(g, indices, options);
            expectSumBitsEqual(await dx.read(), expected.data, expected.shape, `gradient (${gradKind}) ${label}`);
            g.destroy();
            dx.destroy();
          }
          for (const t of [x, values, indices, unpooled]) t.destroy();
        }
      }
    });
  }
});
