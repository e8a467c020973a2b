/**
 * float16 in Node on the `webgpu` package (Dawn), where the runtime has no Float16Array (Node 20):
 * read() gives the exact values as a Float32Array, readFloat16Bits() the bits; results against the
 * CPU reference. `npm test` points Dawn at a Vulkan driver; with none, these tests fail, never skip.
 */
import { create } from 'webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgPool, cpu } from 'argpool';
import { widenFloat16 } from '../../src/float16';
import { expectBitsEqual, expectHalfBitsEqual, expectIntsEqual } from '../compare';
import { makeHalfValues } from '../data';

let ap: ArgPool;
beforeAll(async () => {
  const gpu = create([]);
  if (!(await gpu.requestAdapter())) throw new Error('The `webgpu` package found no adapter: run the tests with `npm test`, which points Dawn at SwiftShader');
  ap = await ArgPool.create({ gpu });
});
afterAll(() => ap?.destroy());

describe('float16 on Dawn in Node', () => {
  it('pools, unpools and takes both gradients on float16, and reads the values back where there is no Float16Array', async () => {
    const shape = [2, 3, 7, 9];
    const options = { kernelSize: 3, stride: 2, padding: 1 };
    const bits = makeHalfValues('special', shape.reduce((a, b) => a * b, 1), 5);
    const host = cpu.maxPool({ data: bits, shape }, options);
    const x = ap.tensor(bits, shape, 'float16');
    const { values, indices } = ap.maxPool(x, options);
    const read = await values.read();
    const hasFloat16Array = typeof (globalThis as { Float16Array?: unknown }).Float16Array === 'function';
    if (!hasFloat16Array) {
      expect(read).toBeInstanceOf(Float32Array);
      // The exact widening, NaN payloads and -0 included.
      expectBitsEqual(read as Float32Array, widenFloat16(host.values.data), host.values.shape, 'read() as float32');
    }
    expectHalfBitsEqual(await values.readFloat16Bits(), host.values.data, host.values.shape, 'values');
    expectIntsEqual(await indices.read(), host.indices.data, host.indices.shape, 'indices');
    const unpooled = ap.maxUnpool(values, indices, { ...options, outputSize: [7, 9], fill: 'nearest' });
    const expected = cpu.maxUnpool(host.values, host.indices, { ...options, outputSize: [7, 9], fill: 'nearest' });
    expectHalfBitsEqual(await unpooled.readFloat16Bits(), expected.data, expected.shape, 'unpooled');
    const grad = ap.maxPoolBackward(values, indices, { ...options, inputShape: shape });
    const expectedGrad = cpu.maxPoolBackward(host.values, host.indices, { ...options, inputShape: shape });
    expectHalfBitsEqual(await grad.readFloat16Bits(), expectedGrad.data, expectedGrad.shape, 'pool gradient', true);
    const back = ap.maxUnpoolBackward(x, indices, { ...options, outputSize: [7, 9] });
    const expectedBack = cpu.maxUnpoolBackward({ data: bits, shape }, host.indices, { ...options, outputSize: [7, 9] });
    expectHalfBitsEqual(await back.readFloat16Bits(), expectedBack.data, expectedBack.shape, 'unpool gradient');
    for (const t of [x, values, indices, unpooled, grad, back]) t.destroy();
  });
});
