/**
 * float16 on the GPU: the kernels' conversions (float16.wgsl) against the host's (src/float16.ts) on
 * every float16 bit pattern and on the float32 patterns that decide rounding; then every operation on
 * float16 tensors against the CPU reference bit for bit and against the float32 path on the widened
 * values, on the packed storage (forced where the adapter has 'shader-f16') and, where the adapter
 * offers 'shader-f16', on native storage too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import float16Wgsl from '../shaders/float16.wgsl?raw';
import { float16BitsToFloat32Bits, float32BitsToFloat16Bits, numberToFloat16Bits } from '../src/float16';
import { rng } from './data';

let device: GPUDevice;
beforeAll(async () => {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('WebGPU: no adapter');
  device = await adapter.requestDevice({ label: 'float16 conversions' });
});
afterAll(() => device?.destroy());

const CONVERT = `
${float16Wgsl}
override NARROW: bool = false;
@group(0) @binding(0) var<storage, read> source: array<u32>;
@group(0) @binding(1) var<storage, read_write> result: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= arrayLength(&source)) {
    return;
  }
  result[i] = select(f16_to_f32_bits(source[i]), f32_to_f16_bits(source[i]), NARROW);
}`;

/** Runs float16.wgsl's widening (or narrowing) on every word of `words` and reads the results back. */
async function convert(words: Uint32Array<ArrayBuffer>, narrow: boolean): Promise<Uint32Array> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: 'float16 conversions', code: CONVERT });
  const pipeline = device.createComputePipeline({ label: 'float16 conversions', layout: 'auto', compute: { module, entryPoint: 'main', constants: { NARROW: narrow ? 1 : 0 } } });
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const source = device.createBuffer({ label: 'source', size: words.byteLength, usage });
  const result = device.createBuffer({ label: 'result', size: words.byteLength, usage });
  const staging = device.createBuffer({ label: 'staging', size: words.byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(source, 0, words);
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: source } }, { binding: 1, resource: { buffer: result } }] }));
  pass.dispatchWorkgroups(Math.ceil(words.length / 64));
  pass.end();
  encoder.copyBufferToBuffer(result, 0, staging, 0, words.byteLength);
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  if (error) throw new Error(`float16 conversions: ${error.message}`);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Uint32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  for (const b of [source, result, staging]) b.destroy();
  return out;
}

function firstDifferences(input: Uint32Array, actual: Uint32Array, expected: (word: number) => number): string[] {
  const rows: string[] = [];
  let total = 0;
  for (let i = 0; i < input.length; i++) {
    const e = expected(input[i]);
    if (actual[i] !== e >>> 0 && total++ < 8) rows.push(`0x${input[i].toString(16)}: GPU 0x${actual[i].toString(16)}, host 0x${(e >>> 0).toString(16)}`);
  }
  return total ? [`${total} of ${input.length} differ`, ...rows] : [];
}

describe('float16.wgsl conversions against src/float16.ts', () => {
  it('widens every float16 bit pattern exactly (subnormals, ±0, ±inf, NaN payloads)', async () => {
    const all = new Uint32Array(0x10000).map((_, i) => i);
    const wide = await convert(all, false);
    expect(firstDifferences(all, wide, float16BitsToFloat32Bits)).toEqual([]);
  });

  it('narrows with round to nearest even: every widened float16, every midpoint and its neighbours, overflow, underflow, NaNs, and random float32s', async () => {
    const words: number[] = [];
    for (let h = 0; h < 0x10000; h++) words.push(float16BitsToFloat32Bits(h));
    for (let h = 0; h < 0x7bff; h++) {
      const lo = float16BitsToFloat32Bits(h);
      const hi = float16BitsToFloat32Bits(h + 1);
      const mid = new Uint32Array(new Float32Array([(new Float32Array(new Uint32Array([lo]).buffer)[0] + new Float32Array(new Uint32Array([hi]).buffer)[0]) / 2]).buffer)[0];
      for (const w of [mid - 1, mid, mid + 1]) words.push(w, (w | 0x80000000) >>> 0);
    }
    // Around the overflow tie (65520), at and below 2^-25, float32 subnormals, NaNs whose payload lies below float16's fraction.
    words.push(0x477fefff, 0x477ff000, 0x477ff001, 0x7f7fffff, 0x32ffffff, 0x33000000, 0x33000001, 0x33400000, 0x00000001, 0x807fffff, 0x7f800001, 0xff801fff, 0x7fc00000, 0xffffffff);
    const next = rng(7);
    for (let i = 0; i < 200_000; i++) words.push(Math.floor(next() * 2 ** 32) >>> 0);
    const input = new Uint32Array(words);
    const narrow = await convert(input, true);
    expect(firstDifferences(input, narrow, float32BitsToFloat16Bits)).toEqual([]);
    // The host's narrowing is itself the float64 rounding of the float32 value, where the value is not NaN.
    expect(float32BitsToFloat16Bits(0x3f801000)).toBe(numberToFloat16Bits(1 + 2 ** -11));
  });
});
