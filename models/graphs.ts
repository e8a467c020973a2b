/**
 * Builds small ONNX models in JavaScript for the tests, with the same protobuf package the adapter
 * parses them with. Weights come from a seeded generator, so every run builds the same bytes.
 */
import { rng } from '../src/check/values';
import { AttributeType, DataType, encodeModel, type AttributeProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../src/onnxruntime-web/onnx';

/** A float attribute (plain numbers become integer attributes). */
export class Float {
  constructor(readonly value: number) {}
}
export const float = (value: number): Float => new Float(value);

type AttributeValue = number | number[] | string | Float;

/** A small seeded generator of floats in [0, 1): the test data's. */
export const random = rng;

/** Values in [-scale, scale). */
export function randomFloats(count: number, seed: number, scale = 1): Float32Array {
  const next = random(seed);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = (2 * next() - 1) * scale;
  return data;
}

function attribute(name: string, value: AttributeValue): AttributeProto {
  const T = AttributeType;
  if (value instanceof Float) return { name, type: T.FLOAT, f: value.value };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  return { name, type: T.INT, i: value };
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private seed: number;

  constructor(seed = 1) {
    this.seed = seed;
  }

  input(name: string, dims: (number | string)[], elemType: number = DataType.FLOAT): this {
    const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
    this.inputs.push({ name, type: { tensorType: { elemType, shape: { dim } } } });
    return this;
  }

  /** A graph output; its type is left for ORT to infer unless given. */
  output(name: string, elemType: number = DataType.FLOAT): this {
    this.outputs.push({ name, type: { tensorType: { elemType } } });
    return this;
  }

  floats(name: string, dims: number[], data: Float32Array): this {
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer.slice(0)) });
    return this;
  }

  /** A float initializer of random values in [-scale, scale). */
  weight(name: string, dims: number[], scale = 0.5): this {
    return this.floats(name, dims, randomFloats(dims.reduce((a, b) => a * b, 1), this.seed++, scale));
  }

  int64s(name: string, values: number[]): this {
    this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, int64Data: values });
    return this;
  }

  node(opType: string, input: string[], output: string[], attributes: Record<string, AttributeValue> = {}, name = ''): this {
    this.nodes.push({
      opType,
      input,
      output,
      name: name || `${opType}_${this.nodes.length}`,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return this;
  }

  /** Conv with random weights and bias: `channels` in, `out` out. */
  conv(x: string, y: string, channels: number, out: number, kernel: number[], attributes: Record<string, AttributeValue> = {}): this {
    const w = `${y}_w`;
    const b = `${y}_b`;
    this.weight(w, [out, channels, ...kernel], 1 / Math.sqrt(channels * kernel.reduce((a, k) => a * k, 1)));
    this.weight(b, [out], 0.1);
    return this.node('Conv', [x, w, b], [y], { kernel_shape: kernel, ...attributes });
  }

  /** BatchNormalization with random scale, bias, mean and a positive variance. */
  batchNorm(x: string, y: string, channels: number): this {
    this.floats(`${y}_scale`, [channels], randomFloats(channels, this.seed++, 0.5).map((v) => 1 + v));
    this.weight(`${y}_bias`, [channels], 0.2);
    this.weight(`${y}_mean`, [channels], 0.2);
    this.floats(`${y}_var`, [channels], randomFloats(channels, this.seed++, 0.4).map((v) => 1 + v));
    return this.node('BatchNormalization', [x, `${y}_scale`, `${y}_bias`, `${y}_mean`, `${y}_var`], [y], { epsilon: float(1e-5) });
  }

  /** PRelu with one slope per channel (broadcast over the spatial axes). */
  prelu(x: string, y: string, channels: number, spatialRank: number): this {
    this.floats(`${y}_slope`, [channels, ...new Array<number>(spatialRank).fill(1)], randomFloats(channels, this.seed++, 0.25).map((v) => 0.25 + v));
    return this.node('PRelu', [x, `${y}_slope`], [y]);
  }

  build(opset = 13): Uint8Array {
    return encodeModel({
      irVersion: 7,
      producerName: 'argpool tests',
      opsetImport: [{ domain: '', version: opset }],
      graph: { name: 'test', node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
  }
}

/**
 * A two-level SegNet-style encoder-decoder, batch 2 at an odd size: Conv, BatchNormalization, PRelu,
 * a ceil-mode 2x2 pooling, a dilated convolution, an overlapping 3x3/2 pooling with padding, an
 * asymmetric (1x3) convolution, MaxUnpool with output_shape from Shape (one larger than the default),
 * Concat of a skip, MaxUnpool to the default size (one larger than the input: ceil mode), Pad and
 * ConvTranspose. Outputs: the decoded map, the first pooling's indices and the second pooling's values.
 */
export function segnetModel(batch = 2, height = 17, width = 23): { bytes: Uint8Array; input: number[] } {
  const g = new GraphBuilder(11);
  g.input('image', [batch, 3, height, width]);
  g.conv('image', 'c1', 3, 8, [3, 3], { pads: [1, 1, 1, 1] });
  g.batchNorm('c1', 'bn1', 8);
  g.prelu('bn1', 'p1', 8, 2);
  g.node('MaxPool', ['p1'], ['v1', 'i1'], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, 'pool1');
  g.conv('v1', 'c2', 8, 12, [3, 3], { dilations: [2, 2], pads: [2, 2, 2, 2] });
  g.node('Relu', ['c2'], ['r2']);
  g.node('MaxPool', ['r2'], ['v2', 'i2'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'pool2');
  g.conv('v2', 'c3', 12, 12, [1, 3], { pads: [0, 1, 0, 1] });
  g.node('Shape', ['r2'], ['s2']);
  g.node('MaxUnpool', ['c3', 'i2', 's2'], ['u2'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'unpool2');
  g.node('Concat', ['u2', 'v1'], ['cat'], { axis: 1 });
  g.conv('cat', 'c4', 20, 8, [3, 3], { pads: [1, 1, 1, 1] });
  g.node('MaxUnpool', ['c4', 'i1'], ['u1'], { kernel_shape: [2, 2], strides: [2, 2] }, 'unpool1');
  g.int64s('pad_amounts', [0, 0, 1, 0, 0, 0, 0, 1]);
  g.node('Pad', ['u1', 'pad_amounts'], ['padded']);
  g.weight('up_w', [8, 2, 2, 2], 0.3);
  g.node('ConvTranspose', ['padded', 'up_w'], ['decoded'], { kernel_shape: [2, 2], strides: [2, 2] });
  g.output('decoded').output('i1', DataType.INT64).output('v2');
  return { bytes: g.build(), input: [batch, 3, height, width] };
}

/**
 * 1-D: Conv, a SAME_UPPER 3/2 pooling, a pointwise Conv, MaxUnpool back (its pads undo SAME_UPPER's),
 * Relu. Outputs the result and the indices.
 */
export function oneDimensionalModel(): { bytes: Uint8Array; input: number[] } {
  const g = new GraphBuilder(21);
  g.input('signal', [1, 4, 37]);
  g.conv('signal', 'c1', 4, 6, [3], { pads: [1, 1] });
  g.node('MaxPool', ['c1'], ['v', 'i'], { kernel_shape: [3], strides: [2], auto_pad: 'SAME_UPPER' }, 'pool');
  g.conv('v', 'c2', 6, 6, [1]);
  g.node('MaxUnpool', ['c2', 'i'], ['u'], { kernel_shape: [3], strides: [2], pads: [1, 1] }, 'unpool');
  g.node('Relu', ['u'], ['out']);
  g.output('out').output('i', DataType.INT64);
  return { bytes: g.build(), input: [1, 4, 37] };
}

/**
 * 3-D, pooling straight from the graph input: SAME_LOWER 2x2x2/2 with column-major indices
 * (storage_order 1), MaxUnpool to a constant output_shape, then a 3-D Conv (or, with `conv3d` false,
 * a Sigmoid, for ORT versions whose WebGPU provider has no 3-D Conv).
 */
export function threeDimensionalModel(storageOrder = 1, conv3d = true): { bytes: Uint8Array; input: number[] } {
  const g = new GraphBuilder(31);
  g.input('volume', [1, 2, 6, 7, 8]);
  g.node('MaxPool', ['volume'], ['v', 'i'], { kernel_shape: [2, 2, 2], strides: [2, 2, 2], auto_pad: 'SAME_LOWER', storage_order: storageOrder }, 'pool3d');
  g.int64s('full_shape', [1, 2, 6, 7, 8]);
  g.node('MaxUnpool', ['v', 'i', 'full_shape'], ['u'], { kernel_shape: [2, 2, 2], strides: [2, 2, 2], pads: [0, 1, 0, 0, 0, 0] }, 'unpool3d');
  if (conv3d) g.conv('u', 'out', 2, 2, [3, 3, 3], { pads: [1, 1, 1, 1, 1, 1] });
  else g.node('Sigmoid', ['u'], ['out']);
  g.output('out').output('i', DataType.INT64).output('v');
  return { bytes: g.build(), input: [1, 2, 6, 7, 8] };
}

/**
 * MaxUnpool with indices from outside argpool: fed by the caller (`indices`, int64 on the CPU), and a
 * pooling's indices passed through an ORT node (Identity) before unpooling, so they arrive as an
 * int64 GPU buffer. The unpooling output is larger than the pooling input, so indices land in other
 * planes: ONNX's flat scatter.
 */
export function foreignIndicesModel(): { bytes: Uint8Array; input: number[]; indicesShape: number[] } {
  const g = new GraphBuilder(41);
  g.input('x', [2, 3, 6, 5]);
  g.input('values', [1, 2, 2, 3]);
  g.input('indices', [1, 2, 2, 3], DataType.INT64);
  g.node('MaxPool', ['x'], ['v', 'i'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool');
  g.node('Identity', ['i'], ['i_passed']);
  g.node('Neg', ['v'], ['nv']);
  g.node('MaxUnpool', ['nv', 'i_passed'], ['u'], { kernel_shape: [2, 3], strides: [2, 3] }, 'unpool_passed');
  g.node('MaxUnpool', ['values', 'indices'], ['w'], { kernel_shape: [2, 2], strides: [2, 2] }, 'unpool_fed');
  g.output('u').output('w');
  return { bytes: g.build(), input: [2, 3, 6, 5], indicesShape: [1, 2, 2, 3] };
}

/** Conv and a MaxPool without Indices: nothing for argpool, so ORT runs it unchanged. */
export function plainModel(): Uint8Array {
  const g = new GraphBuilder(51);
  g.input('x', [1, 2, 8, 8]);
  g.conv('x', 'c', 2, 4, [3, 3], { pads: [1, 1, 1, 1] });
  g.node('MaxPool', ['c'], ['y'], { kernel_shape: [2, 2], strides: [2, 2] });
  g.output('y');
  return g.build();
}

/** A 3x3 pooling with pads 2: ONNX Runtime allows pads below the kernel, argpool at most half of it (the adapter runs it on ORT's CPU). */
export function widePaddingModel(): Uint8Array {
  const g = new GraphBuilder(61);
  g.input('x', [1, 1, 6, 6]);
  g.node('MaxPool', ['x'], ['v', 'i'], { kernel_shape: [3, 3], strides: [1, 1], pads: [2, 2, 2, 2] }, 'wide');
  g.output('v').output('i', DataType.INT64);
  return g.build();
}

/**
 * The benchmark's SegNet: `levels` encoder levels of `convs` 3x3 Conv + BatchNormalization + Relu and
 * a 2x2/2 MaxPool with Indices (channels 8, 16, 32, ...), a mirrored decoder of MaxUnpool (output_shape
 * from Shape, as PyTorch exports) and `convs` Conv blocks per level, and a 1x1 Conv to `classes` maps.
 */
export function segnetBenchModel(levels = 2, height = 64, width = 96, convs = 1, classes = 4): { bytes: Uint8Array; input: number[]; poolNodes: string[] } {
  const g = new GraphBuilder(71);
  g.input('image', [1, 3, height, width]);
  let x = 'image';
  let channels = 3;
  const saved: { indices: string; shape: string; channels: number }[] = [];
  const block = (name: string, from: number, to: number) => {
    g.conv(x, `${name}_conv`, from, to, [3, 3], { pads: [1, 1, 1, 1] });
    g.batchNorm(`${name}_conv`, `${name}_bn`, to);
    g.node('Relu', [`${name}_bn`], [`${name}_relu`]);
    x = `${name}_relu`;
  };
  for (let level = 0; level < levels; level++) {
    const out = 8 << level;
    for (let k = 0; k < convs; k++) block(`enc${level}_${k}`, k === 0 ? channels : out, out);
    g.node('Shape', [x], [`enc${level}_shape`]);
    g.node('MaxPool', [x], [`enc${level}_pooled`, `enc${level}_indices`], { kernel_shape: [2, 2], strides: [2, 2] }, `pool${level}`);
    saved.push({ indices: `enc${level}_indices`, shape: `enc${level}_shape`, channels: out });
    x = `enc${level}_pooled`;
    channels = out;
  }
  for (let level = levels - 1; level >= 0; level--) {
    const { indices, shape, channels: c } = saved[level];
    g.node('MaxUnpool', [x, indices, shape], [`dec${level}_unpooled`], { kernel_shape: [2, 2], strides: [2, 2] }, `unpool${level}`);
    x = `dec${level}_unpooled`;
    const out = level > 0 ? c >> 1 : c;
    for (let k = 0; k < convs; k++) block(`dec${level}_${k}`, c, k === convs - 1 ? out : c);
  }
  g.conv(x, 'logits', 8, classes, [1, 1]);
  g.output('logits');
  return { bytes: g.build(), input: [1, 3, height, width], poolNodes: saved.map((_, level) => `pool${level}`) };
}

/**
 * One 3x3 weight read by two Convs on either side of a MaxPool with Indices (two ORT parts), and a
 * bias read by the second Conv only: the weight lives once on the GPU, fed to both parts.
 */
export function sharedWeightModel(): { bytes: Uint8Array; input: number[] } {
  const g = new GraphBuilder(81);
  g.input('x', [1, 4, 10, 12]);
  g.weight('w', [4, 4, 3, 3], 0.3);
  g.weight('b', [4], 0.1);
  g.node('Conv', ['x', 'w'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  g.node('MaxPool', ['c1'], ['v', 'i'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool');
  g.node('Conv', ['v', 'w', 'b'], ['c2'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  g.output('c2').output('i', DataType.INT64);
  return { bytes: g.build(), input: [1, 4, 10, 12] };
}
