import { describe, expect, it } from 'vitest';
import type { ShaderName } from '../src/plan';
import { FLOAT16_SHADERS, FLOAT_FREE_SHADERS, SHADER_CODE, shaderCode, specialiseFloat } from '../src/shaders';

/** The float bindings a kernel declares in its float storage block: [binding, access, name]. */
function floatBindings(code: string): [string, string, string][] {
  const block = code.slice(code.indexOf('// float storage:'), code.indexOf('// end float storage'));
  return [...block.matchAll(/@group\(0\) @binding\((\d+)\) var<storage, (read|read_write)> (\w+): array<u32>;/g)].map((m) => [m[1], m[2], m[3]]);
}

const count = (text: string, part: string) => text.split(part).length - 1;

describe('float16 specialisation of the kernels (text substitution)', () => {
  // The specialised kernels that read float data as vectors have no float16 form: the plans keep
  // float16 on the kernels with a storage block.
  const VECTOR_KERNELS: ShaderName[] = ['max_pool_tiled.wgsl', 'max_pool_overlap_tiled.wgsl', 'max_pool_channels_last.wgsl', 'max_unpool_tiled.wgsl'];

  it('classifies every kernel: float data through a storage block, no float data, or float32-only vector kernels', () => {
    for (const name of Object.keys(SHADER_CODE) as ShaderName[]) {
      const classes = [FLOAT16_SHADERS.has(name), FLOAT_FREE_SHADERS.has(name), VECTOR_KERNELS.includes(name)];
      expect(classes.filter(Boolean).length, name).toBe(1);
      expect(SHADER_CODE[name].includes('// float storage:'), name).toBe(FLOAT16_SHADERS.has(name));
    }
    for (const name of VECTOR_KERNELS) {
      expect(() => shaderCode(name, 'float16-packed')).toThrow(`shaderCode: ${name} has no float16 form`);
    }
  });

  for (const name of FLOAT16_SHADERS) {
    it(`${name}: float32 unchanged; packed and native float16 bind the same names and reach them only through the accessors`, () => {
      const code = SHADER_CODE[name];
      expect(shaderCode(name, 'float32')).toBe(code);
      const bindings = floatBindings(code);
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
