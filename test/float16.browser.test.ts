/**
 * float16 on the GPU: the kernels' conversions (float16.wgsl) against the host's (src/float16.ts) on
 * every float16 bit pattern and on the float32 patterns that decide rounding; then every operation on
 * float16 tensors against the CPU reference bit for bit and against the float32 path on the widened
 * values, on the packed storage (forced where the adapter has 'shader-f16') and, where the adapter
 * offers 'shader-f16', on native storage too.
 */
import { ArgPool, cpu, type FillMode, type IndexFormat, type Layout, type PoolOptions, type Tensor, type UnpoolOptions } from 'argpool';
import { recordMaxPool, recordMaxUnpool, resolvePoolGeometry, resolveUnpoolGeometry, STATUS_BYTES } from 'argpool/low-level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import float16Wgsl from '../shaders/float16.wgsl?raw';
import {
  float16BitsToFloat32Bits,
  float16BitsToNumber,
  float32BitsToFloat16Bits,
  narrowToFloat16,
  numberToFloat16Bits,
  widenFloat16,
} from '../src/float16';
import { expectHalfBitsEqual, expectIntsEqual, guardErrorScopes } from './compare';
import { makeHalfValues, rng, VALUE_KINDS } from './data';

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

// ---------------------------------------------------------------------------------------------
// Operations on float16 tensors
// ---------------------------------------------------------------------------------------------

/** Forced packed storage; the same with the general kernels; and 'auto', which is native where the adapter has shader-f16. */
let packed: ArgPool;
let packedGeneral: ArgPool;
let auto: ArgPool;
beforeAll(async () => {
  packed = await ArgPool.create({ float16Storage: 'packed' });
  packedGeneral = await ArgPool.create({ device: packed.device, float16Storage: 'packed', specialisedKernels: false });
  auto = await ArgPool.create({ device: packed.device });
});
afterAll(() => packed?.destroy());
guardErrorScopes(() => packed.device);

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const hasShaderF16 = () => packed.device.features.has('shader-f16');

/** The contexts whose float16 storage differs: packed always; native too where the adapter has shader-f16. */
function storages(): [string, ArgPool][] {
  const list: [string, ArgPool][] = [
    ['packed', packed],
    ['packed, general kernels', packedGeneral],
  ];
  if (auto.float16Storage === 'float16-native') list.push(['native', auto]);
  return list;
}

/** float16 bits from a float32 tensor read back: the float32 path's result, narrowed once on the host. */
async function narrowed(t: Tensor<'float32'>): Promise<Uint16Array> {
  return narrowToFloat16(await t.read());
}

/** A float16 bilinear fill against the reference, rounded once from float64: within one float16 ulp, NaN and infinities alike. */
function expectHalfClose(actual: Uint16Array, expected: Uint16Array, label: string): void {
  const bad: string[] = [];
  for (let i = 0; i < actual.length; i++) {
    const a = float16BitsToNumber(actual[i]);
    const e = float16BitsToNumber(expected[i]);
    const ok = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= Math.max(Math.abs(e) * 2 ** -10, 2 ** -24);
    if (!ok && bad.length < 8) bad.push(`${i}: GPU 0x${actual[i].toString(16)} (${a}), reference 0x${expected[i].toString(16)} (${e})`);
  }
  expect(bad, label).toEqual([]);
}

interface Float16Case {
  rank: 1 | 2 | 3;
  layout: Layout;
  indexFormat: IndexFormat;
  shape: number[];
  pool: PoolOptions;
  kind: (typeof VALUE_KINDS)[number];
  seed: number;
}

/** Overlapping windows with padding (duplicates in unpooling, several gradients per element), and windows that tile (the float32 tiled kernels). */
function float16Cases(): Float16Case[] {
  const cases: Float16Case[] = [];
  const configs: { rank: 1 | 2 | 3; spatial: number[]; pool: PoolOptions }[] = [
    { rank: 1, spatial: [11], pool: { kernelSize: 3, stride: 2, padding: 1 } },
    { rank: 2, spatial: [7, 9], pool: { kernelSize: 3, stride: 2, padding: 1 } },
    { rank: 2, spatial: [8, 8], pool: { kernelSize: 2 } },
    { rank: 2, spatial: [9, 8], pool: { kernelSize: [3, 3], stride: 2, padding: 1, dilation: [1, 1], ceilMode: true } },
    { rank: 3, spatial: [5, 6, 7], pool: { kernelSize: [2, 3, 2], stride: [2, 2, 1], padding: [1, 1, 0] } },
  ];
  let seed = 1;
  for (const config of configs) {
    for (const layout of ['NCHW', 'NHWC'] as Layout[]) {
      for (const indexFormat of ['spatial', 'flat', 'flat-no-batch', 'window'] as IndexFormat[]) {
        // Two batches and an odd channel count, so tensors end in half a word.
        const shape = layout === 'NCHW' ? [2, 3, ...config.spatial] : [2, ...config.spatial, 3];
        const kind = VALUE_KINDS[seed % VALUE_KINDS.length];
        cases.push({ rank: config.rank, layout, indexFormat, shape, pool: { ...config.pool, layout, indexFormat }, kind, seed: seed++ });
      }
    }
  }
  return cases;
}

function unpoolOptions(c: Float16Case, fill: FillMode): UnpoolOptions {
  const { kernelSize, stride, layout, indexFormat } = c.pool;
  const padding = c.pool.padding as UnpoolOptions['padding'];
  const spatial = c.layout === 'NCHW' ? c.shape.slice(2) : c.shape.slice(1, -1);
  return { kernelSize, stride, padding, layout, indexFormat, outputSize: spatial, fill };
}

/**
 * One case on one context: pooling, unpooling with every fill (from the pooling's own indices, and
 * from the same indices uploaded, which takes the general scatter), both gradients. Each float16
 * result equals the CPU reference bit for bit (bilinear: within a float16 ulp, the reference rounding
 * once from float64) and the float32 path on the widened values, narrowed once, bit for bit.
 */
async function checkCase(ap: ArgPool, c: Float16Case, label: string): Promise<void> {
  const bits = makeHalfValues(c.kind, size(c.shape), c.seed);
  const host = cpu.maxPool({ data: bits, shape: c.shape }, c.pool);
  const x16 = ap.tensor(bits, c.shape, 'float16');
  const x32 = ap.tensor(widenFloat16(bits), c.shape);
  expect(x16.dtype).toBe('float16');
  expect(x16.byteLength).toBe(Math.ceil(size(c.shape) / 2) * 4);
  const p16 = ap.maxPool(x16, c.pool);
  const p32 = ap.maxPool(x32, c.pool);
  expect(p16.values.dtype).toBe('float16');
  const values16 = await p16.values.readFloat16Bits();
  expectHalfBitsEqual(values16, host.values.data, host.values.shape, `values ${label}`);
  expectHalfBitsEqual(values16, await narrowed(p32.values), host.values.shape, `values vs float32 ${label}`);
  const indices16 = await p16.indices.read();
  expectIntsEqual(indices16, host.indices.data, host.indices.shape, `indices ${label}`);
  expectIntsEqual(indices16, await p32.indices.read(), host.indices.shape, `indices vs float32 ${label}`);

  // Indices uploaded: no provenance, so unpooling takes the general scatter.
  const uploaded = indices16 instanceof Uint8Array ? ap.tensor(indices16, host.indices.shape) : ap.tensor(indices16, host.indices.shape);
  for (const fill of ['zero', 'nearest', 'bilinear'] as FillMode[]) {
    const options = unpoolOptions(c, fill);
    const expected = cpu.maxUnpool(host.values, host.indices, options);
    for (const [how, indices] of [['own indices', p16.indices], ['uploaded indices', uploaded]] as const) {
      const u16 = ap.maxUnpool(p16.values, indices, options);
      const u32 = ap.maxUnpool(p32.values, how === 'own indices' ? p32.indices : uploaded, options);
      expect(u16.dtype).toBe('float16');
      const got = await u16.readFloat16Bits();
      const what = `unpool ${fill}, ${how}, ${label}`;
      expectHalfBitsEqual(got, await narrowed(u32), expected.shape, `${what} vs float32`);
      if (fill === 'bilinear') expectHalfClose(got, expected.data, what);
      else expectHalfBitsEqual(got, expected.data, expected.shape, what);
      u16.destroy();
      u32.destroy();
    }
  }

  // Pooling gradient: float16 gradients summed in float32, rounded once.
  const grad = makeHalfValues(c.kind === 'nan' ? 'nan' : 'special', size(host.values.shape), c.seed + 3);
  const backwardOptions = { ...c.pool, inputShape: c.shape };
  const expectedBack = cpu.maxPoolBackward({ data: grad, shape: host.values.shape }, host.indices, backwardOptions);
  const g16 = ap.tensor(grad, host.values.shape, 'float16');
  const g32 = ap.tensor(widenFloat16(grad), host.values.shape);
  for (const [how, i16, i32] of [['own indices', p16.indices, p32.indices], ['uploaded indices', uploaded, uploaded]] as const) {
    const b16 = ap.maxPoolBackward(g16, i16, backwardOptions);
    const b32 = ap.maxPoolBackward(g32, i32, backwardOptions);
    const got = await b16.readFloat16Bits();
    expectHalfBitsEqual(got, expectedBack.data, expectedBack.shape, `pool gradient, ${how}, ${label}`, true);
    expectHalfBitsEqual(got, await narrowed(b32), expectedBack.shape, `pool gradient vs float32, ${how}, ${label}`);
    b16.destroy();
    b32.destroy();
  }

  // Unpooling gradient: a gather of bits.
  const gradOut = makeHalfValues(c.kind, size(c.shape), c.seed + 7);
  const options = unpoolOptions(c, 'zero');
  const expectedUnBack = cpu.maxUnpoolBackward({ data: gradOut, shape: c.shape }, host.indices, options);
  const go16 = ap.tensor(gradOut, c.shape, 'float16');
  const go32 = ap.tensor(widenFloat16(gradOut), c.shape);
  const ub16 = ap.maxUnpoolBackward(go16, p16.indices, options);
  const ub32 = ap.maxUnpoolBackward(go32, p32.indices, options);
  const gotUnBack = await ub16.readFloat16Bits();
  expectHalfBitsEqual(gotUnBack, expectedUnBack.data, expectedUnBack.shape, `unpool gradient ${label}`);
  expectHalfBitsEqual(gotUnBack, await narrowed(ub32), expectedUnBack.shape, `unpool gradient vs float32 ${label}`);

  for (const t of [x16, x32, p16.values, p16.indices, p32.values, p32.indices, uploaded, g16, g32, go16, go32, ub16, ub32]) t.destroy();
}

describe('float16 operations against the CPU reference and the float32 path', () => {
  it('stores float16 natively where the adapter has shader-f16 (unless forced packed), packed elsewhere', () => {
    expect(packed.float16Storage).toBe('float16-packed');
    expect(packedGeneral.float16Storage).toBe('float16-packed');
    expect(auto.float16Storage).toBe(hasShaderF16() ? 'float16-native' : 'float16-packed');
    console.log(`float16 storages tested: ${storages().map(([name]) => name).join(', ')} (adapter ${hasShaderF16() ? 'has' : 'lacks'} shader-f16)`);
  });

  for (const c of float16Cases()) {
    const label = `rank ${c.rank}, ${c.layout}, ${c.indexFormat}, ${JSON.stringify(c.pool)}, ${c.kind}`;
    it(`pool, unpool (every fill), both gradients: ${label}`, async () => {
      for (const [name, ap] of storages()) await checkCase(ap, c, `${name}: ${label}`);
    });
  }

  it('reads float16 tensors as a Float16Array where the runtime has one, with the exact values', async () => {
    const bits = new Uint16Array([0x0001, 0x8000, 0x7bff, 0xfc00, 0x3c00, 0x03ff, 0x7e00]);
    const t = packed.tensor(bits, [7], 'float16');
    const read = await t.read();
    const Float16 = (globalThis as { Float16Array?: new () => unknown }).Float16Array;
    if (Float16) expect(read).toBeInstanceOf(Float16);
    else expect(read).toBeInstanceOf(Float32Array);
    const values = Array.from(read as ArrayLike<number>);
    expect(values.slice(0, 6)).toEqual([2 ** -24, -0, 65504, -Infinity, 1, 1023 * 2 ** -24]);
    expect(Object.is(values[1], -0)).toBe(true);
    expect(values[6]).toBeNaN();
    expect(Array.from(await t.readFloat16Bits())).toEqual(Array.from(bits));
    t.destroy();
  });

  it('uploads a Float32Array as float16 with round to nearest even, and a Float16Array as it is', async () => {
    const data = new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 2 ** -25, 3 * 2 ** -25, -0, 0.1]);
    const t = packed.tensor(data, [7], 'float16');
    expect(Array.from(await t.readFloat16Bits())).toEqual([0x3c00, 0x3c02, 0x7c00, 0x0000, 0x0002, 0x8000, 0x2e66]);
    const Float16 = (globalThis as { Float16Array?: new (values: number[]) => ArrayLike<number> }).Float16Array;
    if (Float16) {
      const f16 = packed.tensor(new Float16([0.5, -2, 2 ** -24]) as never, [3]);
      expect(f16.dtype).toBe('float16');
      expect(Array.from(await f16.readFloat16Bits())).toEqual([0x3800, 0xc000, 0x0001]);
      f16.destroy();
    }
    t.destroy();
  });

  it('wraps a caller-owned float16 buffer (fromBuffer) and pools it', async () => {
    const bits = makeHalfValues('special', 2 * 3 * 5, 3);
    const buffer = packed.device.createBuffer({ label: 'float16 input', size: 64, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    packed.device.queue.writeBuffer(buffer, 0, bits);
    const x = packed.fromBuffer(buffer, [2, 3, 5], 'float16');
    expect(() => packed.fromBuffer(buffer, [1, 1, 33], 'float16')).toThrow(/^fromBuffer: buffer holds 64 bytes but shape \[1, 1, 33\] of float16 needs 68$/);
    packed.fromBuffer(buffer, [1, 1, 32], 'float16').destroy();
    const { values, indices } = packed.maxPool1d(x, { kernelSize: 2 });
    const host = cpu.maxPool1d({ data: bits, shape: [2, 3, 5] }, { kernelSize: 2 });
    expectHalfBitsEqual(await values.readFloat16Bits(), host.values.data, host.values.shape, 'fromBuffer values');
    expectIntsEqual(await indices.read(), host.indices.data, host.indices.shape, 'fromBuffer indices');
    for (const t of [x, values, indices]) t.destroy();
    buffer.destroy();
  });

  it('refuses mixed float dtypes, naming the operation, the argument and both dtypes, and keeps working', async () => {
    const x16 = packed.tensor(makeHalfValues('random', 16, 1), [1, 1, 4, 4], 'float16');
    const x32 = packed.tensor(new Float32Array(16), [1, 1, 4, 4]);
    const p16 = packed.maxPool(x16, { kernelSize: 2 });
    const p32 = packed.maxPool(x32, { kernelSize: 2 });
    const backward = { kernelSize: 2, inputShape: [1, 1, 4, 4] };
    const refusals: [() => unknown, RegExp][] = [
      [() => packed.maxPoolBackward(p32.values, p16.indices, backward), /^maxPoolBackward2d: gradOutput is float32 but indices come from a pooling of float16 values; mixed float dtypes are not supported \(pass float16 gradOutput\)$/],
      [() => packed.maxPoolBackward(p16.values, p32.indices, backward), /^maxPoolBackward2d: gradOutput is float16 but indices come from a pooling of float32 values/],
      [() => packed.maxUnpool(p32.values, p16.indices, { kernelSize: 2 }), /^maxUnpool2d: values is float32 but indices come from a pooling of float16 values/],
      [() => packed.maxUnpoolBackward(x32, p16.indices, { kernelSize: 2 }), /^maxUnpoolBackward2d: gradOutput is float32 but indices come from a pooling of float16 values/],
      [() => packed.maxPool(p16.indices, { kernelSize: 2 }), /^maxPool2d: input must be a float32 or float16 tensor, got int32$/],
      [() => packed.tensor(new Uint16Array(4) as never, [4]), /^tensor: a Uint16Array is read as float16 bits only with dtype 'float16'$/],
      [() => packed.tensor(new Int32Array(4), [4], 'float16' as never), /^tensor: float16 data must be a Uint16Array of float16 bits, a Float16Array or a Float32Array, got Int32Array$/],
      [() => packed.tensor(new Float32Array(4), [4], 'int32' as never), /^tensor: data Float32Array does not hold dtype 'int32'$/],
      [() => packed.tensor(new Uint16Array(5), [2, 2], 'float16'), /^tensor: data has 5 elements but shape \[2, 2\] needs 4$/],
    ];
    for (const [call, message] of refusals) expect(call).toThrow(message);
    // Indices without provenance go with either dtype; and the context still works.
    const uploaded = packed.tensor(await p16.indices.read(), [1, 1, 2, 2]);
    const back = packed.maxPoolBackward(p32.values, uploaded, backward);
    expect((await back.read()).length).toBe(16);
    const again = packed.maxPool(x16, { kernelSize: 2 });
    expectHalfBitsEqual(await again.values.readFloat16Bits(), await p16.values.readFloat16Bits(), [1, 1, 2, 2], 'after refusals');
    for (const t of [x16, x32, p16.values, p16.indices, p32.values, p32.indices, uploaded, back, again.values, again.indices]) t.destroy();
  });

  it('keeps both halves of every word when neighbouring elements are written by different invocations (odd sizes, channels-last)', async () => {
    // Unpooling writes every output element from its own invocation; a store that replaced the
    // whole word would lose the neighbour. Odd totals end in half a word.
    for (const [name, ap] of storages()) {
      for (const shape of [[1, 1, 7], [1, 3, 5, 5], [3, 5, 3]]) {
        const bits = makeHalfValues('random', size(shape), shape.length);
        for (let i = 0; i < bits.length; i++) if (bits[i] === 0 || bits[i] === 0x8000) bits[i] = 0x3c00;
        const x = ap.tensor(bits, shape, 'float16');
        const p = ap.maxPool(x, { kernelSize: 1 });
        const u = ap.maxUnpool(p.values, p.indices, { kernelSize: 1, fill: 'nearest' });
        expectHalfBitsEqual(await u.readFloat16Bits(), bits, shape, `${name} identity ${JSON.stringify(shape)}`);
        for (const t of [x, p.values, p.indices, u]) t.destroy();
      }
    }
  });

  it('records float16 operations into a caller\'s encoder on caller-owned buffers (dtype: float16), packed and as the device allows', async () => {
    const device = packed.device;
    const shape = [1, 2, 5, 6];
    const bits = makeHalfValues('special', size(shape), 9);
    const host = cpu.maxPool({ data: bits, shape }, { kernelSize: 2, stride: 1 });
    const unpooled = cpu.maxUnpool(host.values, host.indices, { kernelSize: 2, stride: 1, outputSize: [5, 6] });
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    for (const float16Storage of ['packed', 'auto'] as const) {
      const make = (label: string, bytes: number) => device.createBuffer({ label, size: Math.ceil(bytes / 16) * 16, usage });
      const input = make('input', bits.byteLength);
      device.queue.writeBuffer(input, 0, bits);
      const values = make('values', host.values.data.length * 2);
      const indices = make('indices', host.indices.data.length * 4);
      const output = make('output', size(shape) * 2);
      const status = make('status', STATUS_BYTES);
      const encoder = device.createCommandEncoder();
      const pool = recordMaxPool(device, encoder, resolvePoolGeometry('maxPool', shape, { kernelSize: 2, stride: 1 }), { input, values, indices }, { dtype: 'float16', float16Storage });
      const geometry = resolveUnpoolGeometry('maxUnpool', host.values.shape, host.indices.shape, { kernelSize: 2, stride: 1, outputSize: [5, 6] });
      const unpool = recordMaxUnpool(device, encoder, geometry, { values, indices, output, status }, { dtype: 'float16', float16Storage });
      const staging = device.createBuffer({ size: output.size + values.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      encoder.copyBufferToBuffer(output, 0, staging, 0, output.size);
      encoder.copyBufferToBuffer(values, 0, staging, output.size, values.size);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const mapped = staging.getMappedRange();
      expectHalfBitsEqual(new Uint16Array(mapped.slice(output.size, output.size + host.values.data.length * 2)), host.values.data, host.values.shape, `recorded values (${float16Storage})`);
      expectHalfBitsEqual(new Uint16Array(mapped.slice(0, size(shape) * 2)), unpooled.data, unpooled.shape, `recorded unpooling (${float16Storage})`);
      staging.unmap();
      expect(() => recordMaxPool(device, device.createCommandEncoder(), resolvePoolGeometry('maxPool', shape, { kernelSize: 2 }), { input, values, indices }, { dtype: 'float64' as never })).toThrow(
        /^maxPool2d: dtype must be 'float32' or 'float16', got "float64"$/,
      );
      for (const b of [input, values, indices, output, status, staging, ...pool.scratch, ...unpool.scratch]) b.destroy();
    }
  });
});
