import { describe, expect, it } from 'vitest';
import { resolvePoolGeometry, resolveUnpoolGeometry, type PoolOptions } from '../src/options';
import {
  cacheKeyOf,
  floatBytes,
  planMaxPool,
  planMaxPoolBackward,
  planMaxUnpool,
  planMaxUnpoolBackward,
  type OperationPlan,
  type ShaderName,
} from '../src/plan';
import { FLOAT16_SHADERS, FLOAT_FREE_SHADERS, SHADER_CODE, VECTOR_FLOAT_SHADERS, floatBindings, shaderCode, specialiseFloat, specialiseVectorFloat } from '../src/shaders';

/** The float bindings a kernel declares in its float storage block: [binding, access, name]. */
function declaredFloatBindings(code: string): [string, string, string][] {
  const block = code.slice(code.indexOf('// float storage:'), code.indexOf('// end float storage'));
  return [...block.matchAll(/@group\(0\) @binding\((\d+)\) var<storage, (read|read_write)> (\w+): array<u32>;/g)].map((m) => [m[1], m[2], m[3]]);
}

const count = (text: string, part: string) => text.split(part).length - 1;
const uncommented = (code: string) => code.replace(/\/\/[^\n]*/g, '');

describe('float16 specialisation of the kernels (text substitution)', () => {
  it('classifies every kernel: float data through a storage block, through a vector storage block, or no float data', () => {
    for (const name of Object.keys(SHADER_CODE) as ShaderName[]) {
      const classes = [FLOAT16_SHADERS.has(name), FLOAT_FREE_SHADERS.has(name), VECTOR_FLOAT_SHADERS.has(name)];
      expect(classes.filter(Boolean).length, name).toBe(1);
      expect(SHADER_CODE[name].includes('// float storage:'), name).toBe(FLOAT16_SHADERS.has(name));
      expect(SHADER_CODE[name].includes('// vector float storage:'), name).toBe(VECTOR_FLOAT_SHADERS.has(name));
    }
    expect([...VECTOR_FLOAT_SHADERS].sort()).toEqual([
      'max_pool_channels_last.wgsl', 'max_pool_overlap_tiled.wgsl', 'max_pool_tiled.wgsl',
      'max_unpool_channels_last.wgsl', 'max_unpool_overlap_tiled.wgsl', 'max_unpool_tiled.wgsl',
    ]);
  });

  for (const name of VECTOR_FLOAT_SHADERS) {
    it(`${name}: float32 and float16 accessors for the same bindings; float16 moves halves in whole words, the same text for both storages`, () => {
      const code = SHADER_CODE[name];
      const declared = [...code.matchAll(/^@group\(0\) @binding\((\d+)\) var<storage, (read|read_write)> (\w+): array<(vec4<u32>|u32)>;$/gm)]
        .filter((m) => code.indexOf(m[0]) < code.indexOf('// end vector float storage'))
        .map((m) => ({ binding: m[1], access: m[2], variable: m[3], scalar: m[4] === 'u32' }));
      expect(declared.map((d) => d.access).sort()).toEqual(['read', 'read_write']);
      const f32 = shaderCode(name, 'float32');
      const packed = shaderCode(name, 'float16-packed');
      expect(shaderCode(name, 'float16-native')).toBe(packed);
      expect(packed).not.toContain('enable f16;');
      expect(packed).not.toMatch(/atomic</);
      expect(packed).not.toContain('f16_to_f32_bits');
      for (const [text, key, firstSum] of [[f32, 'max_key4(bits)', 'first_sum_bits4(bits)'], [packed, 'max_key4_half(bits)', 'first_sum_bits4_half(bits)']] as const) {
        expect(text).toContain(`fn stored_key4(bits: vec4<u32>) -> vec4<i32> {\n  return ${key};\n}`);
        expect(text).toContain(`fn stored_first_sum4(bits: vec4<u32>) -> vec4<u32> {\n  return ${firstSum};\n}`);
        // The kernel's own code keys and sums through the storage's helpers only.
        const body = uncommented(text.slice(text.indexOf('// end vector float storage')));
        expect(body).not.toMatch(/\bmax_key4\(|\bfirst_sum_bits4\(/);
      }
      for (const { binding, access, variable, scalar } of declared) {
        // Outside its accessor, no code indexes the binding (a lanes store indexes it once per lane, or per word).
        const lanes = scalar && access === 'read_write';
        expect(count(uncommented(f32), `${variable}[`), `${variable} in ${name} (float32)`).toBe(lanes ? 4 : 1);
        expect(count(uncommented(packed), `${variable}[`), `${variable} in ${name} (float16)`).toBe(lanes ? 2 : 1);
        if (access === 'read' && scalar) {
          // Element i is half i % 2 of word i / 2.
          expect(packed).toContain(`@group(0) @binding(${binding}) var<storage, read> ${variable}: array<u32>;`);
          expect(packed).toContain(`return (${variable}[i / 2u] >> (16u * (i % 2u))) & 0xffffu;`);
        } else if (access === 'read') {
          expect(f32).toContain(`@group(0) @binding(${binding}) var<storage, read> ${variable}: array<vec4<u32>>;`);
          expect(packed).toContain(`@group(0) @binding(${binding}) var<storage, read> ${variable}: array<vec2<u32>>;`);
          expect(packed).toContain('return vec4<u32>(w.x & 0xffffu, w.x >> 16u, w.y & 0xffffu, w.y >> 16u);');
        } else if (lanes) {
          expect(packed).toContain(`@group(0) @binding(${binding}) var<storage, read_write> ${variable}: array<u32>;`);
          expect(packed).toContain(`${variable}[i / 2u] = bits.x | (bits.y << 16u);`);
          expect(packed).toContain(`${variable}[i / 2u + 1u] = bits.z | (bits.w << 16u);`);
        } else {
          expect(packed).toContain(`@group(0) @binding(${binding}) var<storage, read_write> ${variable}: array<vec2<u32>>;`);
          expect(packed).toContain(`${variable}[i] = vec2<u32>(bits.x | (bits.y << 16u), bits.z | (bits.w << 16u));`);
        }
      }
    });
  }

  it('refuses a kernel without a vector storage block, or with a binding it cannot read', () => {
    expect(() => specialiseVectorFloat('fn main() {}', 'float32', 'x.wgsl')).toThrow('specialiseVectorFloat: x.wgsl has no vector float storage block');
    const odd = '// vector float storage: test\n@group(0) @binding(1) var<storage, read> input: array<vec2<f32>>;\n// end vector float storage\n';
    expect(() => specialiseVectorFloat(odd, 'float16-packed', 'y.wgsl')).toThrow('specialiseVectorFloat: y.wgsl: cannot read the float binding');
  });

  for (const name of FLOAT16_SHADERS) {
    it(`${name}: float32 unchanged; packed and native float16 bind the same names and reach them only through the accessors`, () => {
      const code = SHADER_CODE[name];
      expect(shaderCode(name, 'float32')).toBe(code);
      const bindings = declaredFloatBindings(code);
      expect(bindings.length).toBe(2);
      expect(bindings.map((b) => b[1]).sort()).toEqual(['read', 'read_write']);
      const packed = shaderCode(name, 'float16-packed');
      const native = shaderCode(name, 'float16-native');
      expect(packed.startsWith('enable f16;')).toBe(false);
      expect(native.startsWith('enable f16;\n')).toBe(true);
      expect(/^enable f16;/m.test(packed)).toBe(false);
      for (const text of [packed, native]) {
        expect(text).toContain('fn f16_to_f32_bits(h: u32) -> u32');
        expect(text).toContain('fn f32_to_f16_bits(f: u32) -> u32');
        expect(text).not.toContain('// float storage: float32');
      }
      for (const [binding, access, variable] of bindings) {
        // Outside the accessor, no code indexes the binding: each text indexes it exactly once.
        expect(count(code, `${variable}[`), `${variable} in ${name} (float32)`).toBe(1);
        expect(count(packed, `${variable}[`), `${variable} in ${name} (packed)`).toBe(1);
        expect(count(native, `${variable}[`), `${variable} in ${name} (native)`).toBe(1);
        if (access === 'read') {
          expect(packed).toContain(`@group(0) @binding(${binding}) var<storage, read> ${variable}: array<u32>;`);
          expect(packed).toContain(`return f16_to_f32_bits((${variable}[i / 2u] >> (16u * (i % 2u))) & 0xffffu);`);
          expect(native).toContain(`@group(0) @binding(${binding}) var<storage, read> ${variable}: array<f16>;`);
          expect(count(packed, `${variable}_load(`)).toBe(count(code, `${variable}_load(`));
        } else {
          // Writes of one half never race with the other half: atomicOr into a cleared word.
          expect(packed).toContain(`@group(0) @binding(${binding}) var<storage, read_write> ${variable}: array<atomic<u32>>;`);
          expect(packed).toContain(`atomicOr(&${variable}[i / 2u], f32_to_f16_bits(bits) << (16u * (i % 2u)));`);
          expect(native).toContain(`@group(0) @binding(${binding}) var<storage, read_write> ${variable}: array<f16>;`);
          expect(count(packed, `${variable}_store(`)).toBe(count(code, `${variable}_store(`));
        }
      }
    });
  }

  it('refuses a kernel without a float storage block, and a block it cannot read', () => {
    expect(() => specialiseFloat('fn main() {}', 'float16-packed', 'x.wgsl')).toThrow('specialiseFloat: x.wgsl has no float storage block');
    const odd = '// float storage: test\n@group(0) @binding(1) var<storage, read> input: array<f32>;\n// end float storage\n';
    expect(() => specialiseFloat(odd, 'float16-packed', 'y.wgsl')).toThrow('specialiseFloat: y.wgsl: cannot read the float binding');
    expect(specialiseFloat(odd, 'float32')).toBe(odd);
  });

  it('leaves kernels that move no float data alone', () => {
    for (const name of FLOAT_FREE_SHADERS) {
      expect(shaderCode(name, 'float16-packed')).toBe(SHADER_CODE[name]);
      expect(shaderCode(name, 'float16-native')).toBe(SHADER_CODE[name]);
    }
  });
});

describe('float16 plans', () => {
  const LIMITS = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 };
  const floatPrograms = (plan: OperationPlan) => plan.programs.filter((p) => FLOAT16_SHADERS.has(p.shader as ShaderName));

  it('pooling: the tiled kernel on float16 as on float32, with no clear (whole words); the general kernel clears the values when packed; two bytes per element', () => {
    const g = resolvePoolGeometry('maxPool', [2, 3, 8, 8], { kernelSize: 2 });
    const f32 = planMaxPool(g, { limits: LIMITS });
    expect(f32.programs.map((p) => p.shader)).toEqual(['max_pool_tiled.wgsl']);
    expect(f32.programs[0].float).toBeUndefined();
    for (const float of ['float16-packed', 'float16-native'] as const) {
      const needs = [
        { role: 'input', bytes: 2 * 3 * 64 * 2 },
        { role: 'values', bytes: 2 * 3 * 16 * 2 },
        { role: 'indices', bytes: 2 * 3 * 16 * 4 },
      ];
      const plan = planMaxPool(g, { limits: LIMITS, float });
      expect(plan.programs.map((p) => p.shader)).toEqual(['max_pool_tiled.wgsl']);
      expect(plan.programs[0].float).toBe(float);
      expect(plan.programs[0].cacheKey).toBe(cacheKeyOf('max_pool_tiled.wgsl', plan.programs[0].constants, float));
      expect(plan.programs[0].cacheKey).not.toBe(f32.programs[0].cacheKey);
      expect(plan.needs).toEqual(needs);
      expect(plan.clears).toEqual([]);
      const general = planMaxPool(g, { limits: LIMITS, float, specialised: false });
      expect(general.programs.map((p) => p.shader)).toEqual(['max_pool.wgsl']);
      expect(general.programs[0].cacheKey).toBe(cacheKeyOf('max_pool.wgsl', general.programs[0].constants, float));
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
    expect(taps.programs[0].cacheKey).toBe(cacheKeyOf('window_scatter.wgsl', taps.programs[0].constants, 'float16-packed'));
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

  it('finds each float kernel\'s float bindings in its storage block', () => {
    expect(floatBindings('max_pool.wgsl')).toEqual({ read: 1, write: 2 });
    expect(floatBindings('max_unpool_write.wgsl')).toEqual({ read: 1, write: 3 });
    expect(floatBindings('max_unpool_backward.wgsl')).toEqual({ read: 1, write: 3 });
    expect(floatBindings('window_gather.wgsl')).toEqual({ read: 1, write: 3 });
    expect(floatBindings('window_scatter.wgsl')).toEqual({ read: 1, write: 3 });
    expect(floatBindings('max_pool_backward_check.wgsl')).toBeNull();
  });
});
