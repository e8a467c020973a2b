/**
 * The GPU-versus-CPU check in Node, on the `webgpu` package (Dawn over Vulkan), the way a Node user
 * runs argpool: `ArgPool.create({ gpu: create([]) })`, no browser and no WebGPU globals installed.
 * `npm test` (test/run.mjs) points Dawn at a Vulkan driver; with none, these tests fail, never skip.
 */
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { create } from 'webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The executor's counters are read here, so the context comes from the same modules: src/.
import { ArgPool, cpu, type PoolBackwardOptions, type UnpoolOptions } from '../../src/index';
import { executorFor } from '../../src/executor';
import { poolCase, type PoolCase } from '../cases';
import { expectBitsEqual, expectIntsEqual } from '../compare';
import { makeValues } from '../data';

let ap: ArgPool;
let general: ArgPool;

beforeAll(async () => {
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new Error(
      'The `webgpu` package found no adapter: Dawn needs a Vulkan loader and driver. Run the tests with ' +
        '`npm test` (test/run.mjs points Dawn at SwiftShader), or set VK_ICD_FILENAMES.',
    );
  }
  console.log(`Dawn adapter: ${adapter.info.vendor} ${adapter.info.architecture} ${adapter.info.device} ${adapter.info.description}`.trim());
  ap = await ArgPool.create({ gpu });
  general = await ArgPool.create({ device: ap.device, specialisedKernels: false });
});
afterAll(() => ap?.destroy());

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Pools, unpools and takes both gradients on one context; everything bit-exact against the reference. */
async function check(context: ArgPool, c: PoolCase): Promise<boolean> {
  const data = makeValues(c.kind, size(c.shape), c.seed);
  let expected;
  try {
    expected = cpu.maxPool({ data, shape: c.shape }, c.options);
  } catch (e) {
    // A refused configuration must be refused by the GPU path with the same words.
    const x = context.tensor(data, c.shape);
    expect(() => context.maxPool(x, c.options)).toThrow((e as Error).message);
    x.destroy();
    return false;
  }
  const label = JSON.stringify(c);
  const x = context.tensor(data, c.shape);
  const { values, indices } = context.maxPool(x, c.options);
  expectBitsEqual(await values.read(), expected.values.data, expected.values.shape, `values ${label}`);
  expectIntsEqual(await indices.read(), expected.indices.data, expected.indices.shape, `indices ${label}`);

  // Unpool to the input's size where the options allow it (PyTorch checks outputSize against them).
  const unpoolBase: UnpoolOptions = { kernelSize: c.options.kernelSize, stride: c.options.stride, layout: c.options.layout, indexFormat: c.options.indexFormat };
  if (c.options.padding !== 'same') unpoolBase.padding = c.options.padding;
  const inSpatial = c.options.layout === 'NHWC' ? c.shape.slice(1, -1) : c.shape.slice(2);
  let unpoolOptions: UnpoolOptions = { ...unpoolBase, outputSize: inSpatial };
  try {
    cpu.maxUnpool(expected.values, expected.indices, unpoolOptions);
  } catch (e) {
    if (!/outputSize/.test((e as Error).message)) throw e;
    unpoolOptions = unpoolBase;
  }
  let expectedUnpooled;
  let refusal = '';
  try {
    expectedUnpooled = cpu.maxUnpool(expected.values, expected.indices, unpoolOptions);
  } catch (e) {
    refusal = (e as Error).message;
  }
  if (refusal && !/invalid max index/.test(refusal)) {
    // Options refused (an empty default output): refused by the GPU path before any work, alike.
    expect(() => context.maxUnpool(values, indices, unpoolOptions)).toThrow(refusal);
  } else if (refusal) {
    // An index outside the default output size: the reference throws, the GPU result's read rejects.
    const unpooled = context.maxUnpool(values, indices, unpoolOptions);
    await expect(unpooled.read()).rejects.toThrow(refusal);
    unpooled.destroy();
  } else if (expectedUnpooled) {
    const unpooled = context.maxUnpool(values, indices, unpoolOptions);
    expectBitsEqual(await unpooled.read(), expectedUnpooled.data, expectedUnpooled.shape, `unpool ${label}`);
    const gradValues = context.maxUnpoolBackward(unpooled, indices, unpoolOptions);
    const expectedGradValues = cpu.maxUnpoolBackward(expectedUnpooled, expected.indices, unpoolOptions);
    expectBitsEqual(await gradValues.read(), expectedGradValues.data, expectedGradValues.shape, `maxUnpoolBackward ${label}`);
    for (const t of [unpooled, gradValues]) t.destroy();
  }

  const gradOutput = makeValues('random', expected.values.data.length, c.seed + 1);
  const backward: PoolBackwardOptions = { ...c.options, inputShape: c.shape };
  const gradOutputTensor = context.tensor(gradOutput, expected.values.shape);
  const gradInput = context.maxPoolBackward(gradOutputTensor, indices, backward);
  const expectedGradInput = cpu.maxPoolBackward({ data: gradOutput, shape: expected.values.shape }, expected.indices, backward);
  // The gradient sums where overlapping windows chose one element: both sides add in the same fixed
  // order, so the bits agree.
  expectBitsEqual(await gradInput.read(), expectedGradInput.data, expectedGradInput.shape, `maxPoolBackward ${label}`);

  for (const t of [x, values, indices, gradOutputTensor, gradInput]) t.destroy();
  return true;
}

describe('argpool in Node on Dawn matches the CPU reference', () => {
  for (const kernels of ['specialised', 'general'] as const) {
    it(`pooling, unpooling and both gradients over random configurations (${kernels} kernels)`, async () => {
      const context = kernels === 'specialised' ? ap : general;
      let compared = 0;
      await fc.assert(
        fc.asyncProperty(poolCase, async (c) => {
          if (await check(context, c)) compared++;
        }),
        { numRuns: 60, seed: kernels === 'specialised' ? 8 : 9 },
      );
      expect(compared).toBeGreaterThan(40);
    }, 120_000);
  }

  it('pools a 1x64x256x256 tensor with 2x2/2 windows, the README example, bit-exact', async () => {
    const shape = [1, 64, 256, 256];
    const data = makeValues('random', size(shape), 3);
    const options = { kernelSize: 2, stride: 2 };
    const x = ap.tensor(data, shape);
    const { values, indices } = ap.maxPool2d(x, options);
    const expected = cpu.maxPool({ data, shape }, options);
    expectBitsEqual(await values.read(), expected.values.data, expected.values.shape, 'values');
    expectIntsEqual(await indices.read(), expected.indices.data, expected.indices.shape, 'indices');
    for (const t of [x, values, indices]) t.destroy();
  }, 60_000);

  it('keeps the GPU object of the webgpu package alive for its device when the caller does not', async () => {
    // Dawn frees its instance, devices included, when the GPU object is collected; a context that
    // let it go crashed the process at its next GPU call. Force collections to make that happen now.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const context = await ArgPool.create({ gpu: create([]) });
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const x = context.tensor(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), [1, 1, 3, 3]);
    const { values, indices } = context.maxPool(x, { kernelSize: 2, stride: 1 });
    expect([...(await values.read())]).toEqual([5, 6, 8, 9]);
    expect([...(await indices.read())]).toEqual([4, 5, 7, 8]);
    context.destroy();
  }, 60_000);

  it('shares one executor, and so one buffer pool, among the contexts on a device, and lets the destroyed device be collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // The contexts live inside this function only, so that afterwards nothing of the test holds them.
    const use = async (): Promise<WeakRef<GPUDevice>> => {
      const a = await ArgPool.create({ gpu: create([]) });
      const b = await ArgPool.create({ device: a.device });
      try {
        expect(executorFor(a.device)).toBe(executorFor(b.device));
        const x = b.tensor(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), [1, 1, 3, 3]);
        const { values } = b.maxPool(x, { kernelSize: 2, stride: 1 });
        const created = a.buffersCreated;
        expect([...(await values.read())]).toEqual([5, 6, 8, 9]);
        const y = a.maxPool(a.tensor(new Float32Array(9), [1, 1, 3, 3]), { kernelSize: 2, stride: 1 });
        expect([...(await y.values.read())]).toEqual([0, 0, 0, 0]);
        expect(a.buffersCreated).toBeGreaterThan(created);
        expect(b.buffersCreated).toBe(a.buffersCreated);
      } finally {
        b.destroy();
        a.destroy();
      }
      return new WeakRef(a.device);
    };
    const device = await use();
    // The executor, its pipelines and plans hang off the device in WeakMaps: nothing of argpool's keeps
    // it. No deref() between collections: it would keep the target alive for the rest of that job.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      gc();
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(device.deref()).toBeUndefined();
  }, 60_000);
});
