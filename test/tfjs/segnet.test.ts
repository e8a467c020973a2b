/** The TF.js SegNet on tfjs's `cpu` backend, loaded from the files, and its weights against the ONNX model's. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import 'argpool/tfjs-layers';
import { readFileSync } from 'node:fs';
import { decodeModel } from '../../src/onnxruntime-web/onnx';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineSegnetSuite } from './segnet-suite';

const root = new URL('../../', import.meta.url);
const dir = new URL('models/segnet-shapes-tfjs/', root);
const samplesDir = new URL('models/samples/', root);

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
  await tf.ready();
});

interface ModelJson {
  format: string;
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}
const modelJson = JSON.parse(readFileSync(new URL('model.json', dir), 'utf8')) as ModelJson;

/** tf.loadLayersModel on the files as they are, through an IO handler that reads them from disk. */
function load(): Promise<tfl.LayersModel> {
  const handler: tf.io.IOHandler = {
    async load() {
      const shards = modelJson.weightsManifest.flatMap((group) => group.paths.map((path) => new Uint8Array(readFileSync(new URL(path, dir)))));
      const weightData = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
      let offset = 0;
      for (const s of shards) {
        weightData.set(s, offset);
        offset += s.byteLength;
      }
      return {
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest.flatMap((group) => group.weights),
        weightData: weightData.buffer,
        format: modelJson.format,
      };
    },
  };
  return tfl.loadLayersModel(handler);
}

function float32File(name: string): Float32Array {
  const bytes = readFileSync(new URL(name, samplesDir));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

const manifest = JSON.parse(readFileSync(new URL('samples.json', samplesDir), 'utf8')) as {
  samples: { name: string; files: { image: string; labels: string } }[];
};

defineSegnetSuite('cpu', {
  load,
  async samples() {
    return manifest.samples.map((s) => ({ name: s.name, image: float32File(s.files.image), labels: new Uint8Array(readFileSync(new URL(s.files.labels, samplesDir))) }));
  },
});

describe('models/segnet-shapes-tfjs against models/segnet-shapes.onnx', () => {
  it('is in the converter format and holds the ONNX model\'s weights, bit for bit (kernels OIHW -> HWIO)', async () => {
    expect(modelJson.format).toBe('layers-model');
    const graph = decodeModel(new Uint8Array(readFileSync(new URL('models/segnet-shapes.onnx', root)))).graph!;
    const init = new Map(graph.initializer!.map((t) => [t.name!, t]));
    const floats = (name: string) => {
      const raw = init.get(name)!.rawData!;
      return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    };
    const model = await load();
    let compared = 0;
    for (const node of graph.node!) {
      const layer = model.getLayer(node.name!.replaceAll('.', '_'));
      const values = await Promise.all(layer.getWeights().map((w) => w.data()));
      if (node.opType === 'Conv') {
        const dims = init.get(node.input![1])!.dims!.map(Number);
        const [o, i, h, w] = dims;
        const onnxKernel = floats(node.input![1]);
        const kernel = values[0];
        expect(layer.getWeights()[0].shape).toEqual([h, w, i, o]);
        let same = 0;
        for (let a = 0; a < o; a++)
          for (let b = 0; b < i; b++)
            for (let y = 0; y < h; y++)
              for (let x = 0; x < w; x++) same += Number(Object.is(kernel[((y * w + x) * i + b) * o + a], onnxKernel[((a * i + b) * h + y) * w + x]));
        expect(same).toBe(onnxKernel.length);
        if (node.input!.length > 2) expect(Array.from(values[1])).toEqual(Array.from(floats(node.input![2])));
        compared += values.length;
      } else if (node.opType === 'BatchNormalization') {
        // gamma, beta, moving mean, moving variance = scale, bias, mean, var.
        for (let k = 0; k < 4; k++) expect(Array.from(values[k])).toEqual(Array.from(floats(node.input![k + 1])));
        compared += 4;
      } else {
        expect(values.length).toBe(0);
      }
    }
    expect(compared).toBe(graph.initializer!.length);
    model.dispose();
  });
});
