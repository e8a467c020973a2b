/**
 * What argpool/tfjs-layers and TF.js will do with a TF.js layers model (a converter-format
 * `model.json` and its weight files), as a report (src/model/report.ts), without loading tfjs: the
 * Keras SegNet layers with their arguments (read by the same functions as the layers themselves,
 * arguments.ts) and where everything runs (argpool's kernels for those two, tfjs's own for every other
 * layer), the inputs' shapes, the shapes at each pooling layer where they follow from the inputs, and
 * every refusal with what to change. The weights are not read: only the files' sizes, against the
 * byte lengths the manifest declares.
 *
 * This module imports no tfjs, so that `npx argpool inspect` runs without it.
 */
import type { NanRule } from '../index.js';
import { resolvePoolGeometry, resolveUnpoolGeometry } from '../low-level.js';
import { checkTensorBytes, elementCount, showBytes, showCount } from '../model/limits.js';
import { emptyReport, finishReport, refuseOversize, type ReportOptions } from '../model/reports.js';
import type { Dimension, ModelReport, PoolingInfo, StepInfo, TensorInfo } from '../model/report.js';
import { nanRuleOf, pair, paddingOf, pooledShape, POOLING_CLASS, UNPOOLING_CLASS, unpooledShape, type Pair } from './arguments.js';

export interface InspectLayersOptions extends ReportOptions {
  /**
   * Values of the inputs' unknown dimensions: `batch` for the first axis, `height` and `width` for the
   * middle axes of a 4-D input, `<input>_<axis>` for others.
   */
  dims?: Record<string, number>;
}

/**
 * The layer classes tfjs-layers 4.x registers (`tf.serialization.registerClass`), which a model.json
 * may name; a test keeps this list equal to tfjs-layers' own.
 */
export const LAYER_CLASSES: ReadonlySet<string> = new Set(
  (
    'Activation Add AlphaDropout Average AveragePooling1D AveragePooling2D AveragePooling3D BatchNormalization Bidirectional ' +
    'CategoryEncoding CenterCrop Concatenate Conv1D Conv2D Conv2DTranspose Conv3D Conv3DTranspose ConvLSTM2D ConvLSTM2DCell Cropping2D ' +
    'Dense DepthwiseConv2D Dot Dropout ELU Embedding Flatten Functional GRU GRUCell GaussianDropout GaussianNoise ' +
    'GlobalAveragePooling1D GlobalAveragePooling2D GlobalMaxPooling1D GlobalMaxPooling2D InputLayer LSTM LSTMCell LayerNormalization ' +
    'LeakyReLU Masking MaxPooling1D MaxPooling2D MaxPooling3D Maximum Minimum Model Multiply PReLU Permute RNN RandomWidth ' +
    'ReLU RepeatVector Rescaling Reshape Resizing SeparableConv2D Sequential SimpleRNN SimpleRNNCell Softmax SpatialDropout1D StackedRNNCells ' +
    'ThresholdedReLU TimeDistributed UpSampling2D ZeroPadding2D'
  ).split(' '),
);

/** Layers whose output has their (first) input's shape. */
const SAME_SHAPE = new Set(
  'Activation ReLU LeakyReLU PReLU ELU ThresholdedReLU Softmax BatchNormalization LayerNormalization Dropout SpatialDropout1D AlphaDropout GaussianDropout GaussianNoise Rescaling Masking Add Multiply Average Maximum Minimum'.split(' '),
);

/** Bytes per element of a weight (its quantised dtype when it has one). */
const WEIGHT_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, float16: 2, uint8: 1, uint16: 2, int8: 1 };

/** The most elements per image whose flat index a float32 argmax holds exactly. */
const FLOAT32_EXACT = 2 ** 24;

interface LayerJson {
  class_name?: unknown;
  name?: unknown;
  config?: Record<string, unknown>;
  inbound_nodes?: unknown;
}

interface WeightEntry {
  name?: unknown;
  shape?: unknown;
  dtype?: unknown;
  quantization?: { dtype?: unknown };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function layerLabel(name: string, className: string): string {
  return `layer ${JSON.stringify(name)} (${className})`;
}

/** A Keras-style snake_case config key read as the layers read it (tfjs converts keys to camelCase). */
function configValue(config: Record<string, unknown>, snake: string): unknown {
  const camel = snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return config[snake] !== undefined ? config[snake] : config[camel];
}

/** The (layer, tensor index) pairs a layer's first call reads, from Keras 2 `inbound_nodes`. */
function inboundOf(layer: LayerJson): { layer: string; tensor: number }[] {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length === 0 || !Array.isArray(nodes[0])) return [];
  return (nodes[0] as unknown[])
    .filter((entry): entry is unknown[] => Array.isArray(entry))
    .map((entry) => ({ layer: str(entry[0]), tensor: typeof entry[2] === 'number' ? entry[2] : 0 }));
}

/** The name of an unknown input dimension, so that `dims` can set it. */
function dimensionName(input: string, axis: number, rank: number): string {
  if (axis === 0) return 'batch';
  if (rank === 4 && axis === 1) return 'height';
  if (rank === 4 && axis === 2) return 'width';
  return `${input}_${axis}`;
}

/** A channels-last convolution's output size along one axis. */
function convolved(size: number | null, kernel: number, stride: number, dilation: number, padding: string): number | null {
  if (size === null) return null;
  const extent = (kernel - 1) * dilation + 1;
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - extent) / stride) + 1;
}

function twoInts(value: unknown, fallback: number): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) return [value[0], value[1]];
  return [fallback, fallback];
}

/**
 * The output shape of a standard layer on channels-last 4-D inputs, where it follows simply from its
 * config; null when this inspection does not know (then the shapes after it are shown as unknown).
 */
function standardShape(className: string, config: Record<string, unknown>, inputs: ((number | null)[] | null)[]): (number | null)[] | null {
  const x = inputs[0];
  if (!x) return null;
  if (SAME_SHAPE.has(className)) return x.slice();
  if (x.length !== 4 || str(configValue(config, 'data_format')) === 'channels_first') return null;
  const [n, h, w, c] = x;
  const padding = str(configValue(config, 'padding')).toLowerCase() || 'valid';
  if (className === 'Conv2D' || className === 'SeparableConv2D' || className === 'DepthwiseConv2D') {
    const k = twoInts(configValue(config, 'kernel_size'), 1);
    const s = twoInts(configValue(config, 'strides'), 1);
    const d = twoInts(configValue(config, 'dilation_rate'), 1);
    const filters = className === 'DepthwiseConv2D' ? (c === null ? null : c * (Number(configValue(config, 'depth_multiplier')) || 1)) : Number(configValue(config, 'filters')) || null;
    return [n, convolved(h, k[0], s[0], d[0], padding), convolved(w, k[1], s[1], d[1], padding), filters];
  }
  if (className === 'MaxPooling2D' || className === 'AveragePooling2D') {
    const k = twoInts(configValue(config, 'pool_size'), 2);
    const s = twoInts(configValue(config, 'strides') ?? k, k[0]);
    return [n, convolved(h, k[0], s[0], 1, padding), convolved(w, k[1], s[1], 1, padding), c];
  }
  if (className === 'UpSampling2D') {
    const size = twoInts(configValue(config, 'size'), 2);
    return [n, h === null ? null : h * size[0], w === null ? null : w * size[1], c];
  }
  if (className === 'Concatenate') {
    const axis = Number(configValue(config, 'axis') ?? -1);
    if (axis !== -1 && axis !== 3) return null;
    if (inputs.some((s) => !s || s.length !== 4)) return null;
    const channels = inputs.reduce<number | null>((sum, s) => (sum === null || s![3] === null ? null : sum + (s![3] as number)), 0);
    return [n, h, w, channels];
  }
  return null;
}

const CONVERT = 'give the model.json that tensorflowjs_converter writes for a Keras model (--input_format keras, format "layers-model")';

/** Refusals of a weights manifest whose declared byte lengths are not those of the files. */
function checkWeights(manifest: unknown, weightFiles: Record<string, number>, report: ModelReport): void {
  if (manifest === undefined) {
    report.notes.push('model.json has no weightsManifest: the model has no weights, or they are loaded some other way');
    return;
  }
  if (!Array.isArray(manifest)) {
    report.refusals.push({ where: 'weightsManifest', message: 'weightsManifest must be a list of groups ({ paths, weights })', change: CONVERT });
    return;
  }
  manifest.forEach((group: unknown, g) => {
    const where = `weights group ${g + 1}`;
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      report.refusals.push({ where, message: `${where}: must have paths and weights lists`, change: CONVERT });
      return;
    }
    let declared = 0n;
    for (const weight of group.weights as WeightEntry[]) {
      const name = str(weight?.name);
      const shape = weight?.shape;
      const dtype = str(weight?.quantization?.dtype) || str(weight?.dtype) || 'float32';
      if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
        report.refusals.push({ where: `weight ${JSON.stringify(name)}`, attribute: 'shape', value: JSON.stringify(shape), message: `weight ${JSON.stringify(name)}: shape ${JSON.stringify(shape)} must be a list of non-negative integers`, change: CONVERT });
        return;
      }
      const size = WEIGHT_BYTES[dtype];
      if (size === undefined) {
        report.refusals.push({ where: `weight ${JSON.stringify(name)}`, attribute: 'dtype', value: dtype, message: `weight ${JSON.stringify(name)}: dtype ${JSON.stringify(dtype)} is not one tfjs loads`, change: CONVERT });
        return;
      }
      declared += elementCount(shape as number[]) * BigInt(size);
    }
    const paths = (group.paths as unknown[]).map(str);
    const missing = paths.filter((path) => weightFiles[path] === undefined);
    if (missing.length > 0) {
      report.refusals.push({
        where,
        attribute: 'paths',
        value: missing.join(', '),
        message: `${where}: weight file${missing.length > 1 ? 's' : ''} ${missing.map((p) => JSON.stringify(p)).join(', ')} not given`,
        change: `give ${missing.join(', ')} together with model.json (the files it names, from the same folder)`,
      });
      return;
    }
    const actual = paths.reduce((sum, path) => sum + BigInt(weightFiles[path]), 0n);
    if (declared !== actual) {
      report.refusals.push({
        where,
        attribute: 'weights',
        value: `${showCount(declared)} bytes declared`,
        message: `${where} (${paths.join(', ')}): its ${group.weights.length} weights declare ${showCount(declared)} bytes (${showBytes(declared)}), but the file${paths.length > 1 ? 's hold' : ' holds'} ${showCount(actual)} bytes`,
        change: 'use the weight files written together with this model.json (the manifest and the files disagree: one was edited, truncated or comes from another model)',
      });
    }
  });
}

/**
 * Inspects a TF.js layers model: `modelJson` is model.json (its bytes, its text or the parsed
 * object), `weightFiles` the byte sizes of the weight files by the paths the manifest names. Never
 * throws for a bad model: every problem is a refusal in the report.
 */
export function inspectLayersModel(modelJson: Uint8Array | string | object, weightFiles: Record<string, number> = {}, options: InspectLayersOptions = {}): ModelReport {
  const jsonBytes = modelJson instanceof Uint8Array ? modelJson.byteLength : typeof modelJson === 'string' ? modelJson.length : 0;
  const weightBytes = Object.values(weightFiles).reduce((a, b) => a + b, 0);
  const report = emptyReport('tfjs-layers', jsonBytes + weightBytes, options);
  const finish = () => finishReport(report);
  const dims = report.dims;
  if (refuseOversize(report)) return finish();
  let json: unknown = modelJson;
  if (typeof modelJson === 'string' || modelJson instanceof Uint8Array) {
    try {
      json = JSON.parse(typeof modelJson === 'string' ? modelJson : new TextDecoder().decode(modelJson));
    } catch (error) {
      report.refusals.push({ where: 'model.json', message: `model.json is not JSON (${(error as Error).message})`, change: CONVERT });
      return finish();
    }
  }
  if (!isObject(json) || !isObject(json.modelTopology)) {
    report.refusals.push({ where: 'model.json', message: 'model.json is not a TF.js layers model: it has no modelTopology', change: CONVERT });
    return finish();
  }
  if (json.format === 'graph-model') {
    report.refusals.push({
      where: 'model.json',
      attribute: 'format',
      value: 'graph-model',
      message: 'model.json is a TF.js graph model (a TensorFlow SavedModel converted), not a layers model: tfjs-layers cannot load it, and argpool/tfjs-layers only adds layers',
      change: 'convert the Keras model (.h5 or .keras) with tensorflowjs_converter --input_format keras, which writes a layers model',
    });
    return finish();
  }
  const topology = json.modelTopology;
  const modelConfig = isObject(topology.model_config) ? topology.model_config : topology;
  const modelClass = str(modelConfig.class_name);
  const config = modelConfig.config;
  const layers: LayerJson[] | null =
    modelClass === 'Sequential' ? (Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : null) : isObject(config) && Array.isArray(config.layers) ? config.layers : null;
  if (!['Functional', 'Model', 'Sequential'].includes(modelClass) || !layers) {
    report.refusals.push({
      where: 'model.json',
      attribute: 'class_name',
      value: modelClass,
      message: `model.json's modelTopology is not a Keras model tfjs-layers reads (class_name ${JSON.stringify(modelClass)}, ${layers ? 'with' : 'without'} a layers list)`,
      change: CONVERT,
    });
    return finish();
  }
  const name = isObject(config) ? str(config.name) : '';
  report.model = {
    name,
    producer: [str(json.generatedBy), str(json.convertedBy)].filter(Boolean).join('; '),
    details: [topology.keras_version ? `Keras ${str(topology.keras_version)}` : '', topology.backend ? `backend ${str(topology.backend)}` : '', `format ${str(json.format) || 'unstated'}`].filter(Boolean).join(', '),
    bytes: report.model.bytes,
    nodes: layers.length,
  };
  checkWeights(json.weightsManifest, weightFiles, report);

  // Layers in order, their output shapes where they follow from the inputs.
  const shapes = new Map<string, ((number | null)[] | null)[]>();
  const dimensionOf = (input: string, axis: number, rank: number, size: unknown): Dimension => {
    if (typeof size === 'number') return size;
    const symbol = dimensionName(input, axis, rank);
    if (!report.symbolicDims.includes(symbol)) report.symbolicDims.push(symbol);
    return symbol;
  };
  const steps: StepInfo[] = [];
  let run: { names: string[]; ops: string[]; inputs: string[] } | null = null;
  const closeRun = () => {
    if (run && run.names.length > 0) {
      const ops = new Map<string, number>();
      for (const op of run.ops) ops.set(op, (ops.get(op) ?? 0) + 1);
      steps.push({
        placement: 'tfjs',
        label: run.names.length === 1 ? run.names[0] : `${run.names[0]} … ${run.names[run.names.length - 1]}`,
        nodes: run.names.length,
        ops: [...ops].map(([op, n]) => (n > 1 ? `${op} ×${n}` : op)).join(', '),
        inputs: run.inputs,
        outputs: [run.names[run.names.length - 1]],
      });
    }
    run = null;
  };
  let previous = '';
  layers.forEach((layer, position) => {
    const className = str(layer?.class_name);
    const layerConfig = isObject(layer?.config) ? layer.config : {};
    const layerName = str(layer?.name) || str(layerConfig.name) || `#${position}`;
    const where = layerLabel(layerName, className || 'no class');
    // A Sequential model's first layer may declare the input itself (Keras names it `<layer>_input`).
    const declaresInput = className === 'InputLayer' || (modelClass === 'Sequential' && position === 0 && configValue(layerConfig, 'batch_input_shape') !== undefined);
    if (declaresInput && className !== 'InputLayer') previous = `${layerName}_input`;
    const inbound = modelClass === 'Sequential' ? (previous ? [{ layer: previous, tensor: 0 }] : []) : inboundOf(layer);
    previous = layerName;
    if (declaresInput) {
      const declared = configValue(layerConfig, 'batch_input_shape') ?? configValue(layerConfig, 'batch_shape');
      const inputName = className === 'InputLayer' ? layerName : `${layerName}_input`;
      const dtype = str(layerConfig.dtype) || 'float32';
      if (!Array.isArray(declared)) {
        report.inputs.push({ name: inputName, dtype, shape: null });
        shapes.set(inputName, [null]);
      } else {
        const shape = declared.map((size, axis) => dimensionOf(inputName, axis, declared.length, size));
        const resolved = shape.map((d) => (typeof d === 'number' ? d : typeof d === 'string' ? (dims[d] ?? null) : null));
        const complete = resolved.every((d) => d !== null) ? (resolved as number[]) : undefined;
        report.inputs.push({ name: inputName, dtype, shape, ...(complete ? { resolvedShape: complete } : {}) });
        shapes.set(inputName, [resolved]);
        if (complete) {
          const refusal = checkTensorBytes(report.limits, `input ${JSON.stringify(inputName)}`, 'its shape', complete, 4, { attribute: 'batch_input_shape', change: 'a smaller input' });
          if (refusal) report.refusals.push(refusal);
        }
      }
      if (className === 'InputLayer') return;
    }
    const inputShapes = inbound.map((i) => shapes.get(i.layer)?.[i.tensor] ?? null);
    if (className === POOLING_CLASS || className === UNPOOLING_CLASS) {
      closeRun();
      inspectArgpoolLayer(className, layerName, layerConfig, inbound, inputShapes, shapes, steps, report);
      return;
    }
    if (!LAYER_CLASSES.has(className)) {
      report.refusals.push({
        where,
        attribute: 'class_name',
        value: className,
        message: `${where}: tfjs-layers has no layer class ${JSON.stringify(className)}, and argpool/tfjs-layers registers only ${POOLING_CLASS} and ${UNPOOLING_CLASS}`,
        change: `register a class named ${className} with tf.serialization.registerClass before loading, or replace the layer with standard Keras layers`,
      });
      shapes.set(layerName, [null]);
      return;
    }
    if (['Functional', 'Model', 'Sequential'].includes(className)) report.notes.push(`${where}: a nested model; tfjs runs it, and this inspection does not look inside it`);
    run ??= { names: [], ops: [], inputs: inbound.map((i) => i.layer) };
    run.names.push(layerName);
    run.ops.push(className);
    shapes.set(layerName, [standardShape(className, layerConfig, inputShapes)]);
  });
  closeRun();
  report.steps = steps;

  const outputLayers = modelClass === 'Sequential' ? [[previous, 0, 0]] : isObject(config) && Array.isArray(config.output_layers) ? (config.output_layers as unknown[][]) : [];
  report.outputs = outputLayers.map((entry): TensorInfo => {
    const layer = str(entry[0]);
    const shape = shapes.get(layer)?.[typeof entry[2] === 'number' ? entry[2] : 0] ?? null;
    const complete = shape && shape.every((d) => d !== null) ? (shape as number[]) : undefined;
    return { name: layer, dtype: 'float32', shape: shape ? shape.map((d) => d) : null, ...(complete ? { resolvedShape: complete } : {}) };
  });

  for (const dim of Object.keys(dims)) {
    if (!report.symbolicDims.includes(dim)) report.notes.push(`dimension ${JSON.stringify(dim)} was given a value, but no input has it (unknown dimensions: ${report.symbolicDims.join(', ') || 'none'})`);
  }
  const unset = report.symbolicDims.filter((d) => dims[d] === undefined);
  if (unset.length > 0) report.notes.push(`unknown dimensions ${unset.join(', ')}: the shapes that depend on them are checked when a run sets them (npx argpool run sets batch to 1)`);
  const onArgpool = report.pooling.length;
  const tfjsLayers = steps.filter((s) => s.placement === 'tfjs').reduce((n, s) => n + s.nodes, 0);
  report.notes.push(
    `${tfjsLayers} layers run on tfjs's own kernels and ${onArgpool} on argpool's: on tfjs's webgpu backend argpool's kernels run on tfjs's device and buffers; on its cpu backend, argpool's CPU reference`,
  );
  return finish();
}

/** The two argpool layers: arguments read as the layers read them, placement, shapes and checks. */
function inspectArgpoolLayer(
  className: string,
  layerName: string,
  config: Record<string, unknown>,
  inbound: { layer: string; tensor: number }[],
  inputShapes: ((number | null)[] | null)[],
  shapes: Map<string, ((number | null)[] | null)[]>,
  steps: StepInfo[],
  report: ModelReport,
): void {
  const label = layerLabel(layerName, className);
  const pooling = className === POOLING_CLASS;
  const refuse = (error: unknown, attribute: string, value: unknown, change: string) => {
    const message = (error as Error).message;
    report.refusals.push({ where: label, attribute, value: JSON.stringify(value), message: `${label}: ${message}`, change });
  };
  const info: PoolingInfo = {
    name: layerName,
    label,
    op: className,
    attributes: {},
    indexFormat: pooling ? 'TF float32, (y*W+x)*C+c per image' : 'reads TF argmax, (y*W+x)*C+c per image',
    placement: 'argpool',
    reason: pooling
      ? `argpool/tfjs-layers registers ${POOLING_CLASS}: argpool's one-pass pooling with indices on tfjs's backend (tf.maxPoolWithArgmax has no gradient in tfjs)`
      : `argpool/tfjs-layers registers ${UNPOOLING_CLASS}: argpool's unpooling on tfjs's backend (the Keras layer's scatter_nd has no gradient in tfjs)`,
    inputShape: inputShapes[0] ?? null,
    outputShape: null,
  };
  report.pooling.push(info);
  steps.push({ placement: 'argpool', label, nodes: 1, ops: className, inputs: inbound.map((i) => `${i.layer}${i.tensor ? `:${i.tensor}` : ''}`), outputs: pooling ? [layerName, `${layerName}:1`] : [layerName] });
  const keys = pooling ? ['pool_size', 'strides', 'padding', 'nan'] : ['size'];
  const values = Object.fromEntries(keys.map((key) => [key, configValue(config, key)]));
  let poolSize: [number, number] = [2, 2];
  let strides: [number, number] = [2, 2];
  let padding: 'same' | 'valid' = 'same';
  let nan = 'first';
  let size: [number, number] = [2, 2];
  const argument = (key: string, read: () => void, change: string): boolean => {
    try {
      read();
      return true;
    } catch (error) {
      refuse(error, key, values[key], change);
      return false;
    }
  };
  const ok = pooling
    ? argument('pool_size', () => (poolSize = pair(className, 'poolSize', values.pool_size as Pair)), 'give pool_size one positive integer or two') &&
      argument('strides', () => (strides = pair(className, 'strides', values.strides as Pair)), 'give strides one positive integer or two') &&
      argument('padding', () => (padding = paddingOf(className, values.padding)), "set padding to 'same' or 'valid'") &&
      argument('nan', () => (nan = nanRuleOf(className, values.nan)), "set nan to 'first', 'propagate' or 'ignore', or leave it out")
    : argument('size', () => (size = pair(className, 'size', values.size as Pair)), 'give size one positive integer or two');
  info.attributes = pooling ? { pool_size: poolSize, strides, padding, nan } : { size };
  if (!ok) {
    shapes.set(layerName, [null, null]);
    return;
  }
  const taps = pooling ? poolSize[0] * poolSize[1] : size[0] * size[1];
  if (taps > report.limits.maxWindowTaps) {
    const key = pooling ? 'pool_size' : 'size';
    report.refusals.push({
      where: label,
      attribute: key,
      value: JSON.stringify(pooling ? poolSize : size),
      message: `${label}: ${key} ${JSON.stringify(pooling ? poolSize : size)} has ${showCount(taps)} taps per window, over the ${showCount(report.limits.maxWindowTaps)} an inspection allows`,
      change: `use a window of at most ${showCount(report.limits.maxWindowTaps)} taps`,
    });
    shapes.set(layerName, [null, null]);
    return;
  }
  const x = inputShapes[0];
  let out: (number | null)[] | null = null;
  try {
    if (x) out = pooling ? pooledShape(x, poolSize, strides, padding) : unpooledShape(x, size);
  } catch (error) {
    refuse(error, 'input', x, 'feed the layer a 4-D channels-last tensor [batch, height, width, channels]');
  }
  info.outputShape = out;
  shapes.set(layerName, pooling ? [out, out] : [out]);
  if (!x || !out || x.some((d) => d === null)) return;
  const known = x as number[];
  try {
    if (pooling) {
      resolvePoolGeometry('maxPool', known, { kernelSize: poolSize, stride: strides, padding, layout: 'NHWC', indexFormat: 'flat-no-batch', nan: nan as NanRule });
      const perImage = known[1] * known[2] * known[3];
      if (perImage > FLOAT32_EXACT) {
        report.refusals.push({
          where: label,
          attribute: 'input',
          value: JSON.stringify(known),
          message: `${label}: the input has ${showCount(perImage)} elements per image, but its argmax is float32 (the Keras layer's cast), exact only up to ${showCount(FLOAT32_EXACT)}`,
          change: 'a smaller input or fewer channels at this layer',
        });
      }
    } else {
      resolveUnpoolGeometry('maxUnpool', known, known, { kernelSize: size, stride: size, outputSize: [known[1] * size[0], known[2] * size[1]], layout: 'NHWC', indexFormat: 'flat-no-batch' });
    }
  } catch (error) {
    refuse(error, 'input', known, 'change the layer or its input so that the pooling has a valid output');
    return;
  }
  if (out.every((d) => d !== null)) {
    const refusal = checkTensorBytes(report.limits, label, 'its output', out as number[], 4, { attribute: pooling ? 'pool_size' : 'size', change: 'a smaller input' });
    if (refusal) report.refusals.push(refusal);
  }
}
