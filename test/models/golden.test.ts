// The committed model (models/segnet-shapes.onnx) and its golden outputs (models/samples/): the files
// agree with each other and the graph is the SegNet the task asks for. The goldens themselves come
// from ONNX Runtime's CPU provider (models/training/golden.py); this test never retrains or reruns them.
import { readFileSync, statSync } from 'node:fs';
import { decodeModel, TensorDataType, type NodeProto } from '../../src/onnxruntime-web/onnx';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const modelUrl = new URL('models/segnet-shapes.onnx', root);
const samplesDir = new URL('models/samples/', root);
const PLANE = 128 * 128;
const MAX_MODEL_BYTES = 8 * 1024 * 1024;

interface Manifest {
  model: string;
  classes: string[];
  input: { name: string; dims: number[]; type: string };
  output: { name: string; dims: number[]; type: string };
  samples: {
    name: string;
    seed: number;
    files: { image: string; truth: string; logits: string; labels: string };
    pixel_counts: { truth: number[]; labels: number[] };
    pixel_accuracy_vs_truth: number;
  }[];
}
const manifest = JSON.parse(readFileSync(new URL('samples.json', samplesDir), 'utf8')) as Manifest;

function float32File(name: string): Float32Array {
  const bytes = readFileSync(new URL(name, samplesDir));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
const uint8File = (name: string) => new Uint8Array(readFileSync(new URL(name, samplesDir)));
const count = (labels: Uint8Array) => [0, 1, 2, 3].map((k) => labels.filter((l) => l === k).length);
const num = (v: number | bigint | null | undefined) => (v == null ? 0 : Number(v));

describe('golden outputs in models/samples', () => {
  it('lists 3-4 samples of the model in models/ with the model input and output', () => {
    expect(manifest.model).toBe('models/segnet-shapes.onnx');
    expect(manifest.classes).toEqual(['background', 'disc', 'rectangle', 'triangle']);
    expect(manifest.input).toEqual({ name: 'image', dims: [1, 3, 128, 128], type: 'float32' });
    expect(manifest.output).toEqual({ name: 'logits', dims: [1, 4, 128, 128], type: 'float32' });
    expect(manifest.samples.length).toBeGreaterThanOrEqual(3);
    expect(manifest.samples.length).toBeLessThanOrEqual(4);
    expect(new Set(manifest.samples.map((s) => s.seed)).size).toBe(manifest.samples.length);
  });

  it.each(manifest.samples.map((s) => [s.name, s] as const))('%s: sizes, ranges, labels = argmax of logits', (_, sample) => {
    const image = float32File(sample.files.image);
    const logits = float32File(sample.files.logits);
    const labels = uint8File(sample.files.labels);
    const truth = uint8File(sample.files.truth);
    expect(image.length).toBe(3 * PLANE);
    expect(logits.length).toBe(4 * PLANE);
    expect(labels.length).toBe(PLANE);
    expect(truth.length).toBe(PLANE);
    expect(image.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(logits.every(Number.isFinite)).toBe(true);
    expect(labels.every((v) => v <= 3)).toBe(true);
    expect(truth.every((v) => v <= 3)).toBe(true);

    const wrong: string[] = [];
    for (let p = 0; p < PLANE; p++) {
      let best = 0;
      for (let k = 1; k < 4; k++) if (logits[k * PLANE + p] > logits[best * PLANE + p]) best = k;
      if (labels[p] !== best) wrong.push(`pixel ${p}: label ${labels[p]}, argmax ${best}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);

    expect(count(labels)).toEqual(sample.pixel_counts.labels);
    expect(count(truth)).toEqual(sample.pixel_counts.truth);
    // A sample with every class in it, and a model that has learnt the task on it.
    const agree = labels.filter((l, p) => l === truth[p]).length / PLANE;
    expect(agree).toBeCloseTo(sample.pixel_accuracy_vs_truth, 6);
    expect(agree).toBeGreaterThan(0.95);
  });

  it('between them, the samples show every class', () => {
    const seen = new Set(manifest.samples.flatMap((s) => s.pixel_counts.truth.flatMap((n, k) => (n > 0 ? [k] : []))));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });
});

describe('models/segnet-shapes.onnx', () => {
  const bytes = readFileSync(modelUrl);
  const model = decodeModel(bytes);
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  const producer = new Map<string, NodeProto>();
  for (const node of nodes) for (const out of node.output ?? []) producer.set(out, node);
  const consumers = (name: string) => nodes.filter((n) => (n.input ?? []).includes(name));
  const ints = (node: NodeProto, name: string) =>
    (node.attribute ?? []).find((a) => a.name === name)?.ints?.map(num);
  const int = (node: NodeProto, name: string) => {
    const a = (node.attribute ?? []).find((x) => x.name === name);
    return a ? num(a.i) : undefined;
  };
  const shapes = new Map<string, number[]>();
  for (const info of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    shapes.set(info.name ?? '', (info.type?.tensorType?.shape?.dim ?? []).map((d) => num(d.dimValue)));
  }
  const pools = nodes.filter((n) => n.opType === 'MaxPool');
  const unpools = nodes.filter((n) => n.opType === 'MaxUnpool');

  it('is at most 8 MB, and the metrics describe this file', () => {
    expect(statSync(modelUrl).size).toBeLessThanOrEqual(MAX_MODEL_BYTES);
    const metrics = JSON.parse(readFileSync(new URL('models/training/metrics.json', root), 'utf8'));
    expect(metrics.onnxruntime.model_bytes).toBe(statSync(modelUrl).size);
    expect(metrics.onnxruntime.mean_iou).toBeGreaterThanOrEqual(0.85);
  });

  it('takes `image` float32 [1,3,128,128] and gives `logits` float32 [1,4,128,128], opset >= 13', () => {
    const inputs = (graph.input ?? []).filter((i) => !(graph.initializer ?? []).some((t) => t.name === i.name));
    expect(inputs.map((i) => i.name)).toEqual(['image']);
    expect(graph.output?.map((o) => o.name)).toEqual(['logits']);
    expect(inputs[0].type?.tensorType?.elemType).toBe(TensorDataType.FLOAT);
    expect(graph.output?.[0].type?.tensorType?.elemType).toBe(TensorDataType.FLOAT);
    expect(shapes.get('image')).toEqual([1, 3, 128, 128]);
    expect(shapes.get('logits')).toEqual([1, 4, 128, 128]);
    const opset = (model.opsetImport ?? []).find((o) => !o.domain);
    expect(num(opset?.version)).toBeGreaterThanOrEqual(13);
  });

  it('has >= 3 MaxPool nodes with Indices, each 2x2 stride 2, ending a Conv-BatchNormalization-Relu block', () => {
    expect(pools.length).toBeGreaterThanOrEqual(3);
    for (const pool of pools) {
      expect(pool.output?.length, pool.name ?? '').toBe(2);
      expect(ints(pool, 'kernel_shape')).toEqual([2, 2]);
      expect(ints(pool, 'strides')).toEqual([2, 2]);
      expect(ints(pool, 'pads') ?? [0, 0, 0, 0]).toEqual([0, 0, 0, 0]);
      expect(ints(pool, 'dilations') ?? [1, 1]).toEqual([1, 1]);
      expect(int(pool, 'ceil_mode') ?? 0).toBe(0);
      expect(int(pool, 'storage_order') ?? 0).toBe(0);
      const relu = producer.get(pool.input![0])!;
      const bn = producer.get(relu.input![0])!;
      const conv = producer.get(bn.input![0])!;
      expect([conv.opType, bn.opType, relu.opType]).toEqual(['Conv', 'BatchNormalization', 'Relu']);
    }
    // Encoder levels in a chain: each pool's output feeds the next level.
    for (let i = 0; i + 1 < pools.length; i++) {
      let node = producer.get(pools[i + 1].input![0]);
      while (node && !(node.input ?? []).includes(pools[i].output![0])) node = producer.get(node.input![0]);
      expect(node, `${pools[i].name} feeds ${pools[i + 1].name}`).toBeDefined();
    }
  });

  it('has mirrored MaxUnpool nodes (2x2 stride 2), the deepest level first, each using its MaxPool\'s indices', () => {
    expect(unpools.length).toBe(pools.length);
    unpools.forEach((unpool, i) => {
      const pool = pools[pools.length - 1 - i];
      expect(unpool.input?.[1]).toBe(pool.output![1]);
      expect(ints(unpool, 'kernel_shape')).toEqual([2, 2]);
      expect(ints(unpool, 'strides')).toEqual([2, 2]);
      expect(ints(unpool, 'pads') ?? [0, 0, 0, 0]).toEqual([0, 0, 0, 0]);
      // Mirrored: the unpool's input has the shape of its pool's output, and it restores the pool's input shape.
      expect(shapes.get(unpool.input![0])).toEqual(shapes.get(pool.output![0]));
      expect(shapes.get(unpool.output![0])).toEqual(shapes.get(pool.input![0]));
      expect(consumers(unpool.output![0]).map((n) => n.opType)).toEqual(['Conv']);
    });
    // Indices go to MaxUnpool and nowhere else.
    for (const pool of pools) expect(consumers(pool.output![1]).map((n) => n.opType)).toEqual(['MaxUnpool']);
    // The deepest pool feeds the first unpool through convolutions only (no extra pooling in between).
    expect(nodes.indexOf(unpools[0])).toBeGreaterThan(nodes.indexOf(pools[pools.length - 1]));
  });

  it('has no Concat (no skip concatenations), and only the ops a SegNet needs', () => {
    const ops = new Set(nodes.map((n) => n.opType));
    expect(ops.has('Concat')).toBe(false);
    expect([...ops].sort()).toEqual(['BatchNormalization', 'Conv', 'MaxPool', 'MaxUnpool', 'Relu']);
  });
});
