/**
 * The third engine: the same trained SegNet as a TF.js layers model (models/segnet-shapes-tfjs/, the
 * converter's format with the Keras SegNet layers), loaded with `tf.loadLayersModel` and run on TF.js's
 * `webgpu` backend, where `argpool/tfjs-layers` runs its pooling and unpooling layers with argpool's
 * kernels on TF.js's own device. The page loads this module only when the engine is switched on.
 *
 * Its results take the ORT paths' form: labels, and each encoder level's pooled values and indices
 * turned from TensorFlow's channels-last flat indices ((y * W + x) * C + c) into ONNX's (over [C, H, W]),
 * so that the page compares them with the ONNX paths' indices directly.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { MaxPoolingWithArgmax2D, registerLayers } from '../../src/tfjs-layers/index';
import { checkIndices } from '../../src/tfjs/index';
import modelUrl from '../../models/segnet-shapes-tfjs/model.json?url';
import weightsUrl from '../../models/segnet-shapes-tfjs/group1-shard1of1.bin?url';

export const TFJS_LABEL = 'TF.js WebGPU + argpool/tfjs-layers';

export interface TfjsResult {
  path: 'tfjs';
  labels: Uint8Array;
  /** Each level's indices in ONNX's format (flat over the pooling input [1, C, H, W]). */
  indices: { data: Float64Array; dims: number[] }[];
  /** Each level's pooled values, [1, C, h, w]. */
  pooled: Float32Array[];
  /** Wall time of one run: image in from the CPU, logits and every level's pooling outputs read back. */
  ms: number;
  first: boolean;
}

export interface TfjsEngine {
  run(image: Float32Array): Promise<TfjsResult>;
  dispose(): void;
}

/** Starts TF.js on WebGPU and loads the model; throws with the reason when either fails. */
export async function createTfjsEngine(): Promise<TfjsEngine> {
  registerLayers();
  if (!(await tf.setBackend('webgpu'))) throw new Error("TF.js's webgpu backend could not start");
  await tf.ready();
  // The converter's model.json names its weights file; the built page moves it, so map the name.
  const model = await tfl.loadLayersModel(modelUrl, { weightUrlConverter: async () => weightsUrl });
  const pools = model.layers.filter((layer) => layer instanceof MaxPoolingWithArgmax2D);
  const withPooling = tfl.model({
    inputs: model.inputs,
    outputs: [model.outputs[0], ...pools.flatMap((layer) => layer.output as tfl.SymbolicTensor[])],
  });
  let first = true;

  async function run(image: Float32Array): Promise<TfjsResult> {
    const input = tf.tidy(() => tf.expandDims(tf.transpose(tf.tensor3d(image, [3, 128, 128]), [1, 2, 0]), 0));
    const started = performance.now();
    const outputs = withPooling.predict(input) as tf.Tensor[];
    const data = await Promise.all(outputs.map((t) => t.data()));
    const ms = performance.now() - started;
    const shapes = outputs.map((t) => t.shape);
    tf.dispose([input, ...outputs]);
    await checkIndices();

    const [logits, ...pooling] = data as Float32Array[];
    const [, height, width, classes] = shapes[0];
    const labels = new Uint8Array(height * width);
    for (let p = 0; p < labels.length; p++) {
      let best = 0;
      for (let k = 1; k < classes; k++) if (logits[p * classes + k] > logits[p * classes + best]) best = k;
      labels[p] = best;
    }
    const pooled: Float32Array[] = [];
    const indices: TfjsResult['indices'] = [];
    for (let l = 0; l < pools.length; l++) {
      const values = pooling[2 * l];
      const argmax = pooling[2 * l + 1];
      const [, h, w, c] = shapes[1 + 2 * l];
      const inW = width >> l;
      const inH = height >> l;
      const nchw = new Float32Array(values.length);
      const onnx = new Float64Array(values.length);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let ch = 0; ch < c; ch++) {
            const from = (y * w + x) * c + ch;
            const to = (ch * h + y) * w + x;
            nchw[to] = values[from];
            const flat = argmax[from];
            const position = Math.floor(flat / c); // y * W + x of the pooling input
            onnx[to] = (ch * inH + Math.floor(position / inW)) * inW + (position % inW);
          }
      pooled.push(nchw);
      indices.push({ data: onnx, dims: [1, c, h, w] });
    }
    const result: TfjsResult = { path: 'tfjs', labels, indices, pooled, ms, first };
    first = false;
    return result;
  }

  return {
    run,
    dispose() {
      withPooling.dispose();
    },
  };
}
