/**
 * The TF.js engine of `node bench/segnet.mjs`: the same trained SegNet as a TF.js layers model
 * (models/segnet-shapes-tfjs/, the converter's format with the Keras SegNet layers), loaded with
 * `tf.loadLayersModel` and run on TF.js's `webgpu` backend, where `argpool/tfjs-layers` runs the
 * pooling and unpooling layers with argpool's kernels on TF.js's own device. Each run takes a new
 * image from the CPU (NCHW, transposed to NHWC on the GPU by TF.js) and reads the logits back to it,
 * like the ONNX paths; its labels are compared with ORT wasm's on the same images.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { registerLayers } from '../src/tfjs-layers/index';
import { checkIndices } from '../src/tfjs/index';
import { generateShapes, imageSeed } from '../demo/segmentation/shapes';
import { log, summary, type PathTiming } from './ort-timing';
import modelUrl from '../models/segnet-shapes-tfjs/model.json?url';
import weightsUrl from '../models/segnet-shapes-tfjs/group1-shard1of1.bin?url';

export interface TfjsSegnetResult {
  model: string;
  tfjsVersion: string;
  backend: string;
  timing: PathTiming;
  /** Share of pixels whose label equals ORT wasm's, over the timed runs. */
  labelAgreementWithWasm: number;
}

/** Runs the TF.js engine on the benchmark's images; `wasmLabels` gives ORT wasm's labels of an image. */
export async function benchTfjsSegnet(
  config: { runs: number; warmup: number; seed: number },
  wasmLabels: (image: Float32Array) => Promise<Uint8Array>,
): Promise<TfjsSegnetResult> {
  registerLayers();
  if (!(await tf.setBackend('webgpu'))) throw new Error("bench/segnet: TF.js's webgpu backend could not start");
  await tf.ready();
  const model = await tfl.loadLayersModel(modelUrl, { weightUrlConverter: async () => weightsUrl });
  const times: number[] = [];
  let same = 0;
  let pixels = 0;
  for (let i = 0; i < config.warmup + config.runs; i++) {
    const sample = generateShapes(imageSeed(config.seed, i));
    const start = performance.now();
    const input = tf.tidy(() => tf.expandDims(tf.transpose(tf.tensor3d(sample.image, [3, 128, 128]), [1, 2, 0]), 0));
    const logits = model.predict(input) as tf.Tensor;
    const data = (await logits.data()) as Float32Array;
    const ms = performance.now() - start;
    const classes = logits.shape[3]!;
    tf.dispose([input, logits]);
    const labels = new Uint8Array(data.length / classes);
    for (let p = 0; p < labels.length; p++) {
      let best = 0;
      for (let k = 1; k < classes; k++) if (data[p * classes + k] > data[p * classes + best]) best = k;
      labels[p] = best;
    }
    if (i >= config.warmup) {
      times.push(ms);
      const reference = await wasmLabels(sample.image);
      for (let p = 0; p < labels.length; p++) if (labels[p] === reference[p]) same++;
      pixels += labels.length;
    }
    log(`image ${i}${i < config.warmup ? ' (warm-up)' : ''}: TF.js engine ${ms.toFixed(0)} ms`);
  }
  await checkIndices();
  model.dispose();
  return {
    model: 'models/segnet-shapes-tfjs',
    tfjsVersion: tf.version_core,
    backend: tf.getBackend(),
    timing: summary(times),
    labelAgreementWithWasm: same / pixels,
  };
}
