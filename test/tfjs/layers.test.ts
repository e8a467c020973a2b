/** argpool/tfjs-layers on tfjs's `cpu` backend. */
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs bundle does this import).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect } from 'vitest';
import { defineLayersSuite } from './layers-suite';

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
  await tf.ready();
});

defineLayersSuite('cpu');
