/** The conformance plan of `argpool check` as data: what it covers, without a GPU. */
import { describe, expect, it } from 'vitest';
import { cpu } from '../src/index';
import { conformancePlan, LARGE_BINDING_BYTES, largestTensorBytes } from '../src/check/plan';
import { makeHalfValues, makeValues } from '../src/check/values';
import { resolvePoolGeometry } from '../src/options';
import { LAUNCH_PROFILES } from '../src/launch';
import { planMaxPool, planMaxPoolBackward } from '../src/plan';

/** The launch profiles a primary context may have (the adapter's); the global kernel runs under 'gpu' only. */
const PROFILES = Object.values(LAUNCH_PROFILES);

const full = conformancePlan();
const quick = conformancePlan({ quick: true });
const spatial = (shape: readonly number[], layout?: string) => (layout === 'NHWC' ? shape.slice(1, -1) : shape.slice(2));

describe('the conformance plan', () => {
  it('names every case uniquely, and quick mode is a part of the full plan without the large tensor', () => {
    expect(new Set(full.map((c) => c.id)).size).toBe(full.length);
    const fullIds = new Set(full.map((c) => c.id));
    for (const c of quick) expect(fullIds.has(c.id), c.id).toBe(true);
    expect(quick.length).toBeLessThan(full.length);
    expect(quick.filter((c) => c.large)).toEqual([]);
    const large = full.filter((c) => c.large);
    expect(large.map((c) => c.id)).toEqual(['size/over-128MiB']);
    expect(largestTensorBytes(large[0])).toBeGreaterThan(LARGE_BINDING_BYTES);
    for (const c of full.filter((c) => !c.large)) expect(largestTensorBytes(c), c.id).toBeLessThanOrEqual(LARGE_BINDING_BYTES);
  });

  it('covers every index format with both layouts in 1-D, 2-D and 3-D, every padding form, ceil mode, dilation and every fill', () => {
    for (const plan of [full, quick]) {
      const seen = new Set(plan.map((c) => `${c.shape.length - 2}d ${c.pool.layout ?? 'NCHW'} ${c.pool.indexFormat ?? 'spatial'}`));
      for (const rank of [1, 2, 3]) {
        for (const layout of ['NCHW', 'NHWC']) {
          for (const format of ['spatial', 'flat', 'flat-no-batch', 'window']) expect(seen.has(`${rank}d ${layout} ${format}`), `${rank}d ${layout} ${format}`).toBe(true);
        }
      }
      const paddings = plan.map((c) => c.pool.padding);
      expect(paddings.some((p) => typeof p === 'number')).toBe(true);
      expect(paddings).toContainEqual([1, 0]); // per dimension (2-D)
      expect(paddings).toContainEqual([0, 1, 1, 0]);
      expect(paddings).toContain('same');
      expect(paddings).toContain('valid');
      expect(plan.some((c) => c.pool.ceilMode)).toBe(true);
      expect(plan.some((c) => [c.pool.dilation ?? 1].flat().some((d) => d > 1))).toBe(true);
      for (const fill of ['nearest', 'bilinear']) expect(plan.some((c) => c.fill === fill)).toBe(true);
      for (const kind of ['random', 'ties', 'nan', 'inf', 'all-neg-inf', 'special']) expect(plan.some((c) => c.kind === kind), kind).toBe(true);
      for (const context of ['primary', 'other-profile', 'general']) expect(plan.some((c) => c.contexts.includes(context as never)), context).toBe(true);
    }
  });

  it('has a case whose general-kernel launch needs more workgroups than one grid dimension allows', () => {
    const folded = quick.find((c) => c.id === 'size/folded-grid')!;
    expect(folded.contexts).toContain('general');
    const shape = folded.shape;
    const outputs = cpu.maxPool({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape }, folded.pool).values.data.length;
    // The general kernels run one output per invocation, 64 invocations per workgroup.
    expect(Math.ceil(outputs / 64)).toBeGreaterThan(65_535);
    expect(spatial(shape)).toEqual([2049, 2049]);
  });

  it('runs float16 through every kernel family that takes it, on both storages and the general kernels', () => {
    const LIMITS = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 };
    for (const plan of [full, quick]) {
      const half = plan.filter((c) => c.dtype === 'float16');
      const pooling = new Set<string>();
      const unpooling = new Set<string>();
      for (const c of half) {
        expect(c.contexts.sort(), c.id).toEqual(['float16-packed', 'general', 'primary']);
        const g = resolvePoolGeometry('maxPool', c.shape, c.pool);
        for (const launch of PROFILES) pooling.add(planMaxPool(g, { limits: LIMITS, float: 'float16-packed', launch }).programs[0].shader);
        for (const p of planMaxPoolBackward(g, { limits: LIMITS, float: 'float16-packed', pooledBy: g }).programs) unpooling.add(p.shader);
      }
      expect([...pooling].sort()).toEqual(['max_pool.wgsl', 'max_pool_channels_last.wgsl', 'max_pool_global.wgsl', 'max_pool_overlap_tiled.wgsl', 'max_pool_tiled.wgsl']);
      for (const shader of ['max_unpool_tiled.wgsl', 'max_unpool_channels_last.wgsl', 'window_scatter.wgsl']) expect(unpooling.has(shader), shader).toBe(true);
      for (const kind of ['special', 'nan']) expect(half.some((c) => c.kind === kind), kind).toBe(true);
      expect(half.some((c) => c.pool.indexFormat === 'window')).toBe(true);
      // The other contexts never take a float32 case.
      expect(plan.filter((c) => c.dtype !== 'float16' && c.contexts.includes('float16-packed'))).toEqual([]);
    }
  });

  it("runs the 'ignore' and 'first' NaN rules through every pooling kernel family, on float32 and float16, on NaN values", () => {
    const LIMITS = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 };
    for (const plan of [full, quick]) {
      const seen = new Set<string>();
      for (const c of plan.filter((c) => c.pool.nan !== undefined)) {
        expect(c.kind, c.id).toBe('nan');
        const float = c.dtype === 'float16' ? 'float16-packed' : 'float32';
        const g = resolvePoolGeometry('maxPool', c.shape, c.pool);
        for (const launch of PROFILES) seen.add(`${c.pool.nan} ${float} ${planMaxPool(g, { limits: LIMITS, float, launch }).programs[0].shader}`);
      }
      for (const nan of ['ignore', 'first']) {
        for (const float of ['float32', 'float16-packed']) {
          const families = [...seen].filter((s) => s.startsWith(`${nan} ${float} `)).length;
          expect(families, `${nan} ${float}`).toBeGreaterThanOrEqual(2);
        }
        for (const shader of ['max_pool.wgsl', 'max_pool_channels_last.wgsl', 'max_pool_global.wgsl', 'max_pool_overlap_tiled.wgsl', 'max_pool_tiled.wgsl']) {
          expect([...seen].some((s) => s.startsWith(`${nan} `) && s.endsWith(` ${shader}`)), `${nan} ${shader}`).toBe(true);
        }
      }
    }
  });

  it('makes float16 values of each kind with float16\'s own special patterns', () => {
    expect(makeHalfValues('special', 64, 3)).toEqual(makeHalfValues('special', 64, 3));
    const special = makeHalfValues('special', 4096, 1);
    for (const pattern of [0x0001, 0x8001, 0x0000, 0x8000, 0x7c00, 0xfc00, 0x7bff]) expect(special).toContain(pattern);
    const nan = makeHalfValues('nan', 4096, 2);
    for (const pattern of [0x7c01, 0xfe2a]) expect(nan).toContain(pattern);
  });

  it('makes the same values for the same seed, with the special bit patterns it promises', () => {
    expect(makeValues('special', 64, 3)).toEqual(makeValues('special', 64, 3));
    const bits = new Uint32Array(makeValues('special', 4096, 1).buffer);
    for (const pattern of [0x00000001, 0x80000001, 0x00000000, 0x80000000, 0x7f800000, 0xff800000]) expect(bits).toContain(pattern);
    const nan = makeValues('nan', 4096, 2);
    expect(nan.some(Number.isNaN)).toBe(true);
    expect(makeValues('all-neg-inf', 8, 0).every((v) => v === -Infinity)).toBe(true);
  });
});
