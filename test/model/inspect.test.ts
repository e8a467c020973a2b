/**
 * The inspections of "bring your own model" in Node, without a GPU: `inspectModel` (ONNX) and
 * `inspectLayersModel` (TF.js layers) on the trained SegNet in both forms, a model with symbolic
 * height and width, and files that must be refused (each refusal naming the node or layer, the
 * attribute, the value and what to change), including hostile sizes that must be refused in bounded
 * time, after which the next model inspects as before.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { inspectModel } from '../../src/onnxruntime-web/inspect';
import { planModel } from '../../src/onnxruntime-web/plan';
import { GraphBuilder } from '../../models/graphs';
import { inspectLayersModel, LAYER_CLASSES } from '../../src/tfjs-layers/inspect';
import { MaxPoolingWithArgmax2D, MaxUnpooling2D } from '../../src/tfjs-layers/index';
import { formatModelReport } from '../../src/model/format';
import { sizeReport } from '../../src/model/reports';
import type { ModelReport } from '../../src/model/report';
import {
  dynamicSegnet,
  hugeKernel,
  hugeOutputShape,
  lyingInitializer,
  randomBytes,
  segnetOnnx,
  segnetTfjs,
  tfjsHugePool,
  tfjsLyingManifest,
  truncatedSegnet,
  unsupportedOperator,
} from './models';

function tfjsSegnet(json?: string, weightBytes?: number): ModelReport {
  const model = segnetTfjs();
  return inspectLayersModel(json ?? model.json, { [model.weightName]: weightBytes ?? model.weights.byteLength });
}

/** The one refusal of a report, which must be the only one. */
function onlyRefusal(report: ModelReport) {
  expect(report.canRun).toBe(false);
  expect(report.refusals, JSON.stringify(report.refusals, null, 1)).toHaveLength(1);
  return report.refusals[0];
}

/** Runs `fn` and returns its result and how long it took. */
function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: performance.now() - start };
}

describe('inspectModel on the trained SegNet (models/segnet-shapes.onnx)', () => {
  const report = inspectModel(segnetOnnx(), { version: '9.9.9' });

  it('can run, with its inputs, outputs and model facts', () => {
    expect(report).toMatchObject({ tool: 'argpool inspect', version: '9.9.9', format: 'onnx', canRun: true, refusals: [] });
    expect(report.model).toMatchObject({ name: 'segnet-shapes', producer: 'argpool models/training/export.py', details: 'IR version 8, opset ai.onnx 13', nodes: 57 });
    expect(report.inputs).toEqual([{ name: 'image', dtype: 'float32', shape: [1, 3, 128, 128], resolvedShape: [1, 3, 128, 128] }]);
    expect(report.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: [1, 4, 128, 128], resolvedShape: [1, 4, 128, 128] }]);
    expect(report.symbolicDims).toEqual([]);
  });

  it('puts all eight pooling nodes on argpool, with their attributes, index format and shapes', () => {
    expect(report.pooling.map((p) => `${p.name} ${p.op} ${p.placement}`)).toEqual([
      ...[1, 2, 3, 4].map((l) => `pool${l} MaxPool argpool`),
      ...[4, 3, 2, 1].map((l) => `unpool${l} MaxUnpool argpool`),
    ]);
    const pool1 = report.pooling[0];
    expect(pool1.attributes).toEqual({ kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], auto_pad: 'NOTSET', dilations: [1, 1], ceil_mode: 0, storage_order: 0 });
    expect(pool1.indexFormat).toBe('ONNX int64, flat over N,C,spatial');
    expect(pool1.reason).toMatch(/ORT's WebGPU provider has none \("The Indices output is not supported yet"\)/);
    expect([pool1.inputShape, pool1.outputShape]).toEqual([[1, 16, 128, 128], [1, 16, 64, 64]]);
    const unpool1 = report.pooling[7];
    expect([unpool1.inputShape, unpool1.outputShape]).toEqual([[1, 16, 64, 64], [1, 16, 128, 128]]);
    expect(unpool1.reason).toMatch(/no MaxUnpool kernel/);
  });

  it("lists the adapter's own plan as its steps: 8 ORT parts on WebGPU between 8 argpool steps", () => {
    const plan = planModel(segnetOnnx());
    expect(report.steps.map((s) => s.label)).toEqual(plan.steps.map((s) => s.label));
    expect(report.steps.map((s) => s.placement)).toEqual(plan.steps.map((s) => (s.kind === 'ort' ? 'ort-webgpu' : 'argpool')));
    expect(report.steps[0]).toEqual({ placement: 'ort-webgpu', label: 'ORT part 0', nodes: 6, ops: 'Conv ×2, BatchNormalization ×2, Relu ×2', inputs: ['image'], outputs: ['encoder1.2.relu'] });
    expect(report.steps[10]).toMatchObject({ placement: 'argpool', label: 'MaxUnpool node "unpool3"', inputs: ['decoder4.2.relu', 'pool3.indices'], outputs: ['unpool3'] });
    expect(report.notes[0]).toMatch(/^8 ORT parts and 8 argpool steps: the adapter calls ORT 8 times per run/);
  });

  it('prints as text: every pooling node, the steps and the result line', () => {
    const text = formatModelReport(report, 'segnet-shapes.onnx');
    expect(text[0]).toBe('argpool inspect 9.9.9: segnet-shapes.onnx (ONNX, 1.1 MiB)');
    expect(text).toContain('  pool1    MaxPool    argpool  ONNX int64, flat over N,C,spatial        [1, 16, 128, 128] -> [1, 16, 64, 64]');
    expect(text.filter((line) => /^ {2}\d+ {2,}/.test(line))).toHaveLength(16);
    expect(text[text.length - 1]).toBe("result: the model can run (8 of 8 pooling nodes on argpool's kernels, 8 ORT parts)");
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('inspectModel on a model with symbolic height and width', () => {
  it('names the symbolic dimensions and checks the shapes once they are set', () => {
    const open = inspectModel(dynamicSegnet());
    expect(open.canRun).toBe(true);
    expect(open.symbolicDims).toEqual(['height', 'width']);
    expect(open.inputs[0]).toEqual({ name: 'image', dtype: 'float32', shape: [1, 3, 'height', 'width'] });
    expect(open.pooling[0]).toMatchObject({ name: 'pool1', placement: 'argpool', inputShape: [1, 4, 'height', 'width'], outputShape: null });
    expect(open.notes.join('\n')).toContain('symbolic dimensions height, width: the shapes that depend on them are checked when a run sets them (npx argpool inspect --dim height=VALUE)');

    const set = inspectModel(dynamicSegnet(), { dims: { height: 96, width: 160 } });
    expect(set.canRun).toBe(true);
    expect(set.inputs[0].resolvedShape).toEqual([1, 3, 96, 160]);
    expect(set.pooling.map((p) => [p.name, p.inputShape, p.outputShape])).toEqual([
      ['pool1', [1, 4, 96, 160], [1, 4, 48, 80]],
      ['unpool1', null, null],
    ]);
    expect(set.steps.map((s) => s.label)).toEqual(['ORT part 0', 'MaxPool node "pool1"', 'ORT part 1', 'MaxUnpool node "unpool1"', 'ORT part 2']);
    expect(formatModelReport(set).join('\n')).toContain('symbolic dimensions: height=96, width=160');
  });

  it('refuses sizes the pooling cannot take, naming the node, the attribute and what to change', () => {
    const refusal = onlyRefusal(inspectModel(dynamicSegnet(), { dims: { height: 1, width: 8 } }));
    expect(refusal).toMatchObject({ where: 'MaxPool node "pool1"', attribute: 'kernel_shape', value: '[2, 2]' });
    expect(refusal.message).toBe('MaxPool node "pool1": output would be empty: input spatial size [1, 8] gives 0 along axis 2');
    expect(refusal.change).toMatch(/^use a window no larger than the padded input along axis 2/);
    expect(onlyRefusal(inspectModel(dynamicSegnet(), { dims: { height: 0, width: 8 } })).message).toBe('dimension "height" must be a positive integer, got 0');
  });
});

describe('inspectModel says where each pooling node runs, as the adapter places it', () => {
  it("ORT's WebGPU provider for a MaxPool without Indices, ORT's CPU provider for pads above half the kernel and for integer input", () => {
    const g = new GraphBuilder();
    g.input('x', [1, 1, 8, 8]);
    g.input('q', [1, 1, 8, 8], 3);
    g.node('MaxPool', ['x'], ['plain'], { kernel_shape: [2, 2], strides: [2, 2] }, 'plain');
    g.node('MaxPool', ['x'], ['wide', 'wide_i'], { kernel_shape: [3, 3], pads: [2, 2, 2, 2] }, 'wide');
    g.node('MaxPool', ['q'], ['int8', 'int8_i'], { kernel_shape: [2, 2], strides: [2, 2] }, 'int8');
    g.node('MaxPool', ['x'], ['ours', 'ours_i'], { kernel_shape: [2, 2], strides: [2, 2] }, 'ours');
    for (const name of ['plain', 'wide', 'int8', 'ours']) g.output(name, name === 'int8' ? 3 : 1);
    for (const name of ['wide_i', 'int8_i', 'ours_i']) g.output(name, 7);
    const report = inspectModel(g.build(12));
    expect(report.canRun).toBe(true);
    expect(report.pooling.map((p) => [p.name, p.placement, p.indexFormat])).toEqual([
      ['plain', 'ort-webgpu', ''],
      ['wide', 'ort-cpu', 'ONNX int64, flat over N,C,spatial'],
      ['int8', 'ort-cpu', 'ONNX int64, flat over N,C,spatial'],
      ['ours', 'argpool', 'ONNX int64, flat over N,C,spatial'],
    ]);
    expect(report.pooling[0].reason).toBe("MaxPool without an Indices output: ORT's WebGPU provider runs it with its own kernel");
    expect(report.pooling[1].reason).toMatch(/^pads \[2, 2, 2, 2\] exceed half of kernel_shape \[3, 3\]: argpool \(like PyTorch\) pads at most half a window/);
    expect(report.pooling[2].reason).toBe("X is int8: argpool pools float32 and float16, and ORT's WebGPU provider has no Indices output, so ORT runs it on its CPU provider");
    // The plan agrees: the wide pooling is an ORT part of its own on the CPU provider, ours an argpool step.
    expect(report.steps.map((s) => `${s.label} ${s.placement}`)).toEqual(planModel(g.build(12)).steps.map((s) => `${s.label} ${s.kind === 'ort' ? (s.cpu ? 'ort-cpu' : 'ort-webgpu') : 'argpool'}`));
    expect(report.steps.filter((s) => s.placement === 'ort-cpu').map((s) => s.ops)).toEqual(['MaxPool']);
    expect(report.steps.filter((s) => s.placement === 'argpool').map((s) => s.label)).toEqual(['MaxPool node "ours"']);
  });
});

describe('inspectModel refuses what cannot run', () => {
  it('random bytes: not an ONNX model', () => {
    const refusal = onlyRefusal(inspectModel(randomBytes()));
    expect(refusal.where).toBe('the file');
    expect(refusal.message).toMatch(/^the file is not an ONNX model \(the protobuf decoder stopped: .+\)$/);
    expect(refusal.change).toMatch(/^give an \.onnx file/);
  });

  it('a truncated model: it says the file stops in the middle of the model', () => {
    const refusal = onlyRefusal(inspectModel(truncatedSegnet()));
    expect(refusal.message).toBe('the file ends in the middle of the model: it starts as an ONNX model (ir_version 8) but stops after 597,533 bytes (the protobuf decoder: premature EOF)');
    expect(refusal.change).toBe('the file is truncated: copy or download the whole .onnx file again');
  });

  it('an operator no ONNX Runtime provider has, naming the node', () => {
    const report = inspectModel(unsupportedOperator());
    const refusal = onlyRefusal(report);
    expect(refusal).toMatchObject({ where: 'Frobnicate node "frob"', attribute: 'op_type', value: 'Frobnicate' });
    expect(refusal.message).toBe('Frobnicate node "frob": "Frobnicate" is not an ONNX operator (opset 11), so no ONNX Runtime provider can run it');
    expect(refusal.change).toMatch(/no JavaScript custom-op API/);
    // The pooling nodes are still described.
    expect(report.pooling.map((p) => p.placement)).toEqual(['argpool', 'argpool']);
  });

  it('a custom domain', () => {
    const g = new GraphBuilder();
    g.input('x', [1, 1, 4]);
    g.nodes.push({ opType: 'Gelu', domain: 'com.example', input: ['x'], output: ['y'], name: 'gelu' });
    g.output('y');
    expect(onlyRefusal(inspectModel(g.build(13)))).toMatchObject({ where: 'Gelu node "gelu"', attribute: 'domain', value: 'com.example' });
  });

  it("an attribute the adapter's reader refuses, with the attribute, the value and what to change", () => {
    const g = new GraphBuilder();
    g.input('x', [1, 1, 4, 4]);
    g.node('MaxPool', ['x'], ['y', 'i'], { kernel_shape: [2, 2], pads: [2, 0, 0, 0] }, 'pool');
    g.output('y').output('i', 7);
    const refusal = onlyRefusal(inspectModel(g.build(11)));
    expect(refusal).toEqual({
      where: 'MaxPool node "pool"',
      attribute: 'pads',
      value: '[2, 0, 0, 0]',
      message: 'MaxPool node "pool": pads [2, 0, 0, 0] must be smaller than kernel_shape [2, 2] (as ONNX Runtime requires)',
      change: 'use pads smaller than kernel_shape [2, 2] on every axis',
    });
  });

  it('a model over the size limit, from its size alone', () => {
    const report = inspectModel(segnetOnnx(), { limits: { maxModelBytes: 1_000_000 } });
    expect(onlyRefusal(report).message).toBe('the file is 1.1 MiB, over the 976.6 KiB an inspection reads');
    expect(onlyRefusal(sizeReport('onnx', 5 * 2 ** 30)).message).toBe('the file is 5 GiB, over the 1 GiB an inspection reads');
  });

  it("a tensor over the device's binding size, naming the limit", () => {
    const device = { limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 18 } };
    const report = inspectModel(segnetOnnx(), { device });
    expect(report.limits).toMatchObject({ maxBufferBytes: 2 ** 30, maxBindingBytes: 2 ** 18, source: "the device's limits" });
    expect(report.canRun).toBe(false);
    expect(report.refusals[0]).toMatchObject({ where: 'MaxPool node "pool1"', attribute: 'X', value: '[1, 16, 64, 64]' });
    expect(report.refusals[0].message).toBe(
      "MaxPool node \"pool1\": its Indices output (int64) [1, 16, 64, 64] has 65,536 elements (512 KiB), over the device's maxStorageBufferBindingSize 256 KiB for one tensor",
    );
  });
});

describe('inspectModel refuses hostile sizes in bounded time, and the next model inspects as before', () => {
  it('a MaxUnpool output_shape of 2^40 elements', () => {
    const { result, ms } = timed(() => inspectModel(hugeOutputShape()));
    const refusal = onlyRefusal(result);
    expect(refusal).toMatchObject({ where: 'MaxUnpool node "unpool"', attribute: 'output_shape', value: '[1, 1, 1048576, 1048576]' });
    expect(refusal.message).toBe('MaxUnpool node "unpool": output_shape [1, 1, 1048576, 1048576] has 1,099,511,627,776 elements (4 TiB), over the stated maximum of 2 GiB for one tensor');
    expect(ms).toBeLessThan(5000);
    expect(inspectModel(segnetOnnx()).canRun).toBe(true);
  });

  it('a pool size of 10^9', () => {
    const { result, ms } = timed(() => inspectModel(hugeKernel()));
    const refusal = onlyRefusal(result);
    expect(refusal).toMatchObject({ where: 'MaxPool node "pool"', attribute: 'kernel_shape', value: '[1000000000, 1000000000]' });
    expect(refusal.message).toBe('MaxPool node "pool": kernel_shape [1000000000, 1000000000] has 1,000,000,000,000,000,000 taps per window, over the 1,048,576 an inspection allows');
    expect(ms).toBeLessThan(5000);
    expect(inspectModel(segnetOnnx()).canRun).toBe(true);
  });

  it('an initializer whose dims claim 2^40 elements and whose data holds 16 bytes', () => {
    const refusal = onlyRefusal(inspectModel(lyingInitializer()));
    expect(refusal).toMatchObject({ where: 'initializer "scale"', attribute: 'raw_data', value: '16 bytes' });
    expect(refusal.message).toBe('initializer "scale": dims [1048576, 1048576] (float32) need 4,398,046,511,104 bytes, but raw_data holds 16');
  });
});

describe('inspectLayersModel on the TF.js SegNet (models/segnet-shapes-tfjs)', () => {
  const report = tfjsSegnet();

  it('can run: eight argpool layers, the standard layers on tfjs, the input with its batch dimension', () => {
    expect(report).toMatchObject({ format: 'tfjs-layers', canRun: true, refusals: [] });
    expect(report.model).toMatchObject({ name: 'segnet_shapes', details: 'Keras 2.15.0, backend tensorflow, format layers-model', nodes: 58 });
    expect(report.inputs).toEqual([{ name: 'image', dtype: 'float32', shape: ['batch', 128, 128, 3] }]);
    expect(report.symbolicDims).toEqual(['batch']);
    expect(report.pooling.map((p) => `${p.name} ${p.op} ${p.placement}`)).toEqual([
      ...[1, 2, 3, 4].map((l) => `pool${l} MaxPoolingWithArgmax2D argpool`),
      ...[4, 3, 2, 1].map((l) => `unpool${l} MaxUnpooling2D argpool`),
    ]);
    expect(report.pooling[0].attributes).toEqual({ pool_size: [2, 2], strides: [2, 2], padding: 'same', nan: 'first' });
    expect(report.pooling[4].attributes).toEqual({ size: [2, 2] });
    expect(report.steps.map((s) => (s.placement === 'tfjs' ? 't' : 'a')).join('')).toBe('tatatataatatatat');
    expect(report.steps[0]).toMatchObject({ nodes: 6, ops: 'Conv2D ×2, BatchNormalization ×2, Activation ×2', inputs: ['image'] });
  });

  it("gives each argpool layer the shapes tfjs-layers computes for the loaded model", async () => {
    await tf.setBackend('cpu');
    const { json, weights } = segnetTfjs();
    const parsed = JSON.parse(json);
    const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: parsed.modelTopology, weightSpecs: parsed.weightsManifest[0].weights, weightData: weights.slice().buffer }));
    const set = inspectLayersModel(json, { 'group1-shard1of1.bin': weights.byteLength }, { dims: { batch: 2 } });
    for (const pooling of set.pooling) {
      const layer = model.getLayer(pooling.name);
      expect(layer).toBeInstanceOf(pooling.op === 'MaxPoolingWithArgmax2D' ? MaxPoolingWithArgmax2D : MaxUnpooling2D);
      const inbound = (layer.inboundNodes[0].inputShapes as number[][])[0];
      const outbound = (Array.isArray(layer.outputShape[0]) ? layer.outputShape[0] : layer.outputShape) as (number | null)[];
      expect([pooling.inputShape, pooling.outputShape]).toEqual([[2, ...inbound.slice(1)], [2, ...outbound.slice(1)]]);
    }
    expect(set.outputs).toEqual([{ name: 'classifier', dtype: 'float32', shape: [2, 128, 128, 4], resolvedShape: [2, 128, 128, 4] }]);
    model.dispose();
  });

  it('lists every layer class tfjs-layers registers, and only those', () => {
    const registered = Object.entries(tf.serialization.SerializationMap.getMap().classNameMap)
      .filter(([, [cls]]) => (cls as unknown as { prototype: unknown }).prototype instanceof tfl.layers.Layer || ['Functional', 'Model', 'Sequential'].includes((cls as { className?: string }).className ?? ''))
      .map(([name]) => name)
      .filter((name) => name !== 'MaxPoolingWithArgmax2D' && name !== 'MaxUnpooling2D');
    expect([...LAYER_CLASSES].sort()).toEqual(registered.sort());
  });
});

describe('inspectLayersModel refuses what cannot run', () => {
  it('a weights manifest that claims 2^40 elements for a weight, against the file, in bounded time', () => {
    const { result, ms } = timed(() => tfjsSegnet(tfjsLyingManifest()));
    const refusal = onlyRefusal(result);
    expect(refusal).toMatchObject({ where: 'weights group 1', attribute: 'weights' });
    expect(refusal.message).toBe('weights group 1 (group1-shard1of1.bin): its 82 weights declare 4,398,047,692,304 bytes (4 TiB), but the file holds 1,182,928 bytes');
    expect(refusal.change).toMatch(/^use the weight files written together with this model\.json/);
    expect(ms).toBeLessThan(5000);
    expect(tfjsSegnet().canRun).toBe(true);
  });

  it('a weight file shorter than the manifest says, and a missing one', () => {
    const short = onlyRefusal(tfjsSegnet(undefined, 1000));
    expect(short.message).toMatch(/but the file holds 1,000 bytes$/);
    const missing = onlyRefusal(inspectLayersModel(segnetTfjs().json, {}));
    expect(missing).toMatchObject({ where: 'weights group 1', attribute: 'paths', value: 'group1-shard1of1.bin' });
    expect(missing.message).toBe('weights group 1: weight file "group1-shard1of1.bin" not given');
  });

  it('a pool size of 10^9', () => {
    const { result, ms } = timed(() => tfjsSegnet(tfjsHugePool()));
    const refusal = onlyRefusal(result);
    expect(refusal).toMatchObject({ where: 'layer "pool2" (MaxPoolingWithArgmax2D)', attribute: 'pool_size', value: '[1000000000,1000000000]' });
    expect(refusal.message).toBe('layer "pool2" (MaxPoolingWithArgmax2D): pool_size [1000000000,1000000000] has 1,000,000,000,000,000,000 taps per window, over the 1,048,576 an inspection allows');
    expect(ms).toBeLessThan(5000);
  });

  it("an argument the layers' own reader refuses", () => {
    const json = JSON.parse(segnetTfjs().json);
    json.modelTopology.model_config.config.layers.find((l: { name: string }) => l.name === 'pool1').config.padding = 'causal';
    const refusal = onlyRefusal(tfjsSegnet(JSON.stringify(json)));
    expect(refusal).toEqual({
      where: 'layer "pool1" (MaxPoolingWithArgmax2D)',
      attribute: 'padding',
      value: '"causal"',
      message: `layer "pool1" (MaxPoolingWithArgmax2D): MaxPoolingWithArgmax2D: padding must be 'same' or 'valid' (any case), got "causal"`,
      change: "set padding to 'same' or 'valid'",
    });
  });

  it('a layer class nobody registers, JSON that is no model, and a graph model', () => {
    const json = JSON.parse(segnetTfjs().json);
    json.modelTopology.model_config.config.layers[3].class_name = 'FancyAttention';
    expect(onlyRefusal(tfjsSegnet(JSON.stringify(json)))).toMatchObject({ where: 'layer "encoder1_1_relu" (FancyAttention)', attribute: 'class_name', value: 'FancyAttention' });
    expect(onlyRefusal(inspectLayersModel('{"nothing": 1}')).message).toBe('model.json is not a TF.js layers model: it has no modelTopology');
    expect(onlyRefusal(inspectLayersModel('not json')).message).toMatch(/^model\.json is not JSON/);
    expect(onlyRefusal(inspectLayersModel({ format: 'graph-model', modelTopology: {} })).attribute).toBe('format');
  });
});
