/**
 * The vector kernels on float16 tensors (max_pool_tiled, max_pool_overlap_tiled,
 * max_pool_channels_last, max_unpool_tiled, max_unpool_channels_last, completed by specialiseVectorFloat): halves moved as they
 * are, keys from their 16 bits, whole-word stores. Each geometry is first shown to take the vector
 * kernel on float16 (the plan), then pooling, unpooling from the pooling's own indices and the pooling
 * gradient are compared bit for bit with the CPU reference and with the float32 path on the widened
 * values, on every value kind, in spatial and 'window' indices, on packed storage and, where the
 * adapter has 'shader-f16', native storage (the same kernel text).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgPool, cpu, type IndexFormat, type PoolOptions, type Tensor, type UnpoolOptions } from '../src/index';
import { narrowToFloat16, widenFloat16 } from '../src/float16';
import { LAUNCH_PROFILES } from '../src/launch';
import { resolvePoolGeometry } from '../src/options';
import { planMaxPool, planMaxPoolBackward, type ShaderName } from '../src/plan';
import { expectHalfBitsEqual, expectIntsEqual, guardErrorScopes } from './compare';
import { makeHalfValues, VALUE_KINDS } from './data';

let packed: ArgPool;
let auto: ArgPool;
let gpuLaunch: ArgPool;
beforeAll(async () => {
  packed = await ArgPool.create({ float16Storage: 'packed' });
  auto = await ArgPool.create({ device: packed.device });
  gpuLaunch = await ArgPool.create({ device: packed.device, float16Storage: 'packed', launchProfile: 'gpu' });
});
afterAll(() => packed?.destroy());
guardErrorScopes(() => packed.device);

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const LIMITS = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 };

interface VectorCase {
  shape: number[];
  pool: PoolOptions;
  /** The kernel float16 pooling takes, and the vector kernel its unpooling and gradient take (null: the scatter). */
  kernel: ShaderName;
  unpools: ShaderName | null;
}

const CASES: VectorCase[] = [
  // Windows that tile the input: 2x2, kernel widths 1 and 4, 3-D, several rows per invocation.
  { shape: [2, 3, 8, 16], pool: { kernelSize: 2 }, kernel: 'max_pool_tiled.wgsl', unpools: 'max_unpool_tiled.wgsl' },
  { shape: [1, 2, 8, 16], pool: { kernelSize: [2, 4] }, kernel: 'max_pool_tiled.wgsl', unpools: 'max_unpool_tiled.wgsl' },
  { shape: [1, 3, 6, 8], pool: { kernelSize: [3, 1] }, kernel: 'max_pool_tiled.wgsl', unpools: 'max_unpool_tiled.wgsl' },
  { shape: [1, 2, 4, 6, 8], pool: { kernelSize: 2 }, kernel: 'max_pool_tiled.wgsl', unpools: 'max_unpool_tiled.wgsl' },
  { shape: [2, 3, 64, 32], pool: { kernelSize: 2 }, kernel: 'max_pool_tiled.wgsl', unpools: 'max_unpool_tiled.wgsl' },
  // 1-D: runs of column groups (COLUMNS), a partial last run.
  { shape: [2, 3, 148 * 2], pool: { kernelSize: 2 }, kernel: 'max_pool_tiled.wgsl', unpools: 'max_unpool_tiled.wgsl' },
  // Overlapping 3-wide windows with stride 2: even output widths, the last group half live (width 6).
  { shape: [2, 3, 9, 16], pool: { kernelSize: 3, stride: 2, padding: 1 }, kernel: 'max_pool_overlap_tiled.wgsl', unpools: null },
  { shape: [1, 2, 7, 12], pool: { kernelSize: 3, stride: 2, padding: 1 }, kernel: 'max_pool_overlap_tiled.wgsl', unpools: null },
  { shape: [1, 2, 11, 8], pool: { kernelSize: [2, 3], stride: [3, 2], padding: [1, 1], dilation: [2, 1] }, kernel: 'max_pool_overlap_tiled.wgsl', unpools: null },
  // Channels-last, channels a multiple of 4: padding, overlap, 1-D and 3-D.
  { shape: [2, 6, 8, 8], pool: { kernelSize: 2, layout: 'NHWC' }, kernel: 'max_pool_channels_last.wgsl', unpools: 'max_unpool_channels_last.wgsl' },
  { shape: [1, 6, 9, 12], pool: { kernelSize: [2, 3], layout: 'NHWC' }, kernel: 'max_pool_channels_last.wgsl', unpools: 'max_unpool_channels_last.wgsl' },
  { shape: [1, 7, 9, 4], pool: { kernelSize: 3, stride: 2, padding: 1, layout: 'NHWC' }, kernel: 'max_pool_channels_last.wgsl', unpools: null },
  { shape: [1, 9, 12], pool: { kernelSize: 3, stride: 2, layout: 'NHWC' }, kernel: 'max_pool_channels_last.wgsl', unpools: null },
  { shape: [1, 3, 4, 5, 4], pool: { kernelSize: 2, stride: 1, layout: 'NHWC' }, kernel: 'max_pool_channels_last.wgsl', unpools: null },
  { shape: [2, 4, 6, 8, 4], pool: { kernelSize: 2, layout: 'NHWC' }, kernel: 'max_pool_channels_last.wgsl', unpools: 'max_unpool_channels_last.wgsl' },
];

const FORMATS: IndexFormat[] = ['spatial', 'window'];

function spatialOf(c: VectorCase): number[] {
  return c.pool.layout === 'NHWC' ? c.shape.slice(1, -1) : c.shape.slice(2);
}

async function narrowed(t: Tensor<'float32'>): Promise<Uint16Array> {
  return narrowToFloat16(await t.read());
}

/** Pooling, unpooling from the pooling's own indices, and the pooling gradient of one case on one context. */
async function checkCase(ap: ArgPool, c: VectorCase, kind: (typeof VALUE_KINDS)[number], indexFormat: IndexFormat, seed: number, label: string): Promise<void> {
  const pool = { ...c.pool, indexFormat };
  const bits = makeHalfValues(kind, size(c.shape), seed);
  const host = cpu.maxPool({ data: bits, shape: c.shape }, pool);
  const x16 = ap.tensor(bits, c.shape, 'float16');
  const x32 = ap.tensor(widenFloat16(bits), c.shape);
  const p16 = ap.maxPool(x16, pool);
  const p32 = ap.maxPool(x32, pool);
  const values = await p16.values.readFloat16Bits();
  expectHalfBitsEqual(values, host.values.data as Uint16Array, host.values.shape, `values ${label}`);
  expectHalfBitsEqual(values, await narrowed(p32.values), host.values.shape, `values vs float32 ${label}`);
  const indices = await p16.indices.read();
  expectIntsEqual(indices, host.indices.data, host.indices.shape, `indices ${label}`);

  const options: UnpoolOptions = { kernelSize: pool.kernelSize, stride: pool.stride, padding: pool.padding as UnpoolOptions['padding'], layout: pool.layout, indexFormat, outputSize: spatialOf(c) };
  if (!pool.dilation && !pool.ceilMode) {
    const expected = cpu.maxUnpool(host.values, host.indices, options);
    const u16 = ap.maxUnpool(p16.values, p16.indices, options);
    const u32 = ap.maxUnpool(p32.values, p32.indices, options);
    const got = await u16.readFloat16Bits();
    expectHalfBitsEqual(got, expected.data as Uint16Array, expected.shape, `unpool ${label}`);
    expectHalfBitsEqual(got, await narrowed(u32), expected.shape, `unpool vs float32 ${label}`);
    u16.destroy();
    u32.destroy();
  }

  const grad = makeHalfValues(kind === 'nan' ? 'nan' : 'special', size(host.values.shape), seed + 3);
  const backwardOptions = { ...pool, inputShape: c.shape };
  const expectedBack = cpu.maxPoolBackward({ data: grad, shape: host.values.shape }, host.indices, backwardOptions);
  const g16 = ap.tensor(grad, host.values.shape, 'float16');
  const g32 = ap.tensor(widenFloat16(grad), host.values.shape);
  const b16 = ap.maxPoolBackward(g16, p16.indices, backwardOptions);
  const b32 = ap.maxPoolBackward(g32, p32.indices, backwardOptions);
  const gotBack = await b16.readFloat16Bits();
  expectHalfBitsEqual(gotBack, expectedBack.data as Uint16Array, expectedBack.shape, `pool gradient ${label}`, true);
  expectHalfBitsEqual(gotBack, await narrowed(b32), expectedBack.shape, `pool gradient vs float32 ${label}`);
  for (const t of [x16, x32, p16.values, p16.indices, p32.values, p32.indices, g16, g32, b16, b32]) t.destroy();
}

describe('vector kernels on float16', () => {
  it('each case takes its vector kernel on float16, with no clears; odd overlap widths take the general kernel', () => {
    for (const c of CASES) {
      for (const indexFormat of FORMATS) {
        const g = resolvePoolGeometry('maxPool', c.shape, { ...c.pool, indexFormat });
        for (const float of ['float16-packed', 'float16-native'] as const) {
          const plan = planMaxPool(g, { limits: LIMITS, float, launch: LAUNCH_PROFILES.emulated });
          const what = `${JSON.stringify(c.shape)} ${JSON.stringify(c.pool)} ${indexFormat} ${float}`;
          expect(plan.programs[0].shader, what).toBe(c.kernel);
          expect(plan.programs[0].float, what).toBe(float);
          expect(plan.clears, what).toEqual([]);
          const back = planMaxPoolBackward(g, { limits: LIMITS, float, pooledBy: g });
          const vector = back.programs.map((p) => p.shader).filter((name) => name === 'max_unpool_tiled.wgsl' || name === 'max_unpool_channels_last.wgsl');
          expect(vector, what).toEqual(c.unpools ? [c.unpools] : []);
          if (c.unpools) expect(back.clears.filter((clear) => clear.role === 'gradInput'), what).toEqual([]);
        }
      }
    }
    // Output width 3 (ceil mode): float32 keeps the overlap kernel, float16 cannot store its last pair whole.
    const odd = resolvePoolGeometry('maxPool', [1, 2, 6, 4], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true });
    expect(odd.outSpatial[1]).toBe(3);
    expect(planMaxPool(odd, { limits: LIMITS }).programs[0].shader).toBe('max_pool_overlap_tiled.wgsl');
    expect(planMaxPool(odd, { limits: LIMITS, float: 'float16-packed' }).programs[0].shader).toBe('max_pool.wgsl');
  });

  for (const c of CASES) {
    it(`${c.kernel}: ${JSON.stringify(c.shape)} ${JSON.stringify(c.pool)} on every value kind, spatial and window indices`, async () => {
      const contexts: [string, ArgPool][] = [['packed', packed], ['packed, gpu launch profile', gpuLaunch]];
      if (auto.float16Storage === 'float16-native') contexts.push(['native', auto]);
      let seed = size(c.shape);
      for (const [name, ap] of contexts) {
        for (const kind of VALUE_KINDS) {
          for (const indexFormat of FORMATS) {
            await checkCase(ap, c, kind, indexFormat, seed++, `${name} ${kind} ${indexFormat} ${JSON.stringify(c.shape)} ${JSON.stringify(c.pool)}`);
          }
        }
      }
    });
  }
});
