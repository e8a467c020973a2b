/**
 * The trained SegNet as a TF.js layers model (models/segnet-shapes-tfjs/, written from
 * models/segnet-shapes.onnx by models/training/export_tfjs.mjs), loaded with tf.loadLayersModel,
 * against the labels ONNX Runtime's CPU provider gave (models/samples/).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MaxPoolingWithArgmax2D, MaxUnpooling2D } from 'argpool/tfjs-layers';
import { describe, expect, it } from 'vitest';

export const PLANE = 128 * 128;
/** The share of pixels whose label must agree with ONNX Runtime's. */
export const AGREEMENT = 0.995;

export interface SegnetSources {
  /** Loads the model with tf.loadLayersModel. */
  load(): Promise<tfl.LayersModel>;
  /** The samples to run: name, NCHW image [3, 128, 128], ORT's labels [128 * 128]. */
  samples(): Promise<{ name: string; image: Float32Array; labels: Uint8Array }[]>;
}

/** NCHW [3, H, W] planes -> NHWC [1, H, W, 3]. */
export function toNHWC(image: Float32Array): tf.Tensor4D {
  return tf.tidy(() => tf.expandDims(tf.transpose(tf.tensor3d(image, [3, 128, 128]), [1, 2, 0]), 0) as tf.Tensor4D);
}

export function defineSegnetSuite(backend: 'cpu' | 'webgpu', sources: SegnetSources): void {
  describe(`the TF.js SegNet (models/segnet-shapes-tfjs) on ${backend}`, () => {
    it('loads with tf.loadLayersModel, with four MaxPoolingWithArgmax2D and four MaxUnpooling2D layers', async () => {
      expect(tf.getBackend()).toBe(backend);
      const model = await sources.load();
      expect(model.layers.filter((l) => l instanceof MaxPoolingWithArgmax2D).length).toBe(4);
      expect(model.layers.filter((l) => l instanceof MaxUnpooling2D).length).toBe(4);
      expect(model.inputs[0].shape).toEqual([null, 128, 128, 3]);
      expect(model.outputs[0].shape).toEqual([null, 128, 128, 4]);
      model.dispose();
    });

    it(`agrees with ONNX Runtime's labels on at least ${AGREEMENT * 100} % of the pixels of every sample`, async () => {
      const model = await sources.load();
      const before = tf.memory().numTensors;
      for (const sample of await sources.samples()) {
        const input = toNHWC(sample.image);
        const started = performance.now();
        const labels = tf.tidy(() => tf.argMax(model.predict(input) as tf.Tensor4D, 3));
        const ours = (await labels.data()) as Int32Array;
        const ms = performance.now() - started;
        tf.dispose([input, labels]);
        const agree = ours.filter((label, p) => label === sample.labels[p]).length / PLANE;
        console.log(`TF.js SegNet on ${backend}, ${sample.name}: ${(agree * 100).toFixed(3)} % of labels agree with ORT's (${ms.toFixed(0)} ms)`);
        expect(agree).toBeGreaterThanOrEqual(AGREEMENT);
      }
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    }, 180_000);
  });
}
