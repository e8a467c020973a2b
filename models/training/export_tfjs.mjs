#!/usr/bin/env node
/**
 * Writes models/segnet-shapes-tfjs/ (model.json + group1-shard1of1.bin) from models/segnet-shapes.onnx:
 * the same trained weights as a TensorFlow.js layers model, in the format tensorflowjs_converter writes
 * for a Keras model (a Keras `Functional` topology, a weights manifest, one shard), channels-last, with
 * the two layers of the Keras SegNet that argpool/tfjs-layers registers:
 *
 *   Conv (3x3, pad 1, no bias)  -> Conv2D(padding 'same', use_bias false), kernel OIHW -> HWIO
 *   BatchNormalization          -> BatchNormalization(axis 3, same epsilon): gamma, beta, moving mean, variance
 *   Relu                        -> Activation('relu')
 *   MaxPool 2x2/2 with Indices  -> MaxPoolingWithArgmax2D(pool_size 2, strides 2, padding 'same')
 *   MaxUnpool 2x2/2             -> MaxUnpooling2D(size 2), inputs [features, that pooling's argmax]
 *   Conv 1x1 with bias          -> Conv2D(1x1) (the classifier)
 *
 * Input `image` [null, 128, 128, 3] (NHWC: the ONNX model's NCHW input transposed), output `logits`
 * [null, 128, 128, 4]. The indices change format (ONNX: flat NCHW; TensorFlow: (y * W + x) * C + c,
 * cast to float), but both name the first maximum of each window, so the model computes the same thing.
 *
 * Usage (from the repository root, after `npm run build`: the ONNX model is read with the package's own
 * reader in dist/):
 *   node models/training/export_tfjs.mjs [--onnx models/segnet-shapes.onnx] [--out models/segnet-shapes-tfjs]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DataType, decodeModel } from '../../dist/onnxruntime-web/onnx.js';

const { values: args } = parseArgs({
  options: {
    onnx: { type: 'string', default: 'models/segnet-shapes.onnx' },
    out: { type: 'string', default: 'models/segnet-shapes-tfjs' },
  },
});

const num = (v) => (v == null ? 0 : Number(v));
const model = decodeModel(new Uint8Array(readFileSync(args.onnx)));
const graph = model.graph;

/** Float32 initializers by name, with their dims. */
const initializers = new Map();
for (const t of graph.initializer) {
  if (t.dataType !== DataType.FLOAT) throw new Error(`export_tfjs: initializer ${t.name} is not float32`);
  const dims = t.dims.map(num);
  const count = dims.reduce((a, b) => a * b, 1);
  const data = t.rawData?.length
    ? new Float32Array(t.rawData.buffer.slice(t.rawData.byteOffset, t.rawData.byteOffset + t.rawData.byteLength))
    : Float32Array.from(t.floatData);
  if (data.length !== count) throw new Error(`export_tfjs: initializer ${t.name} holds ${data.length} values, dims ${dims} need ${count}`);
  initializers.set(t.name, { dims, data });
}
const initializer = (name) => {
  const t = initializers.get(name);
  if (!t) throw new Error(`export_tfjs: no initializer ${name}`);
  return t;
};
const attribute = (node, name) => node.attribute.find((a) => a.name === name);
const ints = (node, name) => attribute(node, name)?.ints.map(num);

/** OIHW -> HWIO. */
function kernelHWIO({ dims: [o, i, h, w], data }) {
  const out = new Float32Array(data.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((y * w + x) * i + b) * o + a] = data[((a * i + b) * h + y) * w + x];
  return { shape: [h, w, i, o], data: out };
}

const layers = [];
const weights = [];
/** ONNX tensor name -> the Keras inbound reference [layer, node index, tensor index, kwargs]. */
const produced = new Map();
const layerName = (onnxName) => onnxName.replaceAll('.', '_');
const inbound = (tensor) => {
  const ref = produced.get(tensor);
  if (!ref) throw new Error(`export_tfjs: tensor ${tensor} is not produced by an earlier node`);
  return [...ref, {}];
};
function addLayer(className, name, config, inputs, outputs) {
  layers.push({ class_name: className, config: { name, trainable: true, dtype: 'float32', ...config }, name, inbound_nodes: inputs.length ? [inputs.map(inbound)] : [] });
  outputs.forEach((tensor, index) => produced.set(tensor, [name, 0, index]));
}
const addWeight = (name, shape, data) => weights.push({ name, shape, data });

const [input] = graph.input;
const [, inC, inH, inW] = input.type.tensorType.shape.dim.map((d) => num(d.dimValue));
addLayer('InputLayer', input.name, { batch_input_shape: [null, inH, inW, inC], sparse: false, ragged: false }, [], [input.name]);
for (const l of layers) delete l.config.trainable;

const initializerConfig = (className) => ({ class_name: className, config: className === 'GlorotUniform' ? { seed: null } : {} });
for (const node of graph.node) {
  const name = layerName(node.name);
  switch (node.opType) {
    case 'Conv': {
      const weight = initializer(node.input[1]);
      const [o, , kh, kw] = weight.dims;
      const pads = ints(node, 'pads') ?? [0, 0, 0, 0];
      const same = pads.every((p) => p === (kh - 1) / 2) && kh === kw && kh % 2 === 1;
      if (!same && pads.some((p) => p !== 0)) throw new Error(`export_tfjs: ${node.name}: pads ${pads} are neither 'same' nor 'valid'`);
      const useBias = node.input.length > 2;
      addLayer(
        'Conv2D',
        name,
        {
          filters: o, kernel_size: [kh, kw], strides: [1, 1], padding: same ? 'same' : 'valid', data_format: 'channels_last',
          dilation_rate: [1, 1], groups: 1, activation: 'linear', use_bias: useBias,
          kernel_initializer: initializerConfig('GlorotUniform'), bias_initializer: initializerConfig('Zeros'),
          kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
        },
        [node.input[0]],
        node.output,
      );
      const kernel = kernelHWIO(weight);
      addWeight(`${name}/kernel`, kernel.shape, kernel.data);
      if (useBias) addWeight(`${name}/bias`, [o], initializer(node.input[2]).data);
      break;
    }
    case 'BatchNormalization': {
      const [, scale, bias, mean, variance] = node.input.map((n, i) => (i === 0 ? null : initializer(n)));
      addLayer(
        'BatchNormalization',
        name,
        {
          axis: 3, momentum: 0.99, epsilon: attribute(node, 'epsilon')?.f ?? 1e-5, center: true, scale: true,
          beta_initializer: initializerConfig('Zeros'), gamma_initializer: initializerConfig('Ones'),
          moving_mean_initializer: initializerConfig('Zeros'), moving_variance_initializer: initializerConfig('Ones'),
          beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null,
        },
        [node.input[0]],
        node.output,
      );
      addWeight(`${name}/gamma`, [scale.data.length], scale.data);
      addWeight(`${name}/beta`, [bias.data.length], bias.data);
      addWeight(`${name}/moving_mean`, [mean.data.length], mean.data);
      addWeight(`${name}/moving_variance`, [variance.data.length], variance.data);
      break;
    }
    case 'Relu':
      addLayer('Activation', name, { activation: 'relu' }, [node.input[0]], node.output);
      break;
    case 'MaxPool': {
      const kernel = ints(node, 'kernel_shape');
      const strides = ints(node, 'strides') ?? kernel;
      if ((ints(node, 'pads') ?? [0, 0, 0, 0]).some((p) => p !== 0)) throw new Error(`export_tfjs: ${node.name}: padded pooling is not supported`);
      addLayer('MaxPoolingWithArgmax2D', name, { pool_size: kernel, strides, padding: 'same' }, [node.input[0]], node.output);
      break;
    }
    case 'MaxUnpool': {
      const kernel = ints(node, 'kernel_shape');
      const strides = ints(node, 'strides') ?? kernel;
      if (kernel.join() !== strides.join()) throw new Error(`export_tfjs: ${node.name}: MaxUnpooling2D needs kernel = strides, got ${kernel} / ${strides}`);
      addLayer('MaxUnpooling2D', name, { size: kernel }, [node.input[0], node.input[1]], node.output);
      break;
    }
    default:
      throw new Error(`export_tfjs: no Keras layer for ONNX ${node.opType} (${node.name})`);
  }
}
const [output] = graph.output;

const modelJson = {
  format: 'layers-model',
  generatedBy: `argpool models/training/export_tfjs.mjs from ${args.onnx}`,
  convertedBy: null,
  modelTopology: {
    keras_version: '2.15.0',
    backend: 'tensorflow',
    model_config: {
      class_name: 'Functional',
      config: {
        name: graph.name.replaceAll('-', '_'),
        layers,
        input_layers: [[input.name, 0, 0]],
        output_layers: [produced.get(output.name)],
      },
    },
  },
  weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: weights.map(({ name, shape }) => ({ name, shape, dtype: 'float32' })) }],
};

const total = weights.reduce((n, w) => n + w.data.length, 0);
const bin = new Float32Array(total);
let offset = 0;
for (const w of weights) {
  bin.set(w.data, offset);
  offset += w.data.length;
}
mkdirSync(args.out, { recursive: true });
writeFileSync(join(args.out, 'model.json'), JSON.stringify(modelJson));
writeFileSync(join(args.out, 'group1-shard1of1.bin'), new Uint8Array(bin.buffer));
console.log(`export_tfjs: wrote ${join(args.out, 'model.json')} (${layers.length} layers) and group1-shard1of1.bin (${weights.length} weights, ${bin.byteLength} bytes)`);
