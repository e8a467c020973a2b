/** The conformance plan of `argpool check` as data: what it covers, without a GPU. */
import { describe, expect, it } from 'vitest';
import { cpu } from '../src/index';
import { conformancePlan, LARGE_BINDING_BYTES, largestTensorBytes } from '../src/check/plan';
import { makeValues } from '../src/check/values';

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

  it('makes the same values for the same seed, with the special bit patterns it promises', () => {
    expect(makeValues('special', 64, 3)).toEqual(makeValues('special', 64, 3));
    const bits = new Uint32Array(makeValues('special', 4096, 1).buffer);
    for (const pattern of [0x00000001, 0x80000001, 0x00000000, 0x80000000, 0x7f800000, 0xff800000]) expect(bits).toContain(pattern);
    const nan = makeValues('nan', 4096, 2);
    expect(nan.some(Number.isNaN)).toBe(true);
    expect(makeValues('all-neg-inf', 8, 0).every((v) => v === -Infinity)).toBe(true);
  });
});
