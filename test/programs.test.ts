/**
 * The programs and the storage generator, without a GPU: which programs move float data and how
 * (derived from their declarations), the declarations and accessors the generator writes for each
 * float storage (snapshotted per program and storage), that a kernel reaches its float data only
 * through those accessors, and how plans apply a float storage (cache keys, clears, sizes).
 */
import { describe, expect, it } from 'vitest';
import { resolvePoolGeometry, resolveUnpoolGeometry, type PoolOptions } from '../src/options';
import {
  cacheKeyOf,
  floatBytes,
  planMaxPool,
  planMaxPoolBackward,
  planMaxUnpool,
  planMaxUnpoolBackward,
  programOf,
  PROGRAMS,
  type OperationPlan,
  type ShaderName,
} from '../src/plan';
import { maxPool } from '../src/programs/max_pool';
import { maxPoolTiled } from '../src/programs/max_pool_tiled';
import { hasFloats, type FloatStorage, type Program } from '../src/programs/program';
import { generatedDeclarations, programWgsl } from '../src/programs/storage';
import { windowScatter } from '../src/programs/window_scatter';

const count = (text: string, part: string) => text.split(part).length - 1;
const uncommented = (code: string) => code.replace(/\/\/[^\n]*/g, '');
const STORAGES: FloatStorage[] = ['float32', 'float16-packed', 'float16-native'];
const floatBindings = (program: Program<never>) => program.bindings.filter((b) => b.kind === 'floats');
const names = (programs: readonly Program<never>[]) => programs.map((p) => p.name).sort();

describe('the storage generator', () => {
  it('sorts the programs by their declarations: floats as stored, floats widened, or no float data', () => {
    expect(names(PROGRAMS.filter((p) => p.floats === 'stored'))).toEqual([
      'max_pool_channels_last', 'max_pool_overlap_tiled', 'max_pool_tiled',
      'max_unpool_channels_last', 'max_unpool_overlap_tiled', 'max_unpool_tiled',
    ]);
    expect(names(PROGRAMS.filter((p) => p.floats === 'widened'))).toEqual(['max_pool', 'max_pool_global', 'max_unpool_backward', 'max_unpool_write', 'window_gather', 'window_scatter']);
    for (const program of PROGRAMS) expect(hasFloats(program), program.name).toBe(program.floats !== undefined);
    // Each moving kernel reads one float binding and writes one.
    for (const program of PROGRAMS.filter(hasFloats)) expect(floatBindings(program).map((b) => b.access).sort(), program.name).toEqual(['read', 'write']);
  });

  for (const program of PROGRAMS) {
    it(`${program.name}: the declarations for each storage (snapshot), and a kernel text that reaches its float data only through the accessors`, () => {
      for (const storage of STORAGES) expect(generatedDeclarations(program, storage)).toMatchSnapshot(storage);
      const own = uncommented(program.wgsl);
      for (const binding of floatBindings(program)) expect(count(own, `${binding.name}[`), `${binding.name} in ${program.name}`).toBe(0);
      // Everything else of the module is the includes and the kernel's own text, unchanged.
      for (const storage of STORAGES) expect(programWgsl(program, storage).endsWith(program.wgsl), storage).toBe(true);
    });
  }

  for (const program of PROGRAMS.filter((p) => p.floats === 'stored')) {
    it(`${program.name}: float16 moves halves in whole words, the same text for packed and native storage`, () => {
      const f32 = programWgsl(program, 'float32');
      const packed = programWgsl(program, 'float16-packed');
      expect(programWgsl(program, 'float16-native')).toBe(packed);
      expect(packed).not.toContain('enable f16;');
      expect(packed).not.toMatch(/atomic</);
      expect(packed).not.toContain('f16_to_f32_bits');
      for (const [text, key, firstSum] of [[f32, 'max_key4(bits)', 'first_sum_bits4(bits)'], [packed, 'max_key4_half(bits)', 'first_sum_bits4_half(bits)']] as const) {
        expect(text).toContain(`fn stored_key4(bits: vec4<u32>) -> vec4<i32> {\n  return ${key};\n}`);
        expect(text).toContain(`fn stored_first_sum4(bits: vec4<u32>) -> vec4<u32> {\n  return ${firstSum};\n}`);
      }
      // The kernel keys and sums through the storage's helpers only.
      expect(uncommented(program.wgsl)).not.toMatch(/\bmax_key4\(|\bfirst_sum_bits4\(/);
      program.bindings.forEach((binding, i) => {
        if (binding.kind !== 'floats') return;
        const { name } = binding;
        if (binding.access === 'read' && !binding.vector) {
          // Element i is half i % 2 of word i / 2.
          expect(packed).toContain(`@group(0) @binding(${i}) var<storage, read> ${name}: array<u32>;`);
          expect(packed).toContain(`return (${name}[i / 2u] >> (16u * (i % 2u))) & 0xffffu;`);
        } else if (binding.access === 'read') {
          expect(f32).toContain(`@group(0) @binding(${i}) var<storage, read> ${name}: array<vec4<u32>>;`);
          expect(packed).toContain(`@group(0) @binding(${i}) var<storage, read> ${name}: array<vec2<u32>>;`);
          expect(packed).toContain('return vec4<u32>(w.x & 0xffffu, w.x >> 16u, w.y & 0xffffu, w.y >> 16u);');
        } else if (!binding.vector) {
          expect(packed).toContain(`@group(0) @binding(${i}) var<storage, read_write> ${name}: array<u32>;`);
          expect(packed).toContain(`${name}[i / 2u] = bits.x | (bits.y << 16u);`);
          expect(packed).toContain(`${name}[i / 2u + 1u] = bits.z | (bits.w << 16u);`);
        } else {
          expect(packed).toContain(`@group(0) @binding(${i}) var<storage, read_write> ${name}: array<vec2<u32>>;`);
          expect(packed).toContain(`${name}[i] = vec2<u32>(bits.x | (bits.y << 16u), bits.z | (bits.w << 16u));`);
        }
      });
    });
  }

  for (const program of PROGRAMS.filter((p) => p.floats === 'widened')) {
    it(`${program.name}: packed and native float16 bind the same names, widened exactly and narrowed once`, () => {
      const packed = programWgsl(program, 'float16-packed');
      const native = programWgsl(program, 'float16-native');
      expect(programWgsl(program, 'float32')).not.toContain('f16_to_f32_bits');
      expect(/^enable f16;/m.test(packed)).toBe(false);
      expect(native.startsWith('enable f16;\n')).toBe(true);
      for (const text of [packed, native]) {
        expect(text).toContain('fn f16_to_f32_bits(h: u32) -> u32');
        expect(text).toContain('fn f32_to_f16_bits(f: u32) -> u32');
      }
      program.bindings.forEach((binding, i) => {
        if (binding.kind !== 'floats') return;
        const { name } = binding;
        if (binding.access === 'read') {
          expect(packed).toContain(`@group(0) @binding(${i}) var<storage, read> ${name}: array<u32>;`);
          expect(packed).toContain(`return f16_to_f32_bits((${name}[i / 2u] >> (16u * (i % 2u))) & 0xffffu);`);
          expect(native).toContain(`@group(0) @binding(${i}) var<storage, read> ${name}: array<f16>;`);
        } else {
          // Writes of one half never race with the other half: atomicOr into a cleared word.
          expect(packed).toContain(`@group(0) @binding(${i}) var<storage, read_write> ${name}: array<atomic<u32>>;`);
          expect(packed).toContain(`atomicOr(&${name}[i / 2u], f32_to_f16_bits(bits) << (16u * (i % 2u)));`);
          expect(native).toContain(`@group(0) @binding(${i}) var<storage, read_write> ${name}: array<f16>;`);
        }
      });
    });
  }

  it('gives programs that move no float data one text for every storage', () => {
    for (const program of PROGRAMS.filter((p) => !hasFloats(p))) {
      expect(programWgsl(program, 'float16-packed'), program.name).toBe(programWgsl(program, 'float32'));
      expect(programWgsl(program, 'float16-native'), program.name).toBe(programWgsl(program, 'float32'));
    }
  });

  it('refuses a program with float bindings but no float access', () => {
    const { floats: _, ...noAccess } = maxPool;
    expect(() => programWgsl(noAccess as Program<never>, 'float32')).toThrow('programWgsl: max_pool has float bindings but no float access');
  });
});

describe('float16 plans', () => {
  const LIMITS = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 };
  const floatPrograms = (plan: OperationPlan) => plan.programs.filter((p) => programOf(p).floats === 'widened');

  it('pooling: the tiled kernel on float16 as on float32, with no clear (whole words); the general kernel clears the values when packed; two bytes per element', () => {
    const g = resolvePoolGeometry('maxPool', [2, 3, 8, 8], { kernelSize: 2 });
    const f32 = planMaxPool(g, { limits: LIMITS });
    expect(f32.programs.map((p) => p.shader)).toEqual(['max_pool_tiled.wgsl']);
    expect(f32.programs[0].float).toBe('float32');
    for (const float of ['float16-packed', 'float16-native'] as const) {
      const needs = [
        { role: 'input', bytes: 2 * 3 * 64 * 2 },
        { role: 'values', bytes: 2 * 3 * 16 * 2 },
        { role: 'indices', bytes: 2 * 3 * 16 * 4 },
      ];
      const plan = planMaxPool(g, { limits: LIMITS, float });
      expect(plan.programs.map((p) => p.shader)).toEqual(['max_pool_tiled.wgsl']);
      expect(plan.programs[0].float).toBe(float);
      expect(plan.programs[0].cacheKey).toBe(cacheKeyOf(maxPoolTiled, plan.programs[0].constants, float));
      expect(plan.programs[0].cacheKey).not.toBe(f32.programs[0].cacheKey);
      expect(plan.needs).toEqual(needs);
      expect(plan.clears).toEqual([]);
      const general = planMaxPool(g, { limits: LIMITS, float, specialised: false });
      expect(general.programs.map((p) => p.shader)).toEqual(['max_pool.wgsl']);
      expect(general.programs[0].cacheKey).toBe(cacheKeyOf(maxPool, general.programs[0].constants, float));
      expect(general.programs[0].cacheKey).toContain(float);
      expect(general.needs).toEqual(needs);
      expect(general.clears).toEqual(float === 'float16-packed' ? [{ role: 'values', bytes: 2 * 3 * 16 * 2 }] : []);
    }
    // Odd counts round up to whole words.
    expect(floatBytes('float16-packed', 7)).toBe(16);
    expect(floatBytes('float32', 7)).toBe(28);
  });

  it('channels-last and overlapping windows, window indices: the vector kernels on float16, no clears; the taps are packed after them; odd overlap widths take the general kernel', () => {
    for (const [shape, options, shader] of [
      [[1, 4, 4, 8], { kernelSize: 2, layout: 'NHWC' }, 'max_pool_channels_last.wgsl'],
      [[1, 2, 9, 8], { kernelSize: 3, stride: 2, padding: 1 }, 'max_pool_overlap_tiled.wgsl'],
      [[1, 2, 9, 8], { kernelSize: 3, stride: 2, padding: 1, indexFormat: 'window' }, 'max_pool_overlap_tiled.wgsl'],
      [[1, 2, 9, 8], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }, 'max_pool.wgsl'],
    ] as [number[], PoolOptions, ShaderName][]) {
      const plan = planMaxPool(resolvePoolGeometry('maxPool', shape, options), { limits: LIMITS, float: 'float16-packed' });
      expect(plan.programs[0].shader).toBe(shader);
      expect(plan.clears.map((c) => c.role)).toEqual(shader === 'max_pool.wgsl' ? ['values'] : []);
      if (options.indexFormat === 'window') expect(plan.programs.map((p) => p.shader)).toEqual([shader, 'window_indices_pack.wgsl']);
    }
  });

  it('unpooling: general scatter and from a known overlapping pooling, packed clears the output once; from a tiling pooling, the tiled kernel and no clear', () => {
    const pooling = resolvePoolGeometry('maxPool', [1, 2, 8, 8], { kernelSize: 2 });
    const unpool = resolveUnpoolGeometry('maxUnpool', [1, 2, 4, 4], [1, 2, 4, 4], { kernelSize: 2, outputSize: [8, 8] });
    const general = planMaxUnpool(unpool, { limits: LIMITS, float: 'float16-packed' });
    expect(general.programs.map((p) => p.shader)).toEqual(['max_unpool_claim.wgsl', 'max_unpool_write.wgsl', 'index_fault.wgsl']);
    expect(general.clears.filter((c) => c.role === 'output')).toEqual([{ role: 'output', bytes: 2 * 64 * 2 }]);
    // Width 10: not a multiple of 4, so the scatter rather than the 3x3/2 gather.
    const overlapping = resolvePoolGeometry('maxPool', [1, 2, 8, 10], { kernelSize: 3, stride: 2, padding: 1 });
    const overlapUnpool = resolveUnpoolGeometry('maxUnpool', [1, 2, 4, 5], [1, 2, 4, 5], { kernelSize: 3, stride: 2, padding: 1, outputSize: [8, 10] });
    const known = planMaxUnpool(overlapUnpool, { limits: LIMITS, float: 'float16-packed', pooledBy: overlapping });
    expect(known.programs.map((p) => p.shader)).toEqual(['window_scatter.wgsl']);
    expect(known.clears.filter((c) => c.role === 'output')).toEqual([{ role: 'output', bytes: 2 * 80 * 2 }]);
    const native = planMaxUnpool(unpool, { limits: LIMITS, float: 'float16-native' });
    expect(native.clears.filter((c) => c.role === 'output')).toEqual([]);
    const windowPooling = { ...overlapping, indexFormat: 'window' as const };
    const taps = planMaxUnpool({ ...overlapUnpool, indexFormat: 'window' }, { limits: LIMITS, float: 'float16-packed', pooledBy: windowPooling });
    expect(taps.programs.map((p) => [p.shader, p.constants.WINDOW_TAPS, p.float])).toEqual([['window_scatter.wgsl', 1, 'float16-packed']]);
    expect(taps.programs[0].cacheKey).toBe(cacheKeyOf(windowScatter, taps.programs[0].constants, 'float16-packed'));
    for (const plan of [general, known, native, taps]) expect(floatPrograms(plan).every((p) => p.float && p.cacheKey.includes(p.float))).toBe(true);
    for (const indexFormat of ['spatial', 'window'] as const) {
      const tiled = planMaxUnpool({ ...unpool, indexFormat }, { limits: LIMITS, float: 'float16-packed', pooledBy: { ...pooling, indexFormat } });
      expect(tiled.programs.map((p) => [p.shader, p.float])).toEqual([['max_unpool_tiled.wgsl', 'float16-packed']]);
      expect(tiled.clears.filter((c) => c.role === 'output')).toEqual([]);
    }
  });

  it('both gradients: the tiled kernel writes whole words, no clear; the general kernels on packed clear the written gradient', () => {
    const g = resolvePoolGeometry('maxPool', [1, 2, 8, 8], { kernelSize: 2 });
    for (const specialised of [true, false]) {
      const plan = planMaxPoolBackward(g, { limits: LIMITS, float: 'float16-packed', specialised });
      expect(plan.programs.some((p) => p.shader === 'max_unpool_tiled.wgsl')).toBe(specialised);
      expect(plan.clears.filter((c) => c.role === 'gradInput')).toEqual(specialised ? [] : [{ role: 'gradInput', bytes: 2 * 64 * 2 }]);
    }
    const unpool = resolveUnpoolGeometry('maxUnpool', [1, 2, 4, 4], [1, 2, 4, 4], { kernelSize: 2, outputSize: [8, 8] });
    const back = planMaxUnpoolBackward(unpool, { limits: LIMITS, float: 'float16-packed' });
    expect(back.needs.find((n) => n.role === 'gradOutput')!.bytes).toBe(2 * 64 * 2);
    expect(back.clears.filter((c) => c.role === 'gradValues')).toEqual([{ role: 'gradValues', bytes: 2 * 16 * 2 }]);
  });
});
