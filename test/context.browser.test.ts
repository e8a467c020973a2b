/** The ArgPool context on a real WebGPU adapter: errors, faults, batching, buffers, limits, device loss. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseLaunchProfile } from '../src/launch';
import { limitsOf, planMaxUnpoolBackward } from '../src/plan';
// The context's internals (executor, plans, launch profiles) are inspected here, so the context
// comes from the same modules: src/, not the build.
import { ArgPool, cpu, type PoolOptions, type UnpoolOptions } from '../src/index';
import { recordMaxPool, recordMaxUnpool, decodeStatus, resolvePoolGeometry, resolveUnpoolGeometry, STATUS_BYTES } from '../src/low-level';
import { expectBitsEqual, expectClose, expectIntsEqual, expectSumBitsEqual, guardErrorScopes } from './compare';
import { makeValues } from './data';
import { BufferUsage, MapMode } from '../src/webgpu_constants';
import { executorFor } from '../src/executor';
import { pipelineCount } from '../src/pipelines';
import { windowGatherLaunch } from '../src/programs/window_gather';

let ap: ArgPool;
beforeAll(async () => {
  ap = await ArgPool.create();
});
afterAll(() => ap.destroy());
guardErrorScopes(() => ap.device);

const WORKED = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);

/** The worked example: proves the context still computes correctly. */
async function expectContextWorks(context = ap): Promise<void> {
  const x = context.tensor(WORKED, [1, 1, 3, 3]);
  const { values, indices } = context.maxPool2d(x, { kernelSize: 2, stride: 1 });
  const y = context.maxUnpool2d(values, indices, { kernelSize: 2, stride: 1, outputSize: [3, 3] });
  expect(Array.from(await values.read())).toEqual([5, 6, 8, 9]);
  expect(Array.from(await indices.read())).toEqual([4, 5, 7, 8]);
  expect(Array.from(await y.read())).toEqual([0, 0, 0, 0, 5, 6, 0, 8, 9]);
  for (const t of [x, values, indices, y]) t.destroy();
}

describe('ArgPool', () => {
  it('runs on a real WebGPU adapter with the adapter limits', async () => {
    expect(ap.device).toBeDefined();
    const adapter = await navigator.gpu.requestAdapter();
    expect(ap.device.limits.maxStorageBufferBindingSize).toBe(adapter!.limits.maxStorageBufferBindingSize);
    const info = ap.device.adapterInfo;
    // Shown in the test output, so a CI log says which adapter the GPU tests ran on.
    console.log(`WebGPU adapter: ${info.vendor} ${info.architecture} ${info.description}`.trim() + `; launch profile: ${ap.launchProfile.name}`);
    // The launch shapes follow the adapter (SwiftShader here: 'emulated'; a real GPU: 'gpu').
    expect(ap.launchProfile).toBe(chooseLaunchProfile(info));
    if (/swiftshader/i.test(`${info.vendor} ${info.architecture}`)) expect(ap.launchProfile.name).toBe('emulated');
    await expectContextWorks();
  });

  it('refuses bad options and shapes synchronously, naming the operation, argument and value, and keeps working', async () => {
    const x = ap.tensor(new Float32Array(16), [1, 1, 4, 4]);
    const idx = ap.tensor(new Int32Array(4), [1, 1, 2, 2]);
    const v = ap.tensor(new Float32Array(4), [1, 1, 2, 2]);
    const refusals: [() => unknown, RegExp][] = [
      [() => ap.maxPool(x, { kernelSize: 0 }), /^maxPool2d: kernelSize must be positive integers, got 0$/],
      [() => ap.maxPool(x, { kernelSize: 2, stride: [1, 2, 3] }), /^maxPool2d: stride must be a number or 2 numbers, got \[1, 2, 3\]$/],
      [() => ap.maxPool(x, { kernelSize: 2, padding: 2 }), /^maxPool2d: padding must be at most half of kernelSize, got padding 2/],
      [() => ap.maxPool(x, { kernelSize: 5 }), /^maxPool2d: output would be empty/],
      [() => ap.maxPool(x, { kernelSize: 2, dilation: 0 }), /^maxPool2d: dilation must be positive integers, got 0$/],
      [() => ap.maxPool(x, { kernelSize: 2, ceilMode: 1 as unknown as boolean }), /^maxPool2d: ceilMode must be true or false, got 1$/],
      [() => ap.maxPool(x, { kernelSize: 2, layout: 'NWHC' as 'NHWC' }), /^maxPool2d: layout must be 'NCHW' or 'NHWC', got "NWHC"$/],
      [() => ap.maxPool(x, { kernelSize: 2, strides: 2 } as never), /^maxPool2d: unknown option "strides"/],
      [() => ap.maxPool1d(x, { kernelSize: 2 }), /^maxPool1d: input must have 3 dimensions/],
      [() => ap.maxPool(idx, { kernelSize: 2 }), /^maxPool2d: input must be a float32 or float16 tensor, got int32$/],
      [() => ap.maxUnpool(v, v, { kernelSize: 2 }), /^maxUnpool2d: indices must be a int32 tensor, got float32$/],
      [() => ap.maxUnpool(v, idx, { kernelSize: 2, outputSize: [6, 4] }), /^maxUnpool2d: outputSize \[6, 4\] is invalid: dimension 0 must be between 3 and 5/],
      [() => ap.maxUnpool(x, idx, { kernelSize: 2 }), /^maxUnpool2d: indices shape \[1, 1, 2, 2\] must equal values shape \[1, 1, 4, 4\]$/],
      [() => ap.maxUnpool(v, idx, { kernelSize: 2, fill: 'cubic' as 'nearest' }), /^maxUnpool2d: fill must be 'zero', 'nearest' or 'bilinear', got "cubic"$/],
      [() => ap.tensor(new Float32Array(5), [2, 2]), /^tensor: data has 5 elements but shape \[2, 2\] needs 4$/],
      [() => ap.tensor([1, 2] as unknown as Float32Array, [2]), /^tensor: data must be a Float32Array(, Float16Array)?, Uint16Array \(float16 bits\), Int32Array, BigInt64Array or Uint8Array, got Array$/],
      [() => ap.tensor(new BigInt64Array([1n, 2n ** 40n]), [2]), /^tensor: data\[1\] = 1099511627776 does not fit int32$/],
    ];
    for (const [call, message] of refusals) expect(call).toThrow(message);
    for (const t of [x, idx, v]) t.destroy();
    expect(() => ap.maxPool(x, { kernelSize: 2 })).toThrow(/^maxPool2d: input has been destroyed$/);
    await expectContextWorks();
  });

  it('reports an invalid index in unpooling when the result is read, as PyTorch does, and keeps working', async () => {
    const values = ap.tensor(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), [1, 2, 2, 2]);
    const indices = ap.tensor(new Int32Array([0, 5, 2, 3, 4, 16, 9, 99]), [1, 2, 2, 2]);
    const y = ap.maxUnpool(values, indices, { kernelSize: 2 });
    const expected = /^maxUnpool2d: Found an invalid max index 16 at indices\[0, 1, 0, 1\] \(output plane has 16 elements\)$/;
    expect(() => cpu.maxUnpool({ data: new Float32Array(8), shape: [1, 2, 2, 2] }, { data: new Int32Array([0, 5, 2, 3, 4, 16, 9, 99]), shape: [1, 2, 2, 2] }, { kernelSize: 2 })).toThrow(expected);
    await expect(y.read()).rejects.toThrow(expected);
    // The fault follows the result into later work that reads it.
    const { values: pooled } = ap.maxPool(y, { kernelSize: 2 });
    await expect(pooled.read()).rejects.toThrow(expected);
    // Negative indices are faults too; NHWC reports logical (n, c, h, w) coordinates.
    const nhwc = ap.maxUnpool(
      ap.tensor(new Float32Array(8), [1, 2, 2, 2]),
      ap.tensor(new Int32Array([0, 0, 0, 0, 0, 0, -3, 0]), [1, 2, 2, 2]),
      { kernelSize: 2, layout: 'NHWC' },
    );
    await expect(nhwc.read()).rejects.toThrow(/^maxUnpool2d: Found an invalid max index -3 at indices\[0, 0, 1, 1\]/);
    await expectContextWorks();
  });

  it('batches many calls into one submission and reads each result correctly', async () => {
    const shape = [2, 3, 17, 13];
    const data = makeValues('random', 2 * 3 * 17 * 13, 7);
    const submit = ap.device.queue.submit.bind(ap.device.queue);
    let submissions = 0;
    ap.device.queue.submit = (buffers) => {
      submissions++;
      submit(buffers);
    };
    try {
      let x = ap.tensor(data, shape);
      let host = { data, shape };
      const steps = [];
      for (let i = 0; i < 3; i++) {
        const { values, indices } = ap.maxPool(x, { kernelSize: 2, ceilMode: true });
        const ref = cpu.maxPool(host, { kernelSize: 2, ceilMode: true });
        steps.push({ values, indices, ref });
        x = values;
        host = ref.values;
      }
      expect(submissions).toBe(0);
      const last = steps[2];
      expectBitsEqual(await last.values.read(), last.ref.values.data, last.ref.values.shape, 'level 3 values');
      expect(submissions).toBe(1);
      for (const s of steps) expectIntsEqual(await s.indices.read(), s.ref.indices.data, s.ref.indices.shape, 'indices');
    } finally {
      ap.device.queue.submit = submit;
    }
  });

  it('reuses its buffers: repeated encoder-decoder chains allocate nothing after the first', async () => {
    const data = makeValues('random', 1 * 4 * 32 * 32, 3);
    const chain = async () => {
      const x = ap.tensor(data, [1, 4, 32, 32]);
      const levels = [];
      let current = x;
      for (let i = 0; i < 3; i++) {
        const pooled = ap.maxPool(current, { kernelSize: 2 });
        levels.push(pooled);
        current = pooled.values;
      }
      const decoded = [];
      let up = current;
      for (let i = 2; i >= 0; i--) {
        up = ap.maxUnpool(up, levels[i].indices, { kernelSize: 2 });
        decoded.push(up);
      }
      const out = await up.read();
      for (const t of [x, ...decoded, ...levels.flatMap((l) => [l.values, l.indices])]) t.destroy();
      return out;
    };
    const first = await chain();
    const created = ap.buffersCreated;
    for (let i = 0; i < 5; i++) expectBitsEqual(await chain(), first, [1, 4, 32, 32], `chain ${i}`);
    expect(ap.buffersCreated).toBe(created);
  });

  it('records into a caller-owned encoder on caller-owned buffers (low-level layer)', async () => {
    const device = ap.device;
    const usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
    const input = device.createBuffer({ size: 36, usage });
    device.queue.writeBuffer(input, 0, WORKED);
    const values = device.createBuffer({ size: 16, usage });
    const indices = device.createBuffer({ size: 16, usage });
    const output = device.createBuffer({ size: 36, usage });
    const status = device.createBuffer({ size: STATUS_BYTES, usage });
    const readback = device.createBuffer({ size: 36 + STATUS_BYTES, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    const pool = resolvePoolGeometry('maxPool', [1, 1, 3, 3], { kernelSize: 2, stride: 1 });
    const unpool = resolveUnpoolGeometry('maxUnpool', [1, 1, 2, 2], [1, 1, 2, 2], { kernelSize: 2, stride: 1, outputSize: [3, 3] });
    const a = recordMaxPool(device, encoder, pool, { input, values, indices });
    const b = recordMaxUnpool(device, encoder, unpool, { values, indices, output, status });
    encoder.copyBufferToBuffer(output, 0, readback, 0, 36);
    encoder.copyBufferToBuffer(status, 0, readback, 36, STATUS_BYTES);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(MapMode.READ);
    const bytes = readback.getMappedRange().slice(0);
    readback.unmap();
    expect(Array.from(new Float32Array(bytes, 0, 9))).toEqual([0, 0, 0, 0, 5, 6, 0, 8, 9]);
    expect(decodeStatus(new Uint32Array(bytes, 36, 2))).toBeNull();
    for (const buffer of [input, values, indices, output, status, readback, ...a.scratch, ...b.scratch]) buffer.destroy();
  });

  it('handles a tensor above the default binding size and a grid of more than 65,535 workgroups', async () => {
    // 1 x 1 x 6144 x 6144 float32 is 144 MiB (default maxStorageBufferBindingSize: 128 MiB); pooling
    // 2x2/2 gives 9,437,184 outputs, 147,456 workgroups of 64: a 2-D grid.
    const shape = [1, 1, 6144, 6144];
    const data = makeValues('ties', 6144 * 6144, 11);
    const x = ap.tensor(data, shape);
    expect(x.byteLength).toBeGreaterThan(128 * 1024 * 1024);
    const { values, indices } = ap.maxPool(x, { kernelSize: 2 });
    const ref = cpu.maxPool({ data, shape }, { kernelSize: 2 });
    expectBitsEqual(await values.read(), ref.values.data, ref.values.shape, 'values');
    expectIntsEqual(await indices.read(), ref.indices.data, ref.indices.shape, 'indices');
    const y = ap.maxUnpool(values, indices, { kernelSize: 2 });
    const expectedUnpool = cpu.maxUnpool(ref.values, ref.indices, { kernelSize: 2 });
    expectBitsEqual(await y.read(), expectedUnpool.data, shape, 'unpool');
    // The unpooling gradient runs one invocation per pooled element (9,437,184) on a folded 2-D grid.
    const geometry = resolveUnpoolGeometry('maxUnpool', ref.values.shape, ref.indices.shape, { kernelSize: 2 });
    const plan = planMaxUnpoolBackward(geometry, { limits: limitsOf(ap.device) });
    expect(plan.programs[0].shader).toBe('max_unpool_backward.wgsl');
    expect(plan.programs[0].grid[1]).toBeGreaterThan(1);
    const gradValues = ap.maxUnpoolBackward(x, indices, { kernelSize: 2 });
    const expectedGrad = cpu.maxUnpoolBackward({ data, shape }, ref.indices, { kernelSize: 2 });
    expectBitsEqual(await gradValues.read(), expectedGrad.data, expectedGrad.shape, 'unpool gradient on a folded grid');
    for (const t of [x, values, indices, y, gradValues]) t.destroy();
  });

  it('refuses a tensor larger than the device allows, naming the limit', () => {
    const limit = ap.device.limits.maxStorageBufferBindingSize;
    const x = ap.tensor(new Float32Array(4), [1, 1, 2, 2]);
    // A fake shape is enough: the check happens before any allocation.
    expect(() => ap.fromBuffer(x.buffer, [1, 1, 2, 2 * (limit / 4 + 1)], 'float32')).toThrow(/^fromBuffer: buffer holds \d+ bytes/);
    const huge = Math.floor(limit / 4) + 4;
    expect(() => ap.tensor(new Float32Array(0), [huge])).toThrow(/tensor: data has 0 elements/);
    x.destroy();
  });

  it('measures GPU time per operation with timestamp queries, without disturbing results', async () => {
    const x = ap.tensor(WORKED, [1, 1, 3, 3]);
    const m = await ap.measure(() => {
      const pooled = ap.maxPool2d(x, { kernelSize: 2, stride: 1 });
      return { ...pooled, up: ap.maxUnpool2d(pooled.values, pooled.indices, { kernelSize: 2, stride: 1, outputSize: [3, 3] }) };
    });
    expect(m.method).toBe(ap.device.features.has('timestamp-query') ? 'timestamp-query' : 'submit-to-done');
    if (m.method === 'timestamp-query') expect(m.passes.map((p) => p.label)).toEqual(['maxPool2d', 'maxUnpool2d']);
    expect(Number.isFinite(m.gpuMs) && m.gpuMs >= 0).toBe(true);
    expect(Array.from(await m.result.up.read())).toEqual([0, 0, 0, 0, 5, 6, 0, 8, 9]);
    // Operations after the measurement are not timed and still work.
    await expectContextWorks();
  });

  it('rejects pending and later reads with the loss reason when the device is lost', async () => {
    const own = await ArgPool.create();
    await expectContextWorks(own);
    const x = own.tensor(WORKED, [1, 1, 3, 3]);
    const { values } = own.maxPool(x, { kernelSize: 2, stride: 1 });
    const pending = values.read();
    own.device.destroy();
    await expect(pending).rejects.toThrow(/^read: the GPU device was lost \(destroyed\)/);
    await own.device.lost;
    expect(own.lost?.reason).toBe('destroyed');
    await expect(values.read()).rejects.toThrow(/^read: the GPU device was lost \(destroyed\)/);
    // The error keeps what it reports as its cause.
    await expect(values.read()).rejects.toMatchObject({ cause: own.lost });
    expect(() => own.maxPool(x, { kernelSize: 2 })).toThrow(/^maxPool2d: the GPU device was lost \(destroyed\)/);
  });

  it('reports what the GPU rejects through its error scopes: a caller buffer destroyed before the submit', async () => {
    const buffer = ap.device.createBuffer({ size: 64, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
    const x = ap.fromBuffer(buffer, [1, 1, 4, 4], 'float32');
    const { values } = ap.maxPool2d(x, { kernelSize: 2 });
    buffer.destroy();
    const error = await values.read().then(() => null, (e: Error) => e);
    expect(error?.message).toMatch(/^read: the GPU rejected argpool's commands in submit \(validation\): /);
    expect(error?.cause).toBeInstanceOf(GPUValidationError);
    await expectContextWorks();
  });

  it('survives a refused call in the middle of a batch: earlier results still read correctly', async () => {
    // A device with the default limits (128 MiB bindings), so a 160 MiB buffer exists but cannot be bound.
    const adapter = await navigator.gpu.requestAdapter();
    const device = await adapter!.requestDevice();
    const small = await ArgPool.create({ device });
    try {
      const data = makeValues('special', 2 * 3 * 16 * 16, 5);
      const x = small.tensor(data, [2, 3, 16, 16]);
      const first = small.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 });
      const up = small.maxUnpool2d(first.values, first.indices, { kernelSize: 3, stride: 2, padding: 1, outputSize: [16, 16] });
      const bytes = 160 * 1024 * 1024;
      const big = device.createBuffer({ size: bytes, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
      const huge = small.fromBuffer(big, [1, 1, bytes / 4 / 1024, 1024], 'float32');
      expect(() => small.maxPool2d(huge, { kernelSize: 2 })).toThrow(
        /^maxPool2d: input needs 167772160 bytes, more than this device's maxStorageBufferBindingSize \(134217728\)$/,
      );
      expect(() => small.maxPoolBackward(huge, first.indices, { kernelSize: 2, inputShape: [1, 1, 4, 4] })).toThrow(/^maxPoolBackward2d: /);
      expect(() => small.maxPool2d(x, { kernelSize: 2, dilation: -1 })).toThrow(/^maxPool2d: dilation/);
      // Plans are cached: a refused plan is not, so the same call is refused again.
      expect(() => small.maxPool2d(huge, { kernelSize: 2 })).toThrow(/^maxPool2d: input needs 167772160 bytes/);
      // A call refused after its plan was cached (a destroyed input) records nothing either.
      const again = small.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 });
      again.values.destroy();
      expect(() => small.maxUnpool2d(again.values, again.indices, { kernelSize: 3, stride: 2, padding: 1, outputSize: [16, 16] })).toThrow(
        /^maxUnpool2d: values has been destroyed$/,
      );
      again.indices.destroy();
      // The refused calls recorded nothing: the batch still submits and reads.
      const ref = cpu.maxPool({ data, shape: [2, 3, 16, 16] }, { kernelSize: 3, stride: 2, padding: 1 });
      expectBitsEqual(await first.values.read(), ref.values.data, ref.values.shape, 'values after a refusal');
      expectIntsEqual(await first.indices.read(), ref.indices.data, ref.indices.shape, 'indices after a refusal');
      const refUp = cpu.maxUnpool(ref.values, ref.indices, { kernelSize: 3, stride: 2, padding: 1, outputSize: [16, 16] });
      expectBitsEqual(await up.read(), refUp.data, refUp.shape, 'unpooled after a refusal');
      await expectContextWorks(small);
      big.destroy();
    } finally {
      small.destroy();
      device.destroy();
    }
  });

  it('repeats a call with the same options object quickly, and notices every change to the options or the shapes', async () => {
    const data = makeValues('ties', 2 * 3 * 12 * 12, 41);
    const small = makeValues('random', 1 * 3 * 8 * 8, 42);
    const x = ap.tensor(data, [2, 3, 12, 12]);
    const y = ap.tensor(small, [1, 3, 8, 8]);
    const options: { kernelSize: number; stride: number[]; padding?: number; strides?: number } = { kernelSize: 2, stride: [2, 2] };
    const check = async (input: typeof x, host: { data: Float32Array; shape: number[] }, label: string) => {
      const ref = cpu.maxPool(host, options as PoolOptions);
      const got = ap.maxPool2d(input, options as PoolOptions);
      expectBitsEqual(await got.values.read(), ref.values.data, ref.values.shape, label);
      expectIntsEqual(await got.indices.read(), ref.indices.data, ref.indices.shape, label);
      const unpoolOptions: UnpoolOptions = { kernelSize: options.kernelSize, stride: options.stride, padding: options.padding ?? 0, outputSize: host.shape.slice(2) };
      const up = ap.maxUnpool2d(got.values, got.indices, unpoolOptions);
      expectBitsEqual(await up.read(), cpu.maxUnpool(ref.values, ref.indices, unpoolOptions).data, host.shape, `${label}, unpooled`);
      for (const t of [got.values, got.indices, up]) t.destroy();
    };
    const big = { data, shape: [2, 3, 12, 12] };
    const little = { data: small, shape: [1, 3, 8, 8] };
    await check(x, big, 'first call');
    await check(y, little, 'another shape, same options');
    await check(x, big, 'the first shape again');
    options.stride[1] = 1;
    await check(x, big, 'stride array changed in place');
    options.kernelSize = 3;
    await check(x, big, 'kernelSize changed');
    options.padding = 1;
    await check(x, big, 'padding added');
    options.kernelSize = 0;
    expect(() => ap.maxPool2d(x, options as PoolOptions)).toThrow(/^maxPool2d: kernelSize must be positive integers, got 0$/);
    options.kernelSize = 3;
    options.strides = 2;
    expect(() => ap.maxPool2d(x, options as PoolOptions)).toThrow(/^maxPool2d: unknown option "strides"/);
    delete options.strides;
    await check(x, big, 'back to a valid state');
    // Options written in each call, equal in value to a valid earlier call but not in type: refused.
    const inline = ap.maxPool2d(x, { kernelSize: 2 });
    for (const t of [inline.values, inline.indices]) t.destroy();
    expect(() => ap.maxPool2d(x, { kernelSize: '2' } as unknown as PoolOptions)).toThrow(/^maxPool2d: kernelSize must be a number or 2 numbers, got "2"$/);
    expect(() => ap.maxPool2d(x, { kernelSize: [2] })).toThrow(/^maxPool2d: kernelSize must be a number or 2 numbers, got \[2\]$/);
    // The same shapes with indices of another dtype: refused even though the call repeats.
    const windowOptions = { kernelSize: 2, indexFormat: 'window' } as const;
    const pooled = ap.maxPool2d(x, windowOptions);
    ap.maxUnpool2d(pooled.values, pooled.indices, windowOptions).destroy();
    const int32Indices = ap.tensor(new Int32Array(pooled.indices.size), pooled.indices.shape);
    expect(() => ap.maxUnpool2d(pooled.values, int32Indices, windowOptions)).toThrow(/^maxUnpool2d: indices must be a uint8 tensor for indexFormat 'window', got int32$/);
    for (const t of [x, y, pooled.values, pooled.indices, int32Indices]) t.destroy();
    await expectContextWorks();
  });

  it(`submits on its own after ${ArgPool.maxDispatchesPerSubmit} dispatches, and results stay correct`, async () => {
    await ap.sync();
    const before = ap.submissions;
    const data = makeValues('random', 4 * 8 * 8, 21);
    const x = ap.tensor(data, [1, 4, 8, 8]);
    const results = [];
    // Pooling 8x8 with 3x3/1 windows: one dispatch each.
    for (let i = 0; i < ArgPool.maxDispatchesPerSubmit + 4; i++) results.push(ap.maxPool2d(x, { kernelSize: 3, stride: 1 }));
    expect(ap.submissions - before).toBe(1);
    const ref = cpu.maxPool({ data, shape: [1, 4, 8, 8] }, { kernelSize: 3, stride: 1 });
    for (const r of [results[0], results[results.length - 1]]) {
      expectBitsEqual(await r.values.read(), ref.values.data, ref.values.shape, 'values');
      expectIntsEqual(await r.indices.read(), ref.indices.data, ref.indices.shape, 'indices');
    }
    for (const t of [x, ...results.flatMap((r) => [r.values, r.indices])]) t.destroy();
  });

  it('keeps its buffer count bounded in a loop that pools and destroys without reading', async () => {
    await ap.sync();
    const data = makeValues('random', 2 * 16 * 16, 4);
    const before = ap.buffersCreated;
    const iterations = 400;
    for (let i = 0; i < iterations; i++) {
      const x = ap.tensor(data, [1, 2, 16, 16]);
      const { values, indices } = ap.maxPool2d(x, { kernelSize: 3, stride: 2 });
      const y = ap.maxUnpool2d(values, indices, { kernelSize: 3, stride: 2, outputSize: [16, 16] });
      for (const t of [x, values, indices, y]) t.destroy();
    }
    // Each iteration takes 5 buffers (input, values, indices, output, owner map; params and fault
    // statuses live in the device's arenas); without submits they would all stay out of the pool
    // (2,000 buffers). With a submit every
    // MAX_DISPATCHES_PER_SUBMIT dispatches they come back: at most a few batches' worth exist.
    const created = ap.buffersCreated - before;
    expect(created).toBeLessThan(100);
    await expectContextWorks();
  });

  it('unpools long 1-D signals with fill modes whose coordinates pass 2^32 (dst * in), exactly', async () => {
    // 140,000 positions from 70,000 pooled: dst * in reaches 9.8e9.
    const length = 140_000;
    const data = makeValues('random', 2 * length, 77);
    const shape = [1, 2, length];
    const ref = cpu.maxPool({ data, shape }, { kernelSize: 2 });
    const x = ap.tensor(data, shape);
    const pooled = ap.maxPool1d(x, { kernelSize: 2 });
    for (const fill of ['nearest', 'bilinear'] as const) {
      const expected = cpu.maxUnpool(ref.values, ref.indices, { kernelSize: 2, fill });
      const actual = await ap.maxUnpool1d(pooled.values, pooled.indices, { kernelSize: 2, fill }).read();
      if (fill === 'nearest') expectBitsEqual(actual, expected.data, expected.shape, 'nearest fill');
      else expectClose(actual, expected.data, expected.shape, 1e-6, 'bilinear fill', 100);
    }
    for (const t of [x, pooled.values, pooled.indices]) t.destroy();
  });

  it('runs gathers whose grids fold past 65,535 workgroups: a 1-D gradient of 4.3M samples and a channels-last 1-D input of 70,000 positions', async () => {
    // 1-D, channels-first: the gather's x grid would be 67,188 workgroups of 64. Channels-last with 33
    // channels (workgroups of 64 x 1): its y grid would be 70,000. Both are clamped to 65,535 and the
    // kernels' grid-stride loops cover the rest.
    for (const [shape, options, check] of [
      [[1, 1, 4_300_000], { kernelSize: 3, stride: 2 }, 'gradient'],
      [[1, 70_000, 33], { kernelSize: 3, stride: 2, padding: 1, layout: 'NHWC' }, 'unpool'],
    ] as const) {
      const geometry = resolvePoolGeometry('maxPool', [...shape], options);
      const gather = windowGatherLaunch(geometry, ap.device.limits.maxComputeWorkgroupsPerDimension);
      expect(gather.grid).toContain(ap.device.limits.maxComputeWorkgroupsPerDimension);
      const data = makeValues('ties', shape[0] * shape[1] * shape[2], 13);
      const ref = cpu.maxPool({ data, shape: [...shape] }, options);
      const grad = makeValues('special', ref.values.data.length, 14);
      const backward = { ...options, inputShape: [...shape] };
      const expected = cpu.maxPoolBackward({ data: grad, shape: ref.values.shape }, ref.indices, backward);
      const x = ap.tensor(data, [...shape]);
      const pooled = ap.maxPool(x, options);
      expectIntsEqual(await pooled.indices.read(), ref.indices.data, ref.indices.shape, `indices ${shape}`);
      const g = ap.tensor(grad, ref.values.shape);
      expectSumBitsEqual(await ap.maxPoolBackward(g, pooled.indices, backward).read(), expected.data, expected.shape, `gradient ${shape}`);
      if (check === 'gradient') {
        // Uploaded indices take the window check (a flat, folded dispatch) before the same gather.
        const uploaded = ap.tensor(ref.indices.data, ref.indices.shape);
        expectSumBitsEqual(await ap.maxPoolBackward(g, uploaded, backward).read(), expected.data, expected.shape, `gradient, uploaded indices ${shape}`);
        uploaded.destroy();
      } else {
        const unpoolOptions = { ...options, outputSize: [shape[1]] };
        const unpooled = cpu.maxUnpool(ref.values, ref.indices, unpoolOptions);
        const y = ap.maxUnpool(pooled.values, pooled.indices, unpoolOptions);
        expectBitsEqual(await y.read(), unpooled.data, unpooled.shape, `unpool ${shape}`);
        y.destroy();
      }
      for (const t of [x, pooled.values, pooled.indices, g]) t.destroy();
    }
  });
});

describe('contexts sharing a device', () => {
  /** A device of its own for each test, so counts of buffers and plans start from nothing. */
  async function device(): Promise<GPUDevice> {
    const adapter = await navigator.gpu.requestAdapter();
    return adapter!.requestDevice({ requiredLimits: { maxStorageBufferBindingSize: adapter!.limits.maxStorageBufferBindingSize } });
  }

  it('share one executor: buffers, plans and pipelines, reused across contexts', async () => {
    const dev = await device();
    try {
      const a = await ArgPool.create({ device: dev });
      const b = await ArgPool.create({ device: dev });
      const executor = executorFor(dev);
      const data = makeValues('random', 2 * 3 * 12 * 12, 31);
      const ref = cpu.maxPool({ data, shape: [2, 3, 12, 12] }, { kernelSize: 3, stride: 2, padding: 1 });
      const run = async (context: ArgPool) => {
        const x = context.tensor(data, [2, 3, 12, 12]);
        const { values, indices } = context.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 });
        const y = context.maxUnpool2d(values, indices, { kernelSize: 3, stride: 2, padding: 1, outputSize: [12, 12] });
        expectBitsEqual(await values.read(), ref.values.data, ref.values.shape, 'values');
        await y.read();
        for (const t of [x, values, indices, y]) t.destroy();
      };
      await run(a);
      const buffers = a.buffersCreated;
      const plans = executor.cachedPlans;
      const pipelines = pipelineCount(dev);
      expect(plans).toBe(2);
      await run(b);
      // b sees the same pool and caches: nothing new is created for the same work.
      expect(b.buffersCreated).toBe(buffers);
      expect(executor.cachedPlans).toBe(plans);
      expect(pipelineCount(dev)).toBe(pipelines);
      // A context with other settings gets plans of its own, on the same pool.
      const general = await ArgPool.create({ device: dev, specialisedKernels: false });
      await run(general);
      expect(executor.cachedPlans).toBe(plans + 2);
      for (const c of [a, b, general]) c.destroy();
    } finally {
      dev.destroy();
    }
  });

  it('record in the order of the calls, whichever context makes them, in one batch', async () => {
    const dev = await device();
    try {
      const a = await ArgPool.create({ device: dev });
      const b = await ArgPool.create({ device: dev });
      const data = makeValues('ties', 1 * 2 * 16 * 16, 32);
      const x = a.tensor(data, [1, 2, 16, 16]);
      const first = a.maxPool2d(x, { kernelSize: 2 });
      // b reads a's result through its buffer before anything is submitted: the shared batch runs a's pooling first.
      const viaB = b.fromBuffer(first.values.buffer, first.values.shape, 'float32');
      const second = b.maxPool2d(viaB, { kernelSize: 2 });
      expect(a.submissions).toBe(b.submissions);
      const ref1 = cpu.maxPool({ data, shape: [1, 2, 16, 16] }, { kernelSize: 2 });
      const ref2 = cpu.maxPool(ref1.values, { kernelSize: 2 });
      const before = a.submissions;
      expectBitsEqual(await second.values.read(), ref2.values.data, ref2.values.shape, 'second level, read through b');
      expect(a.submissions - before).toBe(1);
      expectBitsEqual(await first.values.read(), ref1.values.data, ref1.values.shape, 'first level, read through a');
      // Tensors stay with the context that made them.
      expect(() => a.maxPool2d(second.values, { kernelSize: 2 })).toThrow(/^maxPool2d: input belongs to another ArgPool$/);
      a.destroy();
      b.destroy();
    } finally {
      dev.destroy();
    }
  });

  it('attribute each fault to the operation that found it, across contexts and recycled fault slots', async () => {
    const dev = await device();
    try {
      const a = await ArgPool.create({ device: dev });
      const b = await ArgPool.create({ device: dev });
      const values = new Float32Array([1, 2, 3, 4]);
      const bad = a.maxUnpool2d(a.tensor(values, [1, 1, 2, 2]), a.tensor(new Int32Array([0, 3, 17, 5]), [1, 1, 2, 2]), { kernelSize: 2 });
      const good = b.maxUnpool2d(b.tensor(values, [1, 1, 2, 2]), b.tensor(new Int32Array([0, 3, 9, 15]), [1, 1, 2, 2]), { kernelSize: 2 });
      const otherBad = b.maxUnpool2d(b.tensor(values, [1, 1, 2, 2]), b.tensor(new Int32Array([0, -1, 9, 15]), [1, 1, 2, 2]), { kernelSize: 2 });
      const expectedGood = new Float32Array(16);
      expectedGood.set([1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 4]);
      expectBitsEqual(await good.read(), expectedGood, [1, 1, 4, 4], 'b, valid indices');
      await expect(bad.read()).rejects.toThrow(/^maxUnpool2d: Found an invalid max index 17 at indices\[0, 0, 1, 0\]/);
      await expect(otherBad.read()).rejects.toThrow(/^maxUnpool2d: Found an invalid max index -1 at indices\[0, 0, 0, 1\]/);
      // The faulty results go; their slots are handed out again and start clear.
      bad.destroy();
      otherBad.destroy();
      await b.sync();
      for (let i = 0; i < 4; i++) {
        const again = b.maxUnpool2d(b.tensor(values, [1, 1, 2, 2]), b.tensor(new Int32Array([0, 3, 9, 15]), [1, 1, 2, 2]), { kernelSize: 2 });
        expectBitsEqual(await again.read(), expectedGood, [1, 1, 4, 4], `recycled slot ${i}`);
        again.destroy();
      }
      await expect(good.read()).resolves.toBeDefined();
      a.destroy();
      b.destroy();
    } finally {
      dev.destroy();
    }
  });

  it('destroying one context gives back its own buffers and leaves the others working', async () => {
    const dev = await device();
    try {
      const a = await ArgPool.create({ device: dev });
      const b = await ArgPool.create({ device: dev });
      const data = makeValues('random', 4 * 8 * 8, 33);
      const ref = cpu.maxPool({ data, shape: [1, 4, 8, 8] }, { kernelSize: 2 });
      const kept = b.maxPool2d(b.tensor(data, [1, 4, 8, 8]), { kernelSize: 2 });
      const lost = a.maxPool2d(a.tensor(data, [1, 4, 8, 8]), { kernelSize: 2 });
      await a.sync();
      const idle = b.pooledBytes;
      a.destroy();
      // a's input, values and indices went back to the shared pool.
      expect(b.pooledBytes).toBe(idle + 1024 + 2 * 256);
      expect(() => a.maxPool2d(lost.values, { kernelSize: 2 })).toThrow(/^maxPool2d: this ArgPool has been destroyed$/);
      await expect(lost.values.read()).rejects.toThrow(/^read: this ArgPool has been destroyed$/);
      expectBitsEqual(await kept.values.read(), ref.values.data, ref.values.shape, 'b after a was destroyed');
      expectIntsEqual(await kept.indices.read(), ref.indices.data, ref.indices.shape, 'b after a was destroyed');
      await expectContextWorks(b);
      b.destroy();
      // The last context gone, the device keeps no idle buffers of argpool's.
      expect(b.pooledBytes).toBe(0);
    } finally {
      dev.destroy();
    }
  });

  it('caps the idle buffers of the device: buffers given back above maxPooledBytes are destroyed', async () => {
    const dev = await device();
    try {
      await expect(ArgPool.create({ device: dev, maxPooledBytes: -1 })).rejects.toThrow(/^ArgPool.create: maxPooledBytes must be a finite number >= 0, got -1$/);
      const cap = 64 * 1024;
      const a = await ArgPool.create({ device: dev, maxPooledBytes: cap });
      expect(a.maxPooledBytes).toBe(cap);
      const destroyed: GPUBuffer[] = [];
      const tensors = Array.from({ length: 5 }, (_, i) => a.tensor(new Float32Array(8192).fill(i), [1, 1, 64, 128]));
      for (const t of tensors) {
        const destroy = t.buffer.destroy.bind(t.buffer);
        t.buffer.destroy = () => {
          destroyed.push(t.buffer);
          destroy();
        };
      }
      const created = a.buffersCreated;
      for (const t of tensors) t.destroy();
      await a.sync();
      // Five 32 KiB buffers given back, two fit the cap: the three given back first are destroyed.
      expect(a.pooledBytes).toBe(cap);
      expect(destroyed).toEqual(tensors.slice(0, 3).map((t) => t.buffer));
      // The two kept are reused; the three destroyed ones are made again.
      const again = Array.from({ length: 5 }, () => a.tensor(new Float32Array(8192), [1, 1, 64, 128]));
      expect(a.buffersCreated - created).toBe(3);
      expect(a.pooledBytes).toBe(0);
      const y = a.maxPool2d(again[4], { kernelSize: 2 });
      expect(Array.from(await y.values.read()).every((v) => v === 0)).toBe(true);
      a.destroy();
    } finally {
      dev.destroy();
    }
  });
});
