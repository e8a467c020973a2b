/**
 * The storage generator: the WGSL a device compiles for a program on a float storage is
 *
 *   [enable f16;]                     native float16, for kernels that see widened floats
 *   struct Params { ... }             the program's uniforms, all u32
 *   @group(0) @binding(i) var ...     every binding, in the program's order
 *   fn NAME_load / NAME_store ...     the accessors of its float bindings, for this storage
 *   shaders/layout.wgsl, ...          the named includes (float16.wgsl for widened float16)
 *   shaders/<name>.wgsl               the kernel's own text, unchanged
 *
 * so a kernel's file holds only its code, and everything it calls is in its file, in a named include
 * or in the declarations below (whose text a test snapshots per program and storage).
 *
 * Float accessors, per the program's float access (see FloatAccess):
 * - 'widened': `NAME_load(i) -> u32` gives element i as float32 bits; `NAME_store(i, bits)` stores
 *   float32 bits. float32: the words as they are. float16, packed (any adapter): two halves per u32
 *   word, widened exactly on load; a store is atomicOr of the narrowed half into a word that the plan
 *   cleared (another invocation may store the word's other half at the same time). float16, native:
 *   array<f16>, each element its own memory location, bits moved through bitcasts. See float16.wgsl.
 * - 'stored': the bits as stored, never widened. Vector bindings: `NAME_load4(i)` and
 *   `NAME_store4(i, bits)` move elements 4i..4i+3 (float16: the word pair i, least significant half
 *   first, one half per u32 lane). Scalar bindings: `NAME_load(i)` gives element i's bits, and
 *   `NAME_store_lanes(i, bits, live)` stores elements i.. from the lanes in `live` (a prefix; float16
 *   stores whole words, so i must be even and the live lanes come in pairs). `stored_key4` and
 *   `stored_first_sum4` apply layout.wgsl's max_key4 and first_sum_bits4 rules (or their _half forms)
 *   to those bits. Packed and native float16 get the same text: every store is a whole word.
 */
import float16Wgsl from '../../shaders/float16.wgsl?raw';
import layoutWgsl from '../../shaders/layout.wgsl?raw';
import { hasFloats, type BindingDeclaration, type FloatStorage, type Include, type Program } from './program.js';

const INCLUDES: Readonly<Record<Include, string>> = { layout: layoutWgsl };

/** The storage a program's text depends on: none for float-free programs, one float16 form for 'stored' ones. */
export function storageKey(program: Program<never>, storage: FloatStorage): string {
  if (storage === 'float32' || !hasFloats(program)) return 'float32';
  return program.floats === 'stored' ? 'float16' : storage;
}

/** The declarations of a program's params struct and bindings, and its float accessors, for a storage. */
export function generatedDeclarations(program: Program<never>, storage: FloatStorage): string {
  const lines: string[] = [];
  if (program.uniforms.length > 0) {
    lines.push('struct Params {', ...program.uniforms.map((field) => `  ${field}: u32,`), '}');
  }
  program.bindings.forEach((binding, i) => lines.push(...declare(program, binding, i, storage)));
  if (program.floats === 'stored' && hasFloats(program)) {
    const suffix = storage === 'float32' ? '' : '_half';
    lines.push(
      'fn stored_key4(bits: vec4<u32>) -> vec4<i32> {',
      `  return max_key4${suffix}(bits);`,
      '}',
      'fn stored_first_sum4(bits: vec4<u32>) -> vec4<u32> {',
      `  return first_sum_bits4${suffix}(bits);`,
      '}',
    );
  }
  return lines.join('\n');
}

/** The whole module a device compiles for `program` on `storage`. */
export function programWgsl(program: Program<never>, storage: FloatStorage = 'float32'): string {
  const floats = hasFloats(program);
  if (floats && !program.floats) throw new Error(`programWgsl: ${program.name} has float bindings but no float access`);
  const widenedHalf = floats && program.floats === 'widened' && storage !== 'float32';
  const parts = [
    ...(widenedHalf && storage === 'float16-native' ? ['enable f16;'] : []),
    `// ${program.name}.wgsl, generated declarations (${storageKey(program, storage)})`,
    generatedDeclarations(program, storage),
    ...program.includes.map((name) => INCLUDES[name]),
    ...(widenedHalf ? [float16Wgsl] : []),
    program.wgsl,
  ];
  return parts.join('\n\n');
}

function declare(program: Program<never>, binding: BindingDeclaration, i: number, storage: FloatStorage): string[] {
  const at = `@group(0) @binding(${i})`;
  if (binding.kind === 'uniform') {
    if (program.uniforms.length === 0) throw new Error(`programWgsl: ${program.name} binds a uniform but declares no uniforms`);
    return [`${at} var<uniform> ${binding.name}: Params;`];
  }
  if (binding.kind === 'storage') return [`${at} var<storage, ${binding.access}> ${binding.name}: ${binding.type};`];
  return program.floats === 'stored' ? storedFloats(at, binding.name, binding.access, binding.vector === true, storage) : widenedFloats(at, binding.name, binding.access, storage);
}

function widenedFloats(at: string, name: string, access: 'read' | 'write', storage: FloatStorage): string[] {
  const write = access === 'write';
  const mode = write ? 'read_write' : 'read';
  if (storage === 'float32') {
    return write
      ? [`${at} var<storage, ${mode}> ${name}: array<u32>;`, `fn ${name}_store(i: u32, bits: u32) {`, `  ${name}[i] = bits;`, '}']
      : [`${at} var<storage, ${mode}> ${name}: array<u32>;`, `fn ${name}_load(i: u32) -> u32 {`, `  return ${name}[i];`, '}'];
  }
  if (storage === 'float16-native') {
    return write
      ? [`${at} var<storage, ${mode}> ${name}: array<f16>;`, `fn ${name}_store(i: u32, bits: u32) {`, `  ${name}[i] = bitcast<vec2<f16>>(f32_to_f16_bits(bits)).x;`, '}']
      : [
          `${at} var<storage, ${mode}> ${name}: array<f16>;`,
          `fn ${name}_load(i: u32) -> u32 {`,
          `  return f16_to_f32_bits(bitcast<u32>(vec2<f16>(${name}[i], 0.0h)) & 0xffffu);`,
          '}',
        ];
  }
  return write
    ? [
        `${at} var<storage, ${mode}> ${name}: array<atomic<u32>>;`,
        `fn ${name}_store(i: u32, bits: u32) {`,
        `  atomicOr(&${name}[i / 2u], f32_to_f16_bits(bits) << (16u * (i % 2u)));`,
        '}',
      ]
    : [
        `${at} var<storage, ${mode}> ${name}: array<u32>;`,
        `fn ${name}_load(i: u32) -> u32 {`,
        `  return f16_to_f32_bits((${name}[i / 2u] >> (16u * (i % 2u))) & 0xffffu);`,
        '}',
      ];
}

function storedFloats(at: string, name: string, access: 'read' | 'write', vector: boolean, storage: FloatStorage): string[] {
  const half = storage !== 'float32';
  const mode = access === 'write' ? 'read_write' : 'read';
  const element = vector ? (half ? 'vec2<u32>' : 'vec4<u32>') : 'u32';
  const lines = [`${at} var<storage, ${mode}> ${name}: array<${element}>;`];
  if (access === 'read' && !vector) {
    lines.push(`fn ${name}_load(i: u32) -> u32 {`, half ? `  return (${name}[i / 2u] >> (16u * (i % 2u))) & 0xffffu;` : `  return ${name}[i];`, '}');
  } else if (access === 'read') {
    lines.push(
      `fn ${name}_load4(i: u32) -> vec4<u32> {`,
      ...(half ? [`  let w = ${name}[i];`, '  return vec4<u32>(w.x & 0xffffu, w.x >> 16u, w.y & 0xffffu, w.y >> 16u);'] : [`  return ${name}[i];`]),
      '}',
    );
  } else if (vector) {
    lines.push(
      `fn ${name}_store4(i: u32, bits: vec4<u32>) {`,
      half ? `  ${name}[i] = vec2<u32>(bits.x | (bits.y << 16u), bits.z | (bits.w << 16u));` : `  ${name}[i] = bits;`,
      '}',
    );
  } else if (half) {
    lines.push(
      `fn ${name}_store_lanes(i: u32, bits: vec4<u32>, live: vec4<bool>) {`,
      `  ${name}[i / 2u] = bits.x | (bits.y << 16u);`,
      '  if (live.z) {',
      `    ${name}[i / 2u + 1u] = bits.z | (bits.w << 16u);`,
      '  }',
      '}',
    );
  } else {
    lines.push(
      `fn ${name}_store_lanes(i: u32, bits: vec4<u32>, live: vec4<bool>) {`,
      `  ${name}[i] = bits.x;`,
      ...['y', 'z', 'w'].flatMap((lane, j) => [`  if (live.${lane}) {`, `    ${name}[i + ${j + 1}u] = bits.${lane};`, '  }']),
      '}',
    );
  }
  return lines;
}

/**
 * The bindings a program writes floats to with atomicOr on a storage ('widened' kernels on packed
 * float16): their buffers must be zero before the program runs.
 */
export function atomicFloatWrites(program: Program<never>, storage: FloatStorage): string[] {
  if (storage !== 'float16-packed' || program.floats !== 'widened') return [];
  return program.bindings.filter((b) => b.kind === 'floats' && b.access === 'write').map((b) => b.name);
}
