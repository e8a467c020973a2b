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
import { afterEach, beforeAll, expect } from 'vitest';
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
