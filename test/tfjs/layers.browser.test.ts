/**
 * argpool/tfjs-layers on tfjs's `webgpu` backend in headless Chromium. Without WebGPU, setting the
 * backend fails and so does every test here.
 */
import '@tensorflow/tfjs-backend-webgpu';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs bundle does this import).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { checkIndices } from 'argpool/tfjs';
import { MaxPoolingWithArgmax2D, MaxUnpooling2D } from 'argpool/tfjs-layers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectBitsEqual } from '../compare';
import { makeValues } from '../data';
import { defineLayersSuite } from './layers-suite';

let backend: WebGPUBackend;
const uncaptured: string[] = [];

beforeAll(async () => {
  expect(await tf.setBackend('webgpu')).toBe(true);
  await tf.ready();
  backend = tf.backend() as WebGPUBackend;
  backend.device.addEventListener('uncapturederror', (event) => uncaptured.push((event as GPUUncapturedErrorEvent).error.message));
});

/** Every GPU error, and every invalid index the GPU found, fails the test that caused it. */
afterEach(async () => {
  await checkIndices();
  await backend.device.queue.onSubmittedWorkDone();
  expect(uncaptured.splice(0)).toEqual([]);
});

defineLayersSuite('webgpu');

/** Counts the compute dispatches recorded while `run` runs. */
function dispatches<T>(run: () => T): { result: T; calls: number } {
  const proto = GPUComputePassEncoder.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = proto.dispatchWorkgroups;
  let calls = 0;
  proto.dispatchWorkgroups = function (this: unknown, ...args: unknown[]) {
    calls++;
    return original.apply(this, args);
  };
  try {
    return { result: run(), calls };
  } finally {
    proto.dispatchWorkgroups = original;
  }
}

describe('MaxUnpooling2D on webgpu', () => {
  it("unpools its pooling's argmax with fewer passes than an equal mask made elsewhere, with the same result", async () => {
    const x = tf.tensor4d(makeValues('random', 2 * 8 * 8 * 4, 41), [2, 8, 8, 4]);
    const [values, argmax] = new MaxPoolingWithArgmax2D().apply(x) as tf.Tensor[];
    const copy = tf.tensor(Float32Array.from(await argmax.data()), argmax.shape);
    const unpool = new MaxUnpooling2D();
    // The argmax through its two casts still names this pooling's maxima: argpool's single-pass gather.
    const own = dispatches(() => unpool.apply([values, argmax]) as tf.Tensor);
    // The same numbers, uploaded: nothing says where they came from, so the general scatter.
    const other = dispatches(() => unpool.apply([values, copy]) as tf.Tensor);
    expect(own.calls).toBeLessThan(other.calls);
    expectBitsEqual((await own.result.data()) as Float32Array, (await other.result.data()) as Float32Array, own.result.shape, 'unpooled');
    tf.dispose([x, values, argmax, copy, own.result, other.result]);
  });
});
