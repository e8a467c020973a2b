/**
 * argpool/tfjs on tfjs's `webgpu` backend in headless Chromium: argpool's WGSL kernels on tfjs's own
 * device and buffers. Without WebGPU, setting the backend fails and so does every test here.
 */
import '@tensorflow/tfjs-backend-webgpu';
// tfjs's cpu kernels, as the reference the engine suite compares with (the active backend stays webgpu).
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs bundle does this import).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cpu } from 'argpool';
import { checkIndices, maxPoolWithArgmax, maxPoolWithIndices, maxUnpool, MaxPoolWithIndices, registerKernels } from 'argpool/tfjs';
import { expectBitsEqual, expectIntsEqual } from '../compare';
import { makeValues } from '../data';
import { defineEngineSuite } from './engine-suite';
import { defineSuite, size } from './suite';

let backend: WebGPUBackend;

beforeAll(async () => {
  expect(await tf.setBackend('webgpu')).toBe(true);
  await tf.ready();
  backend = tf.backend() as WebGPUBackend;
  const info = await backend.device.queue.onSubmittedWorkDone().then(() => backend.adapterInfo);
  console.log(`tfjs webgpu backend on ${JSON.stringify(info)}`);
});

/** Every GPU error tfjs's device reports while a test runs fails that test. */
const uncaptured: string[] = [];
beforeAll(() => {
  backend.device.addEventListener('uncapturederror', (event) => uncaptured.push((event as GPUUncapturedErrorEvent).error.message));
});
afterEach(async () => {
  await backend.device.queue.onSubmittedWorkDone();
  expect(uncaptured.splice(0)).toEqual([]);
});

defineSuite('webgpu');
defineEngineSuite('webgpu');

/** Counts calls of a prototype method while `run` runs. */
function counting<T>(proto: object, method: string, run: () => T): { result: T; calls: number } {
  const target = proto as Record<string, (...args: unknown[]) => unknown>;
  const original = target[method];
  let calls = 0;
  target[method] = function (this: unknown, ...args: unknown[]) {
    calls++;
    return original.apply(this, args);
  };
  try {
    return { result: run(), calls };
  } finally {
    target[method] = original;
  }
}

/** Reads a small tfjs result, which submits everything tfjs has deferred. */
async function emptyTfjsBatch(x: tf.Tensor): Promise<void> {
  const probe = tf.add(x, 0);
  await probe.data();
  probe.dispose();
}

describe('argpool/tfjs on the webgpu backend', () => {
  it("reads a caller's GPUBuffer wrapped zero-copy by tfjs, on tfjs's device", async () => {
    const shape = [2, 9, 10, 4];
    const data = makeValues('random', size(shape), 12);
    const buffer = backend.device.createBuffer({
      size: data.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    backend.device.queue.writeBuffer(buffer, 0, data);
    const x = tf.tensor({ buffer, zeroCopy: true }, shape, 'float32');
    const options = { kernelSize: 3, stride: 2, padding: 1 };
    const { values, indices } = maxPoolWithIndices(x, options);
    const expected = cpu.maxPool({ data, shape }, { ...options, layout: 'NHWC', indexFormat: 'flat-no-batch' });
    expectBitsEqual((await values.data()) as Float32Array, expected.values.data, expected.values.shape, 'values');
    expectIntsEqual((await indices.data()) as Int32Array, expected.indices.data, expected.indices.shape, 'indices');
    tf.dispose([x, values, indices]);
    buffer.destroy();
  });

  it('copies nothing: pooling, unpooling and both gradients write straight into tfjs-owned buffers', async () => {
    const shape = [1, 8, 8, 4];
    const x = tf.tensor(makeValues('random', size(shape), 2), shape);
    const dy = tf.tensor(makeValues('random', size(shape), 3), shape);
    backend.uploadToGPU(x.dataId);
    backend.uploadToGPU(dy.dataId);
    const { result, calls } = counting(GPUCommandEncoder.prototype, 'copyBufferToBuffer', () => {
      const pooled = maxPoolWithIndices(x, { kernelSize: 2 });
      const y = maxUnpool(pooled.values, pooled.indices, { kernelSize: 2 });
      const dx = tf.grad((input: tf.Tensor) => {
        const r = maxPoolWithIndices(input, { kernelSize: 2 });
        return maxUnpool(r.values, r.indices, { kernelSize: 2 });
      })(x, dy);
      return [pooled.values, pooled.indices, y, dx];
    });
    expect(calls).toBe(0);
    for (const t of result) {
      const resource = backend.tensorMap.get(t.dataId).resource;
      expect(resource).toBeInstanceOf(GPUBuffer);
      expect((resource as GPUBuffer).size).toBe(t.size * 4);
    }
    // dx = dy where x was its window's maximum, 0 elsewhere.
    const ref = cpu.maxPool({ data: (await x.data()) as Float32Array, shape }, { kernelSize: 2, layout: 'NHWC', indexFormat: 'flat-no-batch' });
    const pooledDy = cpu.maxUnpoolBackward({ data: (await dy.data()) as Float32Array, shape }, ref.indices, { kernelSize: 2, layout: 'NHWC', indexFormat: 'flat-no-batch' });
    const expected = cpu.maxPoolBackward(pooledDy, ref.indices, { kernelSize: 2, layout: 'NHWC', indexFormat: 'flat-no-batch', inputShape: shape });
    expectBitsEqual((await result[3].data()) as Float32Array, expected.data, shape, 'dx');
    tf.dispose([x, dy, ...result]);
  });

  it("sees the results of tfjs work still waiting in tfjs's deferred queue", async () => {
    const shape = [2, 6, 6, 3];
    const a = makeValues('random', size(shape), 4);
    const b = makeValues('random', size(shape), 5);
    const ta = tf.tensor(a, shape);
    const tb = tf.tensor(b, shape);
    // tf.add is recorded into tfjs's encoder and not yet submitted when the pooling runs.
    const sum = tf.add(ta, tb);
    const { values, indices } = maxPoolWithIndices(sum, { kernelSize: 2 });
    const expected = cpu.maxPool({ data: a.map((v, i) => Math.fround(v + b[i])), shape }, { kernelSize: 2, layout: 'NHWC', indexFormat: 'flat-no-batch' });
    expectBitsEqual((await values.data()) as Float32Array, expected.values.data, expected.values.shape, 'values of a pending sum');
    tf.dispose([ta, tb, sum, values, indices]);
  });

  it('writes nothing for an index that names no element, and checkIndices reports it with the cpu backend\'s words', async () => {
    await checkIndices(); // nothing pending from earlier tests
    const values = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const indices = tf.tensor4d([0, 5, 99, 15], [1, 2, 2, 1], 'int32');
    const y = maxUnpool(values, indices, { kernelSize: 2 });
    const expected = new Float32Array(16);
    expected[0] = 1;
    expected[5] = 2;
    expected[15] = 4;
    expectBitsEqual((await y.data()) as Float32Array, expected, [1, 4, 4, 1], 'unpooled with one invalid index');
    // The same words as the cpu backend throws at once: op, index, (batch, channel, row, column).
    await expect(checkIndices()).rejects.toThrow(/^maxUnpool2d: Found an invalid max index 99 at indices\[0, 0, 1, 0\]$/);
    // Reported once; later work is checked afresh, and good indices pass.
    await expect(checkIndices()).resolves.toBeUndefined();
    const good = tf.tensor4d([0, 5, 10, 15], [1, 2, 2, 1], 'int32');
    const z = maxUnpool(values, good, { kernelSize: 2 });
    await expect(checkIndices()).resolves.toBeUndefined();
    // A bad index among many later calls is still found, after the oldest statuses were read in the background.
    const outputs: tf.Tensor[] = [];
    for (let k = 0; k < 300; k++) outputs.push(maxUnpool(values, k === 7 ? indices : good, { kernelSize: 2 }));
    await expect(checkIndices()).rejects.toThrow(/^maxUnpool2d: Found an invalid max index 99/);
    tf.dispose([values, indices, good, y, z, ...outputs]);
  });

  it('submits nothing of its own: pooling, unpooling, gradients and the drop-in record into tfjs\'s encoder', async () => {
    const shape = [1, 8, 8, 4];
    const x = tf.tensor(makeValues('random', size(shape), 2), shape);
    backend.uploadToGPU(x.dataId);
    // Start from an empty tfjs batch, so that tfjs's own batch limit is not reached in the counted ops.
    await emptyTfjsBatch(x);
    const submits = counting(GPUQueue.prototype, 'submit', () => {
      const pooled = maxPoolWithIndices(x, { kernelSize: 2 });
      const y = maxUnpool(pooled.values, pooled.indices, { kernelSize: 2 });
      const dx = tf.grad((input: tf.Tensor) => {
        const r = maxPoolWithIndices(input, { kernelSize: 2 });
        return tf.sum(maxUnpool(r.values, r.indices, { kernelSize: 2 }));
      })(x);
      const drop = maxPoolWithArgmax(x as tf.Tensor4D, 2, 2, 'valid');
      return [pooled.values, pooled.indices, y, dx, drop.result, drop.indexes];
    });
    expect(submits.calls).toBe(0);
    // The work runs with tfjs's next submit (here, the read) and is right.
    const ref = cpu.maxPool({ data: (await x.data()) as Float32Array, shape }, { kernelSize: 2, layout: 'NHWC', indexFormat: 'flat-no-batch' });
    expectBitsEqual((await submits.result[4].data()) as Float32Array, ref.values.data, ref.values.shape, 'drop-in result');
    expectIntsEqual((await submits.result[5].data()) as Int32Array, ref.indices.data, ref.indices.shape, 'drop-in indexes');
    tf.dispose([x, ...submits.result]);
  });

  it('runs the drop-in maxPoolWithArgmax as one pass (tfjs\'s own kernel runs two), with the same result', async () => {
    const shape: [number, number, number, number] = [2, 16, 16, 8];
    const x = tf.tensor4d(makeValues('random', size(shape), 31), shape);
    backend.uploadToGPU(x.dataId);
    await emptyTfjsBatch(x);
    const ours = counting(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', () => maxPoolWithArgmax(x, 3, 2, 'same'));
    const theirs = counting(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', () => tf.maxPoolWithArgmax(x, 3, 2, 'same'));
    expect(ours.calls).toBe(1);
    expect(theirs.calls).toBe(2);
    expectBitsEqual((await ours.result.result.data()) as Float32Array, (await theirs.result.result.data()) as Float32Array, ours.result.result.shape, 'result');
    // Random values: ties are rare but possible, and tfjs's webgpu kernel lets the last maximum win.
    const a = (await ours.result.indexes.data()) as Int32Array;
    const b = (await theirs.result.indexes.data()) as Int32Array;
    const data = (await x.data()) as Float32Array;
    const batchOffset = (i: number) => Math.floor(i / (8 * 8 * 8)) * (16 * 16 * 8); // indices leave out the batch
    const differ = Array.from(a).filter((v, i) => v !== b[i] && data[batchOffset(i) + v] !== data[batchOffset(i) + b[i]]);
    expect(differ).toEqual([]);
    tf.dispose([x, ours.result.result, ours.result.indexes, theirs.result.result, theirs.result.indexes]);
  });

  it('refuses, in a kernel run directly, a float32 tensor whose data tfjs keeps as int32', () => {
    registerKernels();
    const xInt = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1], 'int32');
    const x = tf.cast(xInt, 'float32');
    expect(backend.tensorMap.get(x.dataId).dtype).toBe('int32'); // tfjs's cast without a copy
    const before = tf.memory().numTensors;
    expect(() => tf.engine().runKernel(MaxPoolWithIndices, { x }, { kernelSize: 2 })).toThrow(
      /^maxPoolWithIndices2d: x is a float32 tensor whose data tfjs keeps as int32 \(a cast without a copy\)/,
    );
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([xInt, x]);
  });

  it('keeps tfjs\'s bound on deferred work: a loop that never reads submits once per tfjs batch', async () => {
    const x = tf.tensor(makeValues('random', 2 * 8 * 8 * 4, 3), [2, 8, 8, 4]);
    await emptyTfjsBatch(x);
    const batch = Number(tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'));
    const { result, calls } = counting(GPUQueue.prototype, 'submit', () => {
      const out: tf.Tensor[] = [];
      for (let k = 0; k < 3 * batch; k++) {
        const r = maxPoolWithIndices(x, { kernelSize: 2 });
        out.push(r.values, r.indices);
      }
      return out;
    });
    expect(calls).toBe(3);
    tf.dispose([x, ...result]);
  });

  it("gives tfjs's GPU memory back: numBytesInGPU and the backend's data ids return to their baseline", async () => {
    await checkIndices();
    const flush = async () => {
      const probe = tf.tidy(() => tf.add(tf.scalar(1), 1));
      await probe.data();
      probe.dispose();
    };
    await flush();
    const bytes = (tf.memory() as unknown as { numBytesInGPU: number }).numBytesInGPU;
    const ids = backend.numDataIds();
    const x = tf.tensor(makeValues('random', 2 * 16 * 16 * 8, 6), [2, 16, 16, 8]);
    const grads = tf.grad((input: tf.Tensor) => {
      const r = maxPoolWithIndices(input, { kernelSize: 3, stride: 2, padding: 1 });
      return tf.sum(maxUnpool(r.values, r.indices, { kernelSize: 3, stride: 2, padding: 1, outputSize: [16, 16] }));
    })(x);
    await grads.data();
    tf.dispose([x, grads]);
    // The index statuses of the unpooling and both gradients (8 bytes each, tfjs's buffers) are held
    // until checked.
    const held = (tf.memory() as unknown as { numBytesInGPU: number }).numBytesInGPU;
    await checkIndices();
    await flush();
    expect(held - (tf.memory() as unknown as { numBytesInGPU: number }).numBytesInGPU).toBeGreaterThanOrEqual(3 * 8);
    expect(backend.numDataIds()).toBe(ids);
    expect((tf.memory() as unknown as { numBytesInGPU: number }).numBytesInGPU).toBe(bytes);
  });

  it('runs the README example: a SegNet-style block trained one step with tf.grads', async () => {
    const before = tf.memory().numTensors;
    // --- README example, from here (imports: tf, maxPoolWithIndices, maxUnpool) ---
    const x = tf.randomNormal([2, 32, 32, 3]) as tf.Tensor4D; // NHWC, tfjs's layout
    const encoder = tf.variable(tf.randomNormal([3, 3, 3, 16], 0, 0.1));
    const decoder = tf.variable(tf.randomNormal([3, 3, 16, 3], 0, 0.1));
    const options = { kernelSize: 3, stride: 2, padding: 1 };
    const loss = () =>
      tf.tidy(() => {
        const features = tf.relu(tf.conv2d(x, encoder as tf.Tensor4D, 1, 'same'));
        const { values, indices } = maxPoolWithIndices(features, options); // [2, 16, 16, 16], int32 indices
        const restored = maxUnpool(values, indices, { ...options, outputSize: [32, 32] });
        return tf.losses.meanSquaredError(x, tf.conv2d(restored, decoder as tf.Tensor4D, 1, 'same')) as tf.Scalar;
      });
    const optimizer = tf.train.sgd(0.1);
    const { value, grads } = tf.variableGrads(loss);
    optimizer.applyGradients(grads);
    console.log('loss', (await value.data())[0]);
    // --- to here ---
    expect(Number.isFinite((await value.data())[0])).toBe(true);
    expect(Object.keys(grads).length).toBe(2);
    const after = loss();
    expect((await after.data())[0]).toBeLessThan((await value.data())[0]);
    tf.dispose([x, encoder, decoder, value, after, ...Object.values(grads)]);
    optimizer.dispose();
    // What remains: the two random initial values; tf.variable shares their data but leaves disposing them to the caller.
    expect(tf.memory().numTensors).toBe(before + 2);
  });
});
