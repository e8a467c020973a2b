/**
 * The WGSL of every kernel, by file name: params.wgsl and layout.wgsl in front of each kernel's own
 * text (index_fault.wgsl needs neither). `shaderCode` gives what the device compiles: the vector
 * kernels completed by `specialiseVectorFloat`, and for float16 tensors the other kernels that move
 * float data specialised by `specialiseFloat`.
 */
import float16Wgsl from '../shaders/float16.wgsl?raw';
import indexFaultWgsl from '../shaders/index_fault.wgsl?raw';
import layoutWgsl from '../shaders/layout.wgsl?raw';
import paramsWgsl from '../shaders/params.wgsl?raw';
import maxPoolWgsl from '../shaders/max_pool.wgsl?raw';
import maxPoolBackwardCheckWgsl from '../shaders/max_pool_backward_check.wgsl?raw';
import maxPoolChannelsLastWgsl from '../shaders/max_pool_channels_last.wgsl?raw';
import maxPoolTiledWgsl from '../shaders/max_pool_tiled.wgsl?raw';
import maxPoolOverlapTiledWgsl from '../shaders/max_pool_overlap_tiled.wgsl?raw';
import maxUnpoolBackwardWgsl from '../shaders/max_unpool_backward.wgsl?raw';
import maxUnpoolChannelsLastWgsl from '../shaders/max_unpool_channels_last.wgsl?raw';
import maxUnpoolClaimWgsl from '../shaders/max_unpool_claim.wgsl?raw';
import maxUnpoolOverlapTiledWgsl from '../shaders/max_unpool_overlap_tiled.wgsl?raw';
import maxUnpoolTiledWgsl from '../shaders/max_unpool_tiled.wgsl?raw';
import maxUnpoolWriteWgsl from '../shaders/max_unpool_write.wgsl?raw';
import windowGatherWgsl from '../shaders/window_gather.wgsl?raw';
import windowScatterWgsl from '../shaders/window_scatter.wgsl?raw';
import windowIndicesPackWgsl from '../shaders/window_indices_pack.wgsl?raw';
import windowIndicesUnpackWgsl from '../shaders/window_indices_unpack.wgsl?raw';
import type { ShaderName } from './plan.js';

/** Every kernel gets the params structs and the shared addressing helpers in front of its own text. */
export function withShared(code: string): string {
  return `${paramsWgsl}\n${layoutWgsl}\n${code}`;
}

export const SHADER_CODE: Readonly<Record<ShaderName, string>> = {
  'index_fault.wgsl': indexFaultWgsl,
  'max_pool.wgsl': withShared(maxPoolWgsl),
  'max_pool_backward_check.wgsl': withShared(maxPoolBackwardCheckWgsl),
  'max_pool_channels_last.wgsl': withShared(maxPoolChannelsLastWgsl),
  'max_pool_tiled.wgsl': withShared(maxPoolTiledWgsl),
  'max_pool_overlap_tiled.wgsl': withShared(maxPoolOverlapTiledWgsl),
  'max_unpool_backward.wgsl': withShared(maxUnpoolBackwardWgsl),
  'max_unpool_channels_last.wgsl': withShared(maxUnpoolChannelsLastWgsl),
  'max_unpool_claim.wgsl': withShared(maxUnpoolClaimWgsl),
  'max_unpool_overlap_tiled.wgsl': withShared(maxUnpoolOverlapTiledWgsl),
  'max_unpool_tiled.wgsl': withShared(maxUnpoolTiledWgsl),
  'max_unpool_write.wgsl': withShared(maxUnpoolWriteWgsl),
  'window_gather.wgsl': withShared(windowGatherWgsl),
  'window_scatter.wgsl': withShared(windowScatterWgsl),
  'window_indices_pack.wgsl': withShared(windowIndicesPackWgsl),
  'window_indices_unpack.wgsl': withShared(windowIndicesUnpackWgsl),
};

/**
 * How a kernel stores float data: 'float32' (one u32 of bits per element, the kernels as written),
 * 'float16-packed' (two float16 per u32 word, atomicOr stores into cleared words, any adapter) or
 * 'float16-native' (array<f16> with `enable f16;`, adapters with 'shader-f16'). See float16.wgsl. The
 * vector kernels store four elements at a time in whole words and take the same text for both float16
 * storages (see specialiseVectorFloat).
 */
export type FloatStorage = 'float32' | 'float16-packed' | 'float16-native';

/** Kernels that read or write float data through a float storage block, and so run on float16 too. */
export const FLOAT16_SHADERS: ReadonlySet<ShaderName> = new Set<ShaderName>([
  'max_pool.wgsl',
  'max_unpool_write.wgsl',
  'max_unpool_backward.wgsl',
  'window_gather.wgsl',
  'window_scatter.wgsl',
]);

const VECTOR_BLOCK = /^\/\/ vector float storage:[^\n]*\n(?:\/\/[^\n]*\n)*((?:@group[^\n]*\n)+)^\/\/ end vector float storage\n/m;
const VECTOR_BINDING = /^@group\(0\) @binding\((\d+)\) var<storage, (read|read_write)> (\w+): array<(vec4<u32>|u32)>;$/;

/**
 * Kernels that read and write float data four elements at a time through a vector float storage
 * block (see `specialiseVectorFloat`): the tiled, channels-last and gathering ones, found by their
 * block. Each invocation stores whole vectors of its own, so float16 stores whole words: no clears,
 * no atomics.
 */
export const VECTOR_FLOAT_SHADERS: ReadonlySet<ShaderName> = new Set(
  (Object.keys(SHADER_CODE) as ShaderName[]).filter((name) => VECTOR_BLOCK.test(SHADER_CODE[name])),
);

/** Kernels that move no float data: the same text serves every float storage. */
export const FLOAT_FREE_SHADERS: ReadonlySet<ShaderName> = new Set<ShaderName>([
  'index_fault.wgsl',
  'max_pool_backward_check.wgsl',
  'max_unpool_claim.wgsl',
  'window_indices_pack.wgsl',
  'window_indices_unpack.wgsl',
]);

const STORAGE_BLOCK = /^\/\/ float storage:[^\n]*\n(?:\/\/[^\n]*\n)*((?:@group[^\n]*\n)+)[\s\S]*?^\/\/ end float storage\n/m;
const FLOAT_BINDING = /^@group\(0\) @binding\((\d+)\) var<storage, (read|read_write)> (\w+): array<u32>;$/;

/**
 * A kernel's WGSL for float16 storage: its float storage block (the float32 bindings and their
 * `NAME_load(i) -> bits` / `NAME_store(i, bits)` accessors) rewritten for `storage`, float16.wgsl's
 * conversions added, and `enable f16;` in front for 'float16-native'. A read binding gives loads, a
 * read_write binding stores (the kernels never read what they write). Throws when the kernel has no
 * such block, so a kernel that moves float data outside the accessors cannot be specialised by mistake.
 */
export function specialiseFloat(code: string, storage: FloatStorage, name = 'kernel'): string {
  if (storage === 'float32') return code;
  const block = STORAGE_BLOCK.exec(code);
  if (!block) throw new Error(`specialiseFloat: ${name} has no float storage block`);
  const native = storage === 'float16-native';
  const lines: string[] = [`// float storage: float16 (${native ? 'native, array<f16>' : 'packed, two per u32 word'}), see float16.wgsl.`];
  for (const declaration of block[1].trim().split('\n')) {
    const match = FLOAT_BINDING.exec(declaration);
    if (!match) throw new Error(`specialiseFloat: ${name}: cannot read the float binding ${declaration}`);
    const [, binding, access, variable] = match;
    const write = access === 'read_write';
    const element = native ? 'f16' : write ? 'atomic<u32>' : 'u32';
    lines.push(`@group(0) @binding(${binding}) var<storage, ${access}> ${variable}: array<${element}>;`);
    if (write) {
      lines.push(
        `fn ${variable}_store(i: u32, bits: u32) {`,
        native
          ? `  ${variable}[i] = bitcast<vec2<f16>>(f32_to_f16_bits(bits)).x;`
          : `  atomicOr(&${variable}[i / 2u], f32_to_f16_bits(bits) << (16u * (i % 2u)));`,
        '}',
      );
    } else {
      lines.push(
        `fn ${variable}_load(i: u32) -> u32 {`,
        native
          ? `  return f16_to_f32_bits(bitcast<u32>(vec2<f16>(${variable}[i], 0.0h)) & 0xffffu);`
          : `  return f16_to_f32_bits((${variable}[i / 2u] >> (16u * (i % 2u))) & 0xffffu);`,
        '}',
      );
    }
  }
  lines.push('// end float storage', '');
  const body = code.replace(STORAGE_BLOCK, lines.join('\n'));
  return `${native ? 'enable f16;\n\n' : ''}${body}\n${float16Wgsl}`;
}

/**
 * A vector kernel's WGSL for a float storage: its vector float storage block (the float bindings
 * alone) completed with accessors. A read `array<vec4<u32>>` gets `NAME_load4(i) -> vec4<u32>`, a
 * read `array<u32>` `NAME_load(i) -> u32` (element i), a read_write `array<vec4<u32>>`
 * `NAME_store4(i, bits)`, a read_write `array<u32>` `NAME_store_lanes(i, bits, live)` (elements i..
 * from the lanes in `live`, a prefix); `stored_key4` and `stored_first_sum4` are the layout.wgsl
 * rules for the bits they move.
 *
 * float32: the bindings as declared, one u32 of bits per element. float16 (packed and native alike:
 * the same text, no `enable f16;`): the bits are halves, one per u32 lane, never widened (maxima and
 * unpooled values are copies), keys and first sums by layout.wgsl's _half rules; vector i is the word pair i of
 * an `array<vec2<u32>>`, least significant half first. A lanes store writes whole words, so it needs
 * i even and the live lanes in pairs (the host takes the kernel only for even output widths).
 */
export function specialiseVectorFloat(code: string, storage: FloatStorage, name = 'kernel'): string {
  const block = VECTOR_BLOCK.exec(code);
  if (!block) throw new Error(`specialiseVectorFloat: ${name} has no vector float storage block`);
  const half = storage !== 'float32';
  const lines: string[] = [half ? '// vector float storage: float16, four halves per vec2<u32>, see float16.wgsl.' : '// vector float storage: float32, four elements per vec4<u32>.'];
  for (const declaration of block[1].trim().split('\n')) {
    const match = VECTOR_BINDING.exec(declaration);
    if (!match) throw new Error(`specialiseVectorFloat: ${name}: cannot read the float binding ${declaration}`);
    const [, binding, access, variable, element] = match;
    const scalar = element === 'u32';
    lines.push(`@group(0) @binding(${binding}) var<storage, ${access}> ${variable}: array<${half && !scalar ? 'vec2<u32>' : element}>;`);
    if (access === 'read' && scalar) {
      lines.push(
        `fn ${variable}_load(i: u32) -> u32 {`,
        half ? `  return (${variable}[i / 2u] >> (16u * (i % 2u))) & 0xffffu;` : `  return ${variable}[i];`,
        '}',
      );
    } else if (access === 'read') {
      lines.push(
        `fn ${variable}_load4(i: u32) -> vec4<u32> {`,
        ...(half
          ? [`  let w = ${variable}[i];`, '  return vec4<u32>(w.x & 0xffffu, w.x >> 16u, w.y & 0xffffu, w.y >> 16u);']
          : [`  return ${variable}[i];`]),
        '}',
      );
    } else if (!scalar) {
      lines.push(
        `fn ${variable}_store4(i: u32, bits: vec4<u32>) {`,
        half ? `  ${variable}[i] = vec2<u32>(bits.x | (bits.y << 16u), bits.z | (bits.w << 16u));` : `  ${variable}[i] = bits;`,
        '}',
      );
    } else if (half) {
      lines.push(
        `fn ${variable}_store_lanes(i: u32, bits: vec4<u32>, live: vec4<bool>) {`,
        `  ${variable}[i / 2u] = bits.x | (bits.y << 16u);`,
        '  if (live.z) {',
        `    ${variable}[i / 2u + 1u] = bits.z | (bits.w << 16u);`,
        '  }',
        '}',
      );
    } else {
      lines.push(
        `fn ${variable}_store_lanes(i: u32, bits: vec4<u32>, live: vec4<bool>) {`,
        `  ${variable}[i] = bits.x;`,
        ...['y', 'z', 'w'].flatMap((lane, j) => [`  if (live.${lane}) {`, `    ${variable}[i + ${j + 1}u] = bits.${lane};`, '  }']),
        '}',
      );
    }
  }
  const suffix = half ? '_half' : '';
  lines.push(
    'fn stored_key4(bits: vec4<u32>) -> vec4<i32> {',
    `  return max_key4${suffix}(bits);`,
    '}',
    'fn stored_first_sum4(bits: vec4<u32>) -> vec4<u32> {',
    `  return first_sum_bits4${suffix}(bits);`,
    '}',
    '// end vector float storage',
    '',
  );
  return code.replace(VECTOR_BLOCK, lines.join('\n'));
}

/** The WGSL of kernel `name` for a float storage; throws for kernels that have no float16 form. */
export function shaderCode(name: ShaderName, storage: FloatStorage = 'float32'): string {
  const code = SHADER_CODE[name];
  if (VECTOR_FLOAT_SHADERS.has(name)) return specialiseVectorFloat(code, storage, name);
  if (storage === 'float32' || FLOAT_FREE_SHADERS.has(name)) return code;
  if (!FLOAT16_SHADERS.has(name)) throw new Error(`shaderCode: ${name} has no float16 form`);
  return specialiseFloat(code, storage, name);
}

/**
 * The binding numbers through which kernel `name` reads and writes float data (its float storage
 * block), or null for kernels without one. The plans clear the written binding's buffer before a
 * 'float16-packed' pass (atomicOr stores need zero words).
 */
export function floatBindings(name: ShaderName): { read: number; write: number } | null {
  const block = STORAGE_BLOCK.exec(SHADER_CODE[name]);
  if (!block) return null;
  const found: { read?: number; write?: number } = {};
  for (const declaration of block[1].trim().split('\n')) {
    const match = FLOAT_BINDING.exec(declaration);
    if (match) found[match[2] === 'read' ? 'read' : 'write'] = Number(match[1]);
  }
  if (found.read === undefined || found.write === undefined) throw new Error(`floatBindings: ${name} needs one read and one written float binding`);
  return { read: found.read, write: found.write };
}
