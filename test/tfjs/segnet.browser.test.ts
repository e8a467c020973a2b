/** The TF.js SegNet on tfjs's `webgpu` backend in headless Chromium, loaded over HTTP as an app would. */
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import 'argpool/tfjs-layers';
import { checkIndices } from 'argpool/tfjs';
import { afterEach, beforeAll, expect } from 'vitest';
import image0 from '../../models/samples/sample-0.image.f32?url';
import labels0 from '../../models/samples/sample-0.labels.u8?url';
import image1 from '../../models/samples/sample-1.image.f32?url';
import labels1 from '../../models/samples/sample-1.labels.u8?url';
import modelUrl from '../../models/segnet-shapes-tfjs/model.json?url';
import { defineSegnetSuite } from './segnet-suite';

beforeAll(async () => {
  expect(await tf.setBackend('webgpu')).toBe(true);
  await tf.ready();
});

/** The unpooling layers read only indices that their poolings wrote. */
afterEach(async () => {
  await checkIndices();
});

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetch ${url}: ${response.status}`);
  return response.arrayBuffer();
}

defineSegnetSuite('webgpu', {
  async load() {
    return tfl.loadLayersModel(modelUrl);
  },
  async samples() {
    // Two of the samples: SwiftShader runs the convolutions on the CPU.
    return Promise.all(
      [['sample-0', image0, labels0], ['sample-1', image1, labels1]].map(async ([name, image, labels]) => ({
        name,
        image: new Float32Array(await fetchBytes(image)),
        labels: new Uint8Array(await fetchBytes(labels)),
      })),
    );
  },
});
