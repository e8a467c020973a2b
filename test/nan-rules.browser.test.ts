/**
 * The `nan` option of max pooling on the GPU against the CPU reference, bit for bit: every pooling
 * kernel family (tiled 2-D, tiled 1-D column runs, tiled 3-D, the 3x3/2 overlap kernel, global
 * pooling (under the 'gpu' launch profile, the only one it runs under), channels-last with and without TILES, the general kernel), every rule, float32 and float16 (packed, and native
 * where the adapter has 'shader-f16'), on the specialised kernels and on the general ones. Inputs hold
 * NaNs of both signs with payloads at a quarter of the positions, so windows start with a NaN, hold
 * one later, or hold only NaN; each case is first shown to take its kernel family and to tell the
 * rules apart on the CPU (so a kernel that ignored the rule would fail).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgPool, cpu, type NanRule, type PoolOptions } from 'argpool';
import { LAUNCH_PROFILES, type LaunchProfileName } from '../src/launch';
import { resolvePoolGeometry } from '../src/options';
import { planMaxPool, type ShaderName } from '../src/plan';
import { expectBitsEqual, expectHalfBitsEqual, expectIntsEqual, guardErrorScopes } from './compare';
import { rng } from './data';

let specialised: ArgPool;
let general: ArgPool;
let native: ArgPool;
/** The same contexts under the 'gpu' launch profile, for the kernels that run only under it. */
let specialisedGpu: ArgPool;
let nativeGpu: ArgPool;
beforeAll(async () => {
  specialised = await ArgPool.create({ float16Storage: 'packed', launchProfile: 'emulated' });
  const device = specialised.device;
  general = await ArgPool.create({ device, specialisedKernels: false, float16Storage: 'packed' });
  native = await ArgPool.create({ device, launchProfile: 'emulated' });
  specialisedGpu = await ArgPool.create({ device, float16Storage: 'packed', launchProfile: 'gpu' });
  nativeGpu = await ArgPool.create({ device, launchProfile: 'gpu' });
});
afterAll(() => specialised?.destroy());
guardErrorScopes(() => specialised.device);

const RULES: NanRule[] = ['propagate', 'ignore', 'first'];
const LIMITS = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 };
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

interface RuleCase {
  shape: number[];
  pool: PoolOptions;
  kernel: ShaderName;
  /** The launch profile the kernel runs under ('emulated' unless said). */
  launch?: LaunchProfileName;
}

const CASES: RuleCase[] = [
  { shape: [2, 3, 8, 16], pool: { kernelSize: 2 }, kernel: 'max_pool_tiled.wgsl' },
  { shape: [2, 3, 296], pool: { kernelSize: 2 }, kernel: 'max_pool_tiled.wgsl' },
  { shape: [1, 2, 4, 6, 8], pool: { kernelSize: 2 }, kernel: 'max_pool_tiled.wgsl' },
  { shape: [2, 3, 9, 16], pool: { kernelSize: 3, stride: 2, padding: 1 }, kernel: 'max_pool_overlap_tiled.wgsl' },
  { shape: [1, 7, 9, 4], pool: { kernelSize: 3, stride: 2, padding: 1, layout: 'NHWC' }, kernel: 'max_pool_channels_last.wgsl' },
  { shape: [2, 6, 8, 8], pool: { kernelSize: 2, layout: 'NHWC' }, kernel: 'max_pool_channels_last.wgsl' },
  { shape: [2, 3, 12, 12], pool: { kernelSize: 12 }, kernel: 'max_pool_global.wgsl', launch: 'gpu' },
  { shape: [1, 70, 70, 3], pool: { kernelSize: 70, layout: 'NHWC' }, kernel: 'max_pool_global.wgsl', launch: 'gpu' },
  { shape: [2, 3, 7, 9], pool: { kernelSize: 3, stride: 2, padding: 1 }, kernel: 'max_pool.wgsl' },
  { shape: [1, 2, 5, 6, 7], pool: { kernelSize: [2, 3, 2], stride: [1, 2, 2], padding: [1, 1, 0], dilation: [1, 1, 2] }, kernel: 'max_pool.wgsl' },
];

const F32_NANS = [0x7fc00000, 0xffc00000, 0x7f800001, 0xff812345, 0x7fffffff];
const F16_NANS = [0x7e00, 0xfe00, 0x7c01, 0xfd23, 0x7fff];

/**
 * Random values in [-4, 4) with a NaN (one of several bit patterns) at about a quarter of the
 * positions, and at the first, so that the first window starts with a NaN in either layout.
 */
function float32WithNaNs(length: number, seed: number): Float32Array {
  const next = rng(seed);
  const data = new Float32Array(length);
  const bits = new Uint32Array(data.buffer);
  for (let i = 0; i < length; i++) {
    if (i === 0 || next() < 0.25) bits[i] = F32_NANS[Math.floor(next() * F32_NANS.length)];
    else data[i] = Math.floor(next() * 64) / 8 - 4;
  }
  return data;
}

/** The same kind of values as float16 bits (every value in [-4, 4) in steps of 1/8 is exact). */
function float16WithNaNs(length: number, seed: number): Uint16Array {
  const next = rng(seed);
  const bits = new Uint16Array(length);
  for (let i = 0; i < length; i++) {
    if (i === 0 || next() < 0.25) bits[i] = F16_NANS[Math.floor(next() * F16_NANS.length)];
    else bits[i] = cpu.numberToFloat16Bits(Math.floor(next() * 64) / 8 - 4);
  }
  return bits;
}

const describeCase = (c: RuleCase) => `${JSON.stringify(c.shape)} ${JSON.stringify(c.pool)}`;

describe('max pooling NaN rules on the GPU', () => {
  it('each case takes its kernel family on float32 and float16, and the rules give different answers on its input', () => {
    for (const c of CASES) {
      for (const nan of RULES) {
        const g = resolvePoolGeometry('maxPool', c.shape, { ...c.pool, nan });
        for (const float of ['float32', 'float16-packed', 'float16-native'] as const) {
          const plan = planMaxPool(g, { limits: LIMITS, float, launch: LAUNCH_PROFILES[c.launch ?? 'emulated'] });
          expect(plan.programs[0].shader, `${describeCase(c)} ${nan} ${float}`).toBe(c.kernel);
          expect(plan.programs[0].constants.NAN_RULE, `${describeCase(c)} ${nan}`).toBe(RULES.indexOf(nan));
        }
      }
      const data = float32WithNaNs(size(c.shape), size(c.shape));
      const answers = RULES.map((nan) => cpu.maxPool({ data, shape: c.shape }, { ...c.pool, nan }).indices.data.join());
      expect(new Set(answers).size, describeCase(c)).toBe(3);
    }
  });

  for (const c of CASES) {
    it(`${c.kernel}: ${describeCase(c)}, every rule, float32 and float16, specialised and general kernels`, async () => {
      const onGpuProfile = c.launch === 'gpu';
      const contexts: [string, ArgPool][] = [['specialised', onGpuProfile ? specialisedGpu : specialised], ['general', general]];
      if (native.float16Storage === 'float16-native') contexts.push(['native float16', onGpuProfile ? nativeGpu : native]);
      const seed = size(c.shape) + 7;
      const x32 = float32WithNaNs(size(c.shape), seed);
      const x16 = float16WithNaNs(size(c.shape), seed);
      for (const nan of RULES) {
        const pool = { ...c.pool, nan };
        const expected32 = cpu.maxPool({ data: x32, shape: c.shape }, pool);
        const expected16 = cpu.maxPool({ data: x16, shape: c.shape }, pool);
        for (const [name, ap] of contexts) {
          const label = `${name} ${nan} ${describeCase(c)}`;
          if (name !== 'native float16') {
            const input = ap.tensor(x32, c.shape);
            const { values, indices } = ap.maxPool(input, pool);
            expectBitsEqual(await values.read(), expected32.values.data, expected32.values.shape, `float32 values ${label}`);
            expectIntsEqual(await indices.read(), expected32.indices.data, expected32.indices.shape, `float32 indices ${label}`);
            for (const t of [input, values, indices]) t.destroy();
          }
          const input16 = ap.tensor(x16, c.shape, 'float16');
          const half = ap.maxPool(input16, pool);
          expectHalfBitsEqual(await half.values.readFloat16Bits(), expected16.values.data as Uint16Array, expected16.values.shape, `float16 values ${label}`);
          expectIntsEqual(await half.indices.read(), expected16.indices.data, expected16.indices.shape, `float16 indices ${label}`);
          for (const t of [input16, half.values, half.indices]) t.destroy();
        }
      }
    });
  }
});
