/** argpool/tfjs on tfjs's `cpu` backend, where the kernels run argpool's CPU reference. */
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs bundle does this import).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxPoolWithIndices, maxUnpool } from 'argpool/tfjs';
import { defineEngineSuite } from './engine-suite';
import { defineSuite } from './suite';

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
  await tf.ready();
});

defineSuite('cpu');
defineEngineSuite('cpu');

describe('argpool/tfjs on the cpu backend', () => {
  it('throws on an index that names no element, naming the op, the index and where it is', () => {
    const values = tf.ones([1, 2, 2, 1]);
    const indices = tf.tensor4d([0, 1, 99, 2], [1, 2, 2, 1], 'int32');
    const before = tf.memory().numTensors;
    expect(() => maxUnpool(values, indices, { kernelSize: 2 })).toThrow(/maxUnpool2d: Found an invalid max index 99 at indices\[0, 0, 1, 0\]/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([values, indices]);
  });

  it('refuses a backend it has no kernels for, and leaves tfjs usable', async () => {
    tf.registerBackend('argpool-test-other', () => new MathBackendCPU());
    expect(await tf.setBackend('argpool-test-other')).toBe(true);
    try {
      const x = tf.ones([1, 2, 2, 1]);
      expect(() => maxPoolWithIndices(x, { kernelSize: 2 })).toThrow(
        /^maxPoolWithIndices: the tfjs backend "argpool-test-other" is not supported; argpool\/tfjs runs on "webgpu" and "cpu"/,
      );
      x.dispose();
    } finally {
      expect(await tf.setBackend('cpu')).toBe(true);
      tf.removeBackend('argpool-test-other');
    }
    const x = tf.ones([1, 2, 2, 1]);
    const { values, indices } = maxPoolWithIndices(tf.add(x, x), { kernelSize: 2 });
    expect(Array.from(await values.data())).toEqual([2]);
    tf.dispose([x, values, indices]);
  });
});
