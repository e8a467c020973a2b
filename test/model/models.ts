/**
 * Models for the tests of "bring your own model" (inspection in Node, the CLI from the packed tarball,
 * the demo's "Your model" view): a small SegNet-style ONNX model with symbolic height and width, and
 * files built to be refused: random bytes, a truncated model, an unsupported operator, and hostile
 * sizes (a 2^40-element output_shape, a pool size of 10^9, an initializer or a TF.js weights manifest
 * that lies about its byte length). Everything is seeded: every run builds the same bytes.
 */
import { readFileSync } from 'node:fs';
import { GraphBuilder, random } from '../../models/graphs';
import { DataType, encodeModel } from '../../src/onnxruntime-web/onnx';

const root = new URL('../../', import.meta.url);

export const SEGNET_ONNX = new URL('models/segnet-shapes.onnx', root);
export const SEGNET_TFJS_DIR = new URL('models/segnet-shapes-tfjs/', root);

/** The trained SegNet's bytes. */
export function segnetOnnx(): Uint8Array {
  return new Uint8Array(readFileSync(SEGNET_ONNX));
}

/** The TF.js SegNet's model.json (text) and its one weight file. */
export function segnetTfjs(): { json: string; weightName: string; weights: Uint8Array } {
  const json = readFileSync(new URL('model.json', SEGNET_TFJS_DIR), 'utf8');
  const weightName = 'group1-shard1of1.bin';
  return { json, weightName, weights: new Uint8Array(readFileSync(new URL(weightName, SEGNET_TFJS_DIR))) };
}

/**
 * A SegNet-style encoder-decoder whose input is [1, 3, height, width], height and width symbolic:
 * Conv 3x3 (4 channels) → Relu → MaxPool 2x2/2 with Indices → Conv 3x3 → Relu → MaxUnpool 2x2/2 →
 * Conv 1x1 to 3 classes. The Relu's output is declared [1, 4, height, width] (value_info), as
 * exporters write it; nothing else is.
 */
export function dynamicSegnet(): Uint8Array {
  const g = new GraphBuilder(11);
  g.input('image', [1, 3, 'height', 'width']);
  g.conv('image', 'c1', 3, 4, [3, 3], { pads: [1, 1, 1, 1] });
  g.node('Relu', ['c1'], ['r1'], {}, 'relu1');
  g.node('MaxPool', ['r1'], ['p1', 'i1'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1');
  g.conv('p1', 'c2', 4, 4, [3, 3], { pads: [1, 1, 1, 1] });
  g.node('Relu', ['c2'], ['r2'], {}, 'relu2');
  g.node('MaxUnpool', ['r2', 'i1'], ['u1'], { kernel_shape: [2, 2], strides: [2, 2] }, 'unpool1');
  g.conv('u1', 'logits', 4, 3, [1, 1]);
  g.output('logits');
  const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  return encodeModel({
    irVersion: 7,
    producerName: 'argpool tests',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'dynamic-segnet',
      node: g.nodes,
      initializer: g.initializers,
      input: g.inputs,
      output: g.outputs,
      valueInfo: [{ name: 'r1', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [1, 4, 'height', 'width'].map(dim) } } } }],
    },
  });
}

/** A pooling pair whose MaxUnpool's output_shape (an initializer) asks for 2^40 elements. */
export function hugeOutputShape(): Uint8Array {
  const g = new GraphBuilder();
  g.input('x', [1, 1, 4, 4]);
  g.node('MaxPool', ['x'], ['y', 'i'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool');
  g.int64s('shape', [1, 1, 2 ** 20, 2 ** 20]);
  g.node('MaxUnpool', ['y', 'i', 'shape'], ['u'], { kernel_shape: [2, 2], strides: [2, 2] }, 'unpool');
  g.output('u');
  return g.build(11);
}

/** A MaxPool with Indices whose window is 10^9 x 10^9. */
export function hugeKernel(): Uint8Array {
  const g = new GraphBuilder();
  g.input('x', [1, 1, 8, 8]);
  g.node('MaxPool', ['x'], ['y', 'i'], { kernel_shape: [1e9, 1e9] }, 'pool');
  g.output('y').output('i', DataType.INT64);
  return g.build(11);
}

/** A model with a node of an operator no ONNX Runtime provider has ("Frobnicate"), after a pooling pair. */
export function unsupportedOperator(): Uint8Array {
  const g = new GraphBuilder();
  g.input('x', [1, 2, 4, 4]);
  g.node('MaxPool', ['x'], ['y', 'i'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool');
  g.node('MaxUnpool', ['y', 'i'], ['u'], { kernel_shape: [2, 2], strides: [2, 2] }, 'unpool');
  g.node('Frobnicate', ['u'], ['z'], {}, 'frob');
  g.output('z');
  return g.build(11);
}

/** An initializer whose dims claim 2^40 floats but whose raw_data holds 16 bytes. */
export function lyingInitializer(): Uint8Array {
  const g = new GraphBuilder();
  g.input('x', [1, 1, 4, 4]);
  g.node('MaxPool', ['x'], ['y', 'i'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool');
  g.initializers.push({ name: 'scale', dims: [2 ** 20, 2 ** 20], dataType: DataType.FLOAT, rawData: new Uint8Array(16) });
  g.node('Mul', ['y', 'scale'], ['z'], {}, 'scale');
  g.output('z');
  return g.build(11);
}

/** Seeded bytes that are no model. */
export function randomBytes(count = 4096, seed = 3): Uint8Array {
  const next = random(seed);
  return Uint8Array.from({ length: count }, () => Math.floor(next() * 256));
}

/** The first half of the trained SegNet. */
export function truncatedSegnet(): Uint8Array {
  const bytes = segnetOnnx();
  return bytes.slice(0, bytes.length >> 1);
}

/** The TF.js SegNet's model.json with one layer's pool_size set to 10^9. */
export function tfjsHugePool(): string {
  const json = JSON.parse(segnetTfjs().json);
  const layer = json.modelTopology.model_config.config.layers.find((l: { name: string }) => l.name === 'pool2');
  layer.config.pool_size = [1e9, 1e9];
  return JSON.stringify(json);
}

/**
 * The TF.js SegNet's model.json whose manifest claims a 2^40-element kernel for its first weight
 * (the weight file is left as it is): its byte lengths no longer match the file.
 */
export function tfjsLyingManifest(): string {
  const json = JSON.parse(segnetTfjs().json);
  json.weightsManifest[0].weights[0].shape = [1024, 1024, 1024, 1024];
  return JSON.stringify(json);
}
