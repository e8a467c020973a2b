/**
 * max_unpool_overlap_tiled.wgsl: unpooling from the indices of a 3x3/2 pooling with padding 1
 * (channels-first 2-D, input width a multiple of 4), where up to four windows name one element and
 * the last in memory order wins. Each shape is first shown to take the kernel (the plan); then the
 * unpooling is compared bit for bit with the CPU reference on every value kind and index format, in
 * both launch profiles, on float32 and float16, with ceil mode, odd heights and widths of one group.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgPool, cpu, type IndexFormat, type PoolOptions, type UnpoolOptions } from '../src/index';
import { narrowToFloat16, widenFloat16 } from '../src/float16';
import { LAUNCH_PROFILES } from '../src/launch';
import { resolvePoolGeometry, resolveUnpoolGeometry } from '../src/options';
import { planMaxPoolBackward, planMaxUnpool } from '../src/plan';
import { expectBitsEqual, expectHalfBitsEqual, guardErrorScopes } from './compare';
import { makeHalfValues, makeValues, VALUE_KINDS } from './data';

let emulated: ArgPool;
let gpuLaunch: ArgPool;
beforeAll(async () => {
  emulated = await ArgPool.create({ launchProfile: 'emulated', float16Storage: 'packed' });
  gpuLaunch = await ArgPool.create({ device: emulated.device, launchProfile: 'gpu', float16Storage: 'packed' });
});
afterAll(() => emulated?.destroy());
guardErrorScopes(() => emulated.device);

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const LIMITS = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 };
const FORMATS: IndexFormat[] = ['spatial', 'flat', 'flat-no-batch', 'window'];
const STEM: PoolOptions = { kernelSize: 3, stride: 2, padding: 1 };

// Even and odd heights, widths of one and of several groups of four, ceil mode (an extra window row
// and column); then an input large enough for several rows per invocation, the last group of rows
// cut short (fewer kinds and formats: it is large).
const CASES: { shape: number[]; pool: PoolOptions; kinds: readonly (typeof VALUE_KINDS)[number][]; formats: IndexFormat[] }[] = [
  { shape: [2, 3, 8, 8], pool: STEM, kinds: VALUE_KINDS, formats: FORMATS },
  { shape: [1, 2, 9, 4], pool: STEM, kinds: VALUE_KINDS, formats: FORMATS },
  { shape: [1, 3, 7, 12], pool: { ...STEM, ceilMode: true }, kinds: VALUE_KINDS, formats: FORMATS },
  { shape: [2, 2, 10, 16], pool: { ...STEM, ceilMode: true }, kinds: VALUE_KINDS, formats: FORMATS },
  { shape: [1, 16, 130, 128], pool: STEM, kinds: ['ties', 'nan'], formats: ['flat', 'window'] },
];

function unpoolOptions(shape: number[], indexFormat: IndexFormat): UnpoolOptions {
  return { kernelSize: 3, stride: 2, padding: 1, indexFormat, outputSize: shape.slice(2) };
}

describe('unpooling of 3x3/2 windows with padding 1 by gathering', () => {
  it('takes max_unpool_overlap_tiled.wgsl for unpooling from this pooling (not for the gradient), with no clear, in every index format', () => {
    for (const { shape, pool } of CASES) {
      for (const indexFormat of FORMATS) {
        const g = resolvePoolGeometry('maxPool', shape, { ...pool, indexFormat });
        const pooledShape = [shape[0], shape[1], ...g.outSpatial];
        const unpool = resolveUnpoolGeometry('maxUnpool', pooledShape, pooledShape, unpoolOptions(shape, indexFormat));
        const what = `${JSON.stringify(shape)} ${JSON.stringify(pool)} ${indexFormat}`;
        for (const float of [undefined, 'float16-packed', 'float16-native'] as const) {
          const plan = planMaxUnpool(unpool, { limits: LIMITS, pooledBy: g, float });
          expect(plan.programs.map((p) => p.shader), what).toEqual(['max_unpool_overlap_tiled.wgsl']);
          expect(plan.programs[0].constants.WINDOW_TAPS ?? 0, what).toBe(indexFormat === 'window' ? 1 : 0);
          expect(plan.clears.map((c) => c.role), what).toEqual(['status']);
        }
        expect(planMaxPoolBackward(g, { limits: LIMITS, pooledBy: g }).programs.map((p) => p.shader), what).toEqual(['window_scatter.wgsl']);
      }
    }
    // Several rows per invocation on the large case; other windows and widths keep the scatter.
    const large = resolvePoolGeometry('maxPool', [1, 16, 130, 128], STEM);
    const unpoolLarge = resolveUnpoolGeometry('maxUnpool', [1, 16, 65, 64], [1, 16, 65, 64], unpoolOptions([1, 16, 130, 128], 'spatial'));
    expect(planMaxUnpool(unpoolLarge, { limits: LIMITS, pooledBy: large, launch: LAUNCH_PROFILES.emulated }).programs[0].constants.ROWS).toBeGreaterThan(1);
    for (const [shape, pool] of [
      [[1, 2, 8, 10], STEM],
      [[1, 2, 8, 8], { kernelSize: 3, stride: [2, 1], padding: 1 }],
      [[1, 2, 8, 8], { kernelSize: [3, 2], stride: 2, padding: 1 }],
    ] as [number[], PoolOptions][]) {
      const g = resolvePoolGeometry('maxPool', shape, pool);
      const pooledShape = [shape[0], shape[1], ...g.outSpatial];
      const unpool = resolveUnpoolGeometry('maxUnpool', pooledShape, pooledShape, { ...pool, outputSize: shape.slice(2) } as UnpoolOptions);
      expect(planMaxUnpool(unpool, { limits: LIMITS, pooledBy: g }).programs.map((p) => p.shader), JSON.stringify(pool)).toEqual(['window_scatter.wgsl']);
    }
  });

  for (const [name, context] of [['emulated', () => emulated], ['gpu', () => gpuLaunch]] as const) {
    it(`matches the CPU reference on every value kind and index format, float32 and float16 (${name} launch profile)`, async () => {
      const ap = context();
      let seed = 11;
      for (const { shape, pool, kinds, formats } of CASES) {
        for (const kind of kinds) {
          for (const indexFormat of formats) {
            seed++;
            const options = { ...pool, indexFormat };
            const unpool = unpoolOptions(shape, indexFormat);
            const label = `${name} ${kind} ${indexFormat} ${JSON.stringify(shape)} ${JSON.stringify(pool)}`;

            const data = makeValues(kind, size(shape), seed);
            const ref = cpu.maxPool({ data, shape }, options);
            const expected = cpu.maxUnpool(ref.values, ref.indices, unpool);
            const x = ap.tensor(data, shape);
            const pooled = ap.maxPool(x, options);
            const up = ap.maxUnpool(pooled.values, pooled.indices, unpool);
            expectBitsEqual(await up.read(), expected.data as Float32Array, expected.shape, `float32 ${label}`);

            const bits = makeHalfValues(kind, size(shape), seed);
            const refHalf = cpu.maxPool({ data: bits, shape }, options);
            const expectedHalf = cpu.maxUnpool(refHalf.values, refHalf.indices, unpool);
            const x16 = ap.tensor(bits, shape, 'float16');
            const pooled16 = ap.maxPool(x16, options);
            const up16 = ap.maxUnpool(pooled16.values, pooled16.indices, unpool);
            const got16 = await up16.readFloat16Bits();
            expectHalfBitsEqual(got16, expectedHalf.data as Uint16Array, expectedHalf.shape, `float16 ${label}`);
            // The float16 result is the float32 one on the widened values, narrowed.
            const x32 = ap.tensor(widenFloat16(bits), shape);
            const pooled32 = ap.maxPool(x32, options);
            const up32 = ap.maxUnpool(pooled32.values, pooled32.indices, unpool);
            expectHalfBitsEqual(got16, narrowToFloat16(await up32.read()), expectedHalf.shape, `float16 vs float32 ${label}`);
            for (const t of [x, pooled.values, pooled.indices, up, x16, pooled16.values, pooled16.indices, up16, x32, pooled32.values, pooled32.indices, up32]) t.destroy();
          }
        }
      }
    });
  }
});
