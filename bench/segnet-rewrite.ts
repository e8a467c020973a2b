/**
 * What users would do instead of the adapter, for the benchmark: the trained SegNet rewritten for ORT
 * alone (every pooling is 2x2/2 on sizes that 2 divides).
 *
 * - `rewriteExact`: MaxPool with Indices becomes SpaceToDepth(2) → Reshape [N, 4, C, h, w] →
 *   ReduceMax and ArgMax over the 4 taps (first maximum, as MaxPool picks it); MaxUnpool becomes
 *   Where(tap == k, U, 0) → Reshape [N, 4C, h, w] → DepthToSpace(2, DCR). The same values and
 *   positions as MaxPool and MaxUnpool, with ORT's own operators only.
 * - `rewriteShortcut`: the common inexact form, MaxUnpool(U, indices of MaxPool(X)) as
 *   upsample(U)·[X == upsample(MaxPool(X))]; where a window holds tied maxima (after ReLU, zeros)
 *   it writes U at every tied position. A trap, measured as such.
 */
import { AttributeType, decodeModel, encodeModel, type ModelProto, type NodeProto, type TensorProto } from '../src/onnxruntime-web/onnx';

const T = AttributeType;
const ints = (name: string, values: number[]) => ({ name, type: T.INTS, ints: values });
const int = (name: string, value: number) => ({ name, type: T.INT, i: value });
const str = (name: string, value: string) => ({ name, type: T.STRING, s: new TextEncoder().encode(value) });

function int64s(name: string, values: number[], dims = [values.length]): TensorProto {
  return { name, dims, dataType: 7, rawData: new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer) };
}
function floats(name: string, values: number[], dims = [values.length]): TensorProto {
  return { name, dims, dataType: 1, rawData: new Uint8Array(new Float32Array(values).buffer) };
}

interface Pooling {
  node: NodeProto;
  input: string;
  values: string;
  indices: string;
  channels: number;
  height: number;
  width: number;
}

/** Every MaxPool with Indices, with the channel count (from the Conv that feeds it) and its input size. */
function poolings(model: ModelProto, inputSize: number): Pooling[] {
  const graph = model.graph!;
  const producer = new Map<string, NodeProto>();
  for (const node of graph.node ?? []) for (const out of node.output ?? []) producer.set(out, node);
  const initializer = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const found: Pooling[] = [];
  let size = inputSize;
  for (const node of graph.node ?? []) {
    if (node.opType !== 'MaxPool' || (node.output ?? []).length < 2) continue;
    let at = producer.get(node.input![0]);
    while (at && at.opType !== 'Conv') at = producer.get(at.input![0]);
    if (!at) throw new Error(`segnet-rewrite: no Conv feeds ${node.name}`);
    const channels = Number(initializer.get(at.input![1])!.dims![0]);
    found.push({ node, input: node.input![0], values: node.output![0], indices: node.output![1], channels, height: size / 2, width: size / 2 });
    size /= 2;
  }
  return found;
}

function rewrite(bytes: Uint8Array, inputSize: number, replace: (p: Pooling, unpool: NodeProto[], add: (n: NodeProto, ...t: TensorProto[]) => void) => void): Uint8Array {
  const model = decodeModel(bytes);
  const graph = model.graph!;
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [...(graph.initializer ?? [])];
  const add = (node: NodeProto, ...tensors: TensorProto[]) => {
    nodes.push(node);
    initializers.push(...tensors);
  };
  const pools = poolings(model, inputSize);
  const replaced = new Set<NodeProto>();
  for (const node of graph.node ?? []) {
    const pool = pools.find((p) => p.node === node);
    if (pool) {
      const unpools = (graph.node ?? []).filter((n) => n.opType === 'MaxUnpool' && n.input![1] === pool.indices);
      unpools.forEach((n) => replaced.add(n));
      replace(pool, unpools, add);
      continue;
    }
    if (replaced.has(node)) continue;
    nodes.push(node);
  }
  // The replacement of an unpooling must come where the unpooling was: order nodes topologically.
  const ready = new Set<string>([...(graph.input ?? []).map((v) => v.name ?? ''), ...initializers.map((t) => t.name ?? '')]);
  const ordered: NodeProto[] = [];
  let pending = nodes;
  while (pending.length > 0) {
    const next = pending.filter((n) => (n.input ?? []).every((name) => name === '' || ready.has(name)));
    if (next.length === 0) throw new Error('segnet-rewrite: the rewritten graph has a cycle');
    for (const n of next) for (const out of n.output ?? []) ready.add(out);
    ordered.push(...next);
    pending = pending.filter((n) => !next.includes(n));
  }
  return encodeModel({ ...model, graph: { ...graph, node: ordered, initializer: initializers, valueInfo: [] } });
}

/** The exact rewrite (SpaceToDepth, ArgMax, Where, DepthToSpace); `inputSize`: the square input's side. */
export function rewriteExact(bytes: Uint8Array, inputSize: number): Uint8Array {
  return rewrite(bytes, inputSize, (p, unpools, add) => {
    const { channels: c, height: h, width: w } = p;
    const tag = p.node.name || p.values;
    add({ opType: 'SpaceToDepth', input: [p.input], output: [`${tag}/s2d`], attribute: [int('blocksize', 2)] });
    add({ opType: 'Reshape', input: [`${tag}/s2d`, `${tag}/taps_shape`], output: [`${tag}/taps`] }, int64s(`${tag}/taps_shape`, [1, 4, c, h, w]));
    add({ opType: 'ReduceMax', input: [`${tag}/taps`], output: [p.values], attribute: [ints('axes', [1]), int('keepdims', 0)] });
    add({ opType: 'ArgMax', input: [`${tag}/taps`], output: [`${tag}/tap`], attribute: [int('axis', 1), int('keepdims', 1)] });
    add({ opType: 'Equal', input: [`${tag}/tap`, `${tag}/tap_ids`], output: [`${tag}/onehot`] }, int64s(`${tag}/tap_ids`, [0, 1, 2, 3], [1, 4, 1, 1, 1]));
    for (const u of unpools) {
      const y = u.output![0];
      add({ opType: 'Unsqueeze', input: [u.input![0], `${y}/axis`], output: [`${y}/u5`] }, int64s(`${y}/axis`, [1]));
      add({ opType: 'Where', input: [`${tag}/onehot`, `${y}/u5`, `${y}/zero`], output: [`${y}/placed`] }, floats(`${y}/zero`, [0], []));
      add({ opType: 'Reshape', input: [`${y}/placed`, `${y}/depth_shape`], output: [`${y}/depth`] }, int64s(`${y}/depth_shape`, [1, 4 * c, h, w]));
      add({ opType: 'DepthToSpace', input: [`${y}/depth`], output: [y], attribute: [int('blocksize', 2), str('mode', 'DCR')] });
    }
  });
}

/** The inexact shortcut: upsample(U)·[X == upsample(MaxPool(X))]. */
export function rewriteShortcut(bytes: Uint8Array, inputSize: number): Uint8Array {
  return rewrite(bytes, inputSize, (p, unpools, add) => {
    const tag = p.node.name || p.values;
    const resize = (x: string, y: string) => ({
      opType: 'Resize',
      input: [x, '', `${tag}/scales`],
      output: [y],
      attribute: [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')],
    });
    add({ opType: 'MaxPool', name: p.node.name, input: [p.input], output: [p.values], attribute: p.node.attribute }, floats(`${tag}/scales`, [1, 1, 2, 2]));
    add(resize(p.values, `${tag}/up_max`));
    add({ opType: 'Equal', input: [p.input, `${tag}/up_max`], output: [`${tag}/is_max`] });
    for (const u of unpools) {
      const y = u.output![0];
      add(resize(u.input![0], `${y}/up`));
      add({ opType: 'Where', input: [`${tag}/is_max`, `${y}/up`, `${y}/zero`], output: [y] }, floats(`${y}/zero`, [0], []));
    }
  });
}
