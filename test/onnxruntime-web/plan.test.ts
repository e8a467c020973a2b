/** Parsing and splitting ONNX graphs, and ONNX's pooling attributes resolved as ONNX Runtime does (no GPU). */
import { describe, expect, it } from 'vitest';
import { flatScatterOptions, readMaxPool, readMaxUnpool, resolveMaxPool, resolveMaxUnpool } from '../../src/onnxruntime-web/attributes';
import { DataType, decodeModel, type NodeProto } from '../../src/onnxruntime-web/onnx';
import { partModel, planModel, runPlan, runsInArgpool, schedule, type OrtStep } from '../../src/onnxruntime-web/plan';
import { GraphBuilder, oneDimensionalModel, segnetModel, sharedWeightModel, threeDimensionalModel, widePaddingModel } from '../../models/graphs';

function maxPoolNode(attributes: Record<string, number | number[] | string>): NodeProto {
  const g = new GraphBuilder().node('MaxPool', ['x'], ['y', 'i'], attributes, 'p');
  return g.nodes[0];
}

describe('planModel', () => {
  it('splits a SegNet at every MaxPool with Indices and every MaxUnpool, into ORT parts between them', () => {
    const plan = planModel(segnetModel().bytes);
    expect(plan.split).toBe(true);
    expect(plan.inputNames).toEqual(['image']);
    expect(plan.outputNames).toEqual(['decoded', 'i1', 'v2']);
    expect(plan.steps.map((s) => s.label)).toEqual([
      'ORT part 0', 'MaxPool node "pool1"', 'ORT part 1', 'MaxPool node "pool2"', 'ORT part 2',
      'MaxUnpool node "unpool2"', 'ORT part 3', 'MaxUnpool node "unpool1"', 'ORT part 4',
    ]);
    const parts = plan.steps.filter((s): s is OrtStep => s.kind === 'ort');
    const summary = parts.map((p) => ({ ops: p.nodes.map((n) => n.opType), inputs: p.inputs, outputs: p.outputs }));
    expect(summary).toEqual([
      { ops: ['Conv', 'BatchNormalization', 'PRelu'], inputs: ['image'], outputs: ['p1'] },
      { ops: ['Conv', 'Relu', 'Shape'], inputs: ['v1'], outputs: ['r2', 's2'] },
      { ops: ['Conv'], inputs: ['v2'], outputs: ['c3'] },
      { ops: ['Concat', 'Conv'], inputs: ['u2', 'v1'], outputs: ['c4'] },
      { ops: ['Pad', 'ConvTranspose'], inputs: ['u1'], outputs: ['decoded'] },
    ]);
    // Initializers travel with the part that uses them, and only there.
    expect(parts[0].initializers.map((t) => t.name)).toEqual(['c1_w', 'c1_b', 'bn1_scale', 'bn1_bias', 'bn1_mean', 'bn1_var', 'p1_slope']);
    expect(parts[4].initializers.map((t) => t.name)).toEqual(['pad_amounts', 'up_w']);
    // v1 feeds pool2's part and the Concat two parts later: it lives until step 6.
    expect(plan.lastUse.get('v1')).toBe(6);
    expect(plan.lastUse.get('s2')).toBe(5);
    expect(plan.lastUse.has('i1')).toBe(false); // a graph output: returned, never freed by the run
    expect([...plan.readOnCpu]).toEqual(['s2']);
    expect(plan.knownTypes.get('i1')).toBe(DataType.INT64);
  });

  it('builds typed ORT sub-models: inputs take the types it is given, outputs the declared ones', () => {
    const plan = planModel(segnetModel().bytes);
    const part = plan.steps[2] as OrtStep;
    const model = partModel(plan, part, (name) => (name === 'v1' ? DataType.FLOAT : 0));
    expect(model.graph!.input!.map((v) => [v.name, v.type?.tensorType?.elemType])).toEqual([['v1', DataType.FLOAT]]);
    expect(model.graph!.output!.map((v) => v.name)).toEqual(['r2', 's2']);
    expect(model.opsetImport).toEqual(decodeModel(segnetModel().bytes).opsetImport);
    expect(() => partModel(plan, part, () => 0)).toThrow(/ORT part 1 reads "v1", whose element type is unknown/);
  });

  it('leaves models without such nodes to ORT: MaxPool without Indices is ORT\'s own', () => {
    const g = new GraphBuilder().input('x', [1, 1, 4, 4]);
    g.node('MaxPool', ['x'], ['y'], { kernel_shape: [2, 2], strides: [2, 2] }).output('y');
    const plan = planModel(g.build());
    expect(plan.split).toBe(false);
    expect(plan.steps).toEqual([]);
    expect(runsInArgpool(g.nodes[0])).toBe(false);
    expect(runsInArgpool({ opType: 'MaxPool', domain: 'com.example', output: ['y', 'i'] })).toBe(false);
    expect(runsInArgpool({ opType: 'MaxPool', output: ['y', ''] })).toBe(false);
  });

  it('puts a pooling of a graph input first, and drops parts whose outputs nobody reads', () => {
    const plan = planModel(threeDimensionalModel().bytes);
    expect(plan.steps.map((s) => s.label)).toEqual(['MaxPool node "pool3d"', 'MaxUnpool node "unpool3d"', 'ORT part 0']);
    expect(plan.readByArgpool.has('volume')).toBe(true);
    const g = new GraphBuilder().input('x', [1, 1, 4, 4]);
    g.node('Relu', ['x'], ['dead']);
    g.node('MaxPool', ['x'], ['y', 'i'], { kernel_shape: [2, 2], strides: [2, 2] }).output('y').output('i', DataType.INT64);
    expect(planModel(g.build()).steps.map((s) => s.kind)).toEqual(['maxPool']);
  });

  it('schedules every ready ORT node before a ready pooling, keeping the model order otherwise', () => {
    const g = new GraphBuilder();
    g.node('MaxPool', ['x'], ['v', 'i'], { kernel_shape: [2] }, 'pool');
    g.node('Relu', ['x'], ['a'], {}, 'relu_a');
    g.node('Relu', ['v'], ['b'], {}, 'relu_b');
    g.node('Add', ['a', 'b'], ['c'], {}, 'add');
    // relu_a runs before the pooling, so the ORT nodes form two parts, not three.
    expect(schedule(g.nodes).map((i) => g.nodes[i].name)).toEqual(['relu_a', 'pool', 'relu_b', 'add']);
    const cyclic = new GraphBuilder().node('Relu', ['b'], ['a']).node('Relu', ['a'], ['b']);
    expect(() => schedule(cyclic.nodes)).toThrow(/the graph has a cycle or reads a value no node produces \(at Relu node "Relu_0"\)/);
  });

  it('sees the outer values that control-flow subgraphs read', () => {
    const body = new GraphBuilder().node('Identity', ['outer'], ['out']);
    const g = new GraphBuilder();
    g.node('MaxPool', ['x'], ['outer', 'i'], { kernel_shape: [2] }, 'pool');
    g.nodes.push({ opType: 'If', name: 'branch', input: ['cond'], output: ['r'], attribute: [{ name: 'then_branch', type: 5, g: { node: body.nodes, output: [{ name: 'out' }] } }] });
    expect(schedule(g.nodes)).toEqual([0, 1]);
  });

  it('refuses what it cannot read, naming the input', () => {
    expect(() => planModel(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(/^InferenceSession.create: the model bytes are not an ONNX ModelProto/);
  });
});

describe('initializers and what a session keeps', () => {
  it('feeds a float32 initializer that several parts read as a part input (one GPU copy), and copies the others', () => {
    const plan = planModel(sharedWeightModel().bytes);
    expect([...plan.sharedInitializers]).toEqual(['w']);
    const parts = plan.steps.filter((s): s is OrtStep => s.kind === 'ort');
    expect(parts.map((p) => ({ inputs: p.inputs, initializers: p.initializers.map((t) => t.name) }))).toEqual([
      { inputs: ['x', 'w'], initializers: [] },
      { inputs: ['v', 'w'], initializers: ['b'] },
    ]);
    // The part's graph declares the shared weight as a typed, shaped input.
    const sub = partModel(plan, parts[1], (name) => plan.knownTypes.get(name) ?? 0);
    expect(sub.graph!.input!.find((v) => v.name === 'w')!.type!.tensorType!.shape!.dim!.map((d) => d.dimValue)).toEqual([4, 4, 3, 3]);
  });

  it('keeps no model, node or initializer data in the plan a session runs', () => {
    const slim = runPlan(planModel(segnetModel().bytes));
    expect('model' in slim).toBe(false);
    expect('initializers' in slim).toBe(false);
    for (const step of slim.steps) expect('nodes' in step || 'initializers' in step).toBe(false);
    expect(slim.steps.map((s) => s.label)).toEqual(planModel(segnetModel().bytes).steps.map((s) => s.label));
  });
});

describe('MaxPool attributes', () => {
  it('reads ONNX defaults: strides 1, no padding, dilation 1, row-major', () => {
    const a = readMaxPool(maxPoolNode({ kernel_shape: [3, 2] }), 0);
    expect(a).toMatchObject({ kernel: [3, 2], strides: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', dilations: [1, 1], ceilMode: false, storageOrder: 0 });
  });

  it('reads auto_pad "" (what exporters and ONNX Runtime\'s own tests write) as NOTSET', () => {
    expect(readMaxPool(maxPoolNode({ kernel_shape: [2, 2], auto_pad: '', pads: [1, 0, 0, 1] }), 0)).toMatchObject({ autoPad: 'NOTSET', pads: [1, 0, 0, 1] });
  });

  it('refuses bad attributes, naming the node, the attribute and the value', () => {
    const refusals: [Record<string, number | number[] | string>, RegExp][] = [
      [{ kernel_shape: [2, 2], pads: [2, 0, 0, 0] }, /^MaxPool node "p": pads \[2, 0, 0, 0\] must be smaller than kernel_shape \[2, 2\]/],
      [{ kernel_shape: [2, 2], auto_pad: 'SAME' }, /^MaxPool node "p": auto_pad must be NOTSET \(or ""\), SAME_UPPER, SAME_LOWER or VALID, got "SAME"$/],
      [{ kernel_shape: [2, 2], storage_order: 2 }, /^MaxPool node "p": storage_order must be 0 \(row-major\) or 1 \(column-major\), got 2$/],
      [{ kernel_shape: [2, 2, 2, 2] }, /^MaxPool node "p": argpool runs 1-D, 2-D and 3-D pooling; kernel_shape \[2, 2, 2, 2\] has 4 spatial axes$/],
      [{ kernel_shape: [2, 2], strides: [2] }, /^MaxPool node "p": strides must have 2 values, got \[2\]$/],
      [{ kernel_shape: [2, 2], dilations: [0, 1] }, /^MaxPool node "p": dilations must hold integers >= 1, got \[0, 1\]$/],
      [{ kernel_shape: [2, 2], ceil_mode: 2 }, /^MaxPool node "p": ceil_mode must be 0 or 1, got 2$/],
      [{ kernel_shape: [2, 2], count_include_pad: 1 }, /^MaxPool node "p": unknown attribute "count_include_pad"/],
      [{ strides: [1, 1] }, /^MaxPool node "p": attribute kernel_shape is required$/],
      [{ kernel_shape: 2 }, /^MaxPool node "p": attribute kernel_shape must be a list of integers, got attribute type INT$/],
    ];
    for (const [attributes, message] of refusals) expect(() => readMaxPool(maxPoolNode(attributes), 0)).toThrow(message);
  });

  it('resolves padding and sizes as ONNX Runtime: explicit pads, VALID, SAME_UPPER, SAME_LOWER, ceil mode, dilation', () => {
    const resolve = (attributes: Record<string, number | number[] | string>, shape: number[]) => resolveMaxPool(readMaxPool(maxPoolNode(attributes), 0), shape);
    // 17 with 2/2 floor: 8; ceil: 9.
    expect(resolve({ kernel_shape: [2], strides: [2] }, [1, 1, 17]).outShape).toEqual([1, 1, 8]);
    expect(resolve({ kernel_shape: [2], strides: [2], ceil_mode: 1 }, [1, 1, 17]).outShape).toEqual([1, 1, 9]);
    // Asymmetric explicit pads keep begin/end order.
    expect(resolve({ kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 0, 1] }, [2, 3, 9, 10]).options.padding).toEqual([1, 0, 0, 1]);
    // SAME_UPPER on 37, kernel 3, stride 2: 19 outputs, pad total 2, split 1/1; SAME_LOWER puts the odd one first.
    expect(resolve({ kernel_shape: [3], strides: [2], auto_pad: 'SAME_UPPER' }, [1, 1, 37])).toMatchObject({ outShape: [1, 1, 19], options: { padding: [1, 1] } });
    expect(resolve({ kernel_shape: [2], strides: [2], auto_pad: 'SAME_LOWER' }, [1, 1, 7])).toMatchObject({ outShape: [1, 1, 4], options: { padding: [1, 0] } });
    expect(resolve({ kernel_shape: [2], strides: [2], auto_pad: 'SAME_UPPER' }, [1, 1, 7])).toMatchObject({ outShape: [1, 1, 4], options: { padding: [0, 1] } });
    // VALID ignores pads.
    expect(resolve({ kernel_shape: [3], strides: [2], auto_pad: 'VALID', pads: [1, 1] }, [1, 1, 9])).toMatchObject({ outShape: [1, 1, 4], options: { padding: [0, 0] } });
    // ONNX Runtime's SAME pads use the undilated kernel: kernel 3, dilation 2 on 10 pads 2 in total, giving 8 outputs.
    expect(resolve({ kernel_shape: [3], auto_pad: 'SAME_UPPER', dilations: [2] }, [1, 1, 10])).toMatchObject({ outShape: [1, 1, 8], options: { padding: [1, 1], dilation: [2] } });
    expect(resolve({ kernel_shape: [2], strides: [2] }, [1, 1, 9]).options).toMatchObject({ indexFormat: 'flat', stride: [2], ceilMode: false });
  });

  it('refuses what ONNX Runtime computes differently from argpool, before any GPU work', () => {
    const resolve = (attributes: Record<string, number | number[] | string>, shape: number[]) => () => resolveMaxPool(readMaxPool(maxPoolNode(attributes), 0), shape);
    expect(resolve({ kernel_shape: [2, 2] }, [1, 1, 4])).toThrow(/^MaxPool node "p": input X has shape \[1, 1, 4\], but kernel_shape \[2, 2\] needs 4 dimensions/);
    expect(resolve({ kernel_shape: [1], strides: [3], auto_pad: 'SAME_UPPER' }, [1, 1, 5])).toThrow(/needs negative padding \(-1\)/);
    expect(resolve({ kernel_shape: [2], strides: [2], pads: [0, 1], ceil_mode: 1 }, [1, 1, 4])).toThrow(/with ceil_mode the last window along axis 2 starts in the end padding/);
    expect(resolve({ kernel_shape: [5] }, [1, 1, 4])).toThrow(/output would be empty/);
  });
});

describe('MaxUnpool attributes', () => {
  const node = new GraphBuilder().node('MaxUnpool', ['x', 'i'], ['y'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'u').nodes[0];

  it('infers the output size, or takes output_shape when it holds at least as many elements', () => {
    const a = readMaxUnpool(node, 0);
    expect(resolveMaxUnpool(a, [2, 12, 5, 6]).outShape).toEqual([2, 12, 9, 11]);
    expect(resolveMaxUnpool(a, [2, 12, 5, 6], [2, 12, 9, 12])).toMatchObject({ outShape: [2, 12, 9, 12], options: { outputSize: [9, 12], indexFormat: 'flat' } });
    // ONNX Runtime 1.27 and later refuse another batch or channel count (earlier versions compared element counts only).
    expect(() => resolveMaxUnpool(a, [2, 12, 5, 6], [1, 24, 9, 11])).toThrow(
      /^MaxUnpool node "u": output_shape \[1, 24, 9, 11\] must keep X's batch and channels \[2, 12\] \(ONNX Runtime 1.27 and later refuse it too/,
    );
    expect(() => resolveMaxUnpool(a, [2, 12, 5, 6], [2, 13, 9, 11])).toThrow(/^MaxUnpool node "u": output_shape \[2, 13, 9, 11\] must keep X's batch and channels \[2, 12\]/);
    expect(() => resolveMaxUnpool(a, [2, 12, 5, 6], [2, 12, 8, 11])).toThrow(/^MaxUnpool node "u": output_shape \[2, 12, 8, 11\] is smaller than the minimum, the inferred output shape \[2, 12, 9, 11\]/);
    expect(() => resolveMaxUnpool(a, [2, 12, 5, 6], [9, 11])).toThrow(/^MaxUnpool node "u": output_shape must have as many values as X has dimensions \(4\), got \[9, 11\]$/);
  });

  it('makes the checks ONNX Runtime\'s MaxUnpool kernel makes, naming the node and the values', () => {
    const unpool = (attributes: Record<string, number | number[]>) => readMaxUnpool(new GraphBuilder().node('MaxUnpool', ['x', 'i'], ['y'], attributes, 'u').nodes[0], 0);
    expect(() => unpool({ kernel_shape: [2, 2], pads: [0, 0, 0] })).toThrow(/^MaxUnpool node "u": pads must have 4 values, got \[0, 0, 0\]$/);
    expect(() => unpool({ kernel_shape: [2], pads: [2, 0] })).toThrow(/^MaxUnpool node "u": pads \[2, 0\] must be smaller than kernel_shape \[2\]/);
    const a = unpool({ kernel_shape: [2], strides: [1], pads: [1, 1] });
    expect(() => resolveMaxUnpool(a, [1, 1, 1])).toThrow(/^MaxUnpool node "u": the output size along axis 2 is 0, not positive/);
    expect(() => resolveMaxUnpool(a, [2, 2])).toThrow(/^MaxUnpool node "u": input X must have at least 3 dimensions \(N, C and spatial\), got shape \[2, 2\]$/);
    expect(() => resolveMaxUnpool(a, [1, 1, 2, 2])).toThrow(/^MaxUnpool node "u": input X has shape \[1, 1, 2, 2\], but kernel_shape \[2\] needs 3 dimensions/);
  });

  it('turns ONNX\'s flat scatter into a 1-D argpool unpooling whose default size is the whole output', () => {
    for (const [inCount, outCount] of [[1, 1], [1, 7], [6, 6], [40, 161], [120, 480], [7, 1000]]) {
      const o = flatScatterOptions('u', inCount, outCount);
      const [k, s] = [(o.kernelSize as number[])[0], (o.stride as number[])[0]];
      expect(k).toBeGreaterThanOrEqual(1);
      expect((inCount - 1) * s + k).toBe(outCount);
    }
    expect(() => flatScatterOptions('u', 8, 4)).toThrow(/^u: the output \(4 elements\) is smaller than X \(8 elements\)$/);
  });

  it('puts a MaxPool with Indices whose pads exceed half its kernel in an ORT part of its own, on the CPU', () => {
    const plan = planModel(widePaddingModel());
    expect(plan.steps.map((s) => s.label)).toEqual(['ORT part 0 (CPU)']);
    expect((plan.steps[0] as OrtStep).cpu).toBe(true);
  });

  it('reads the 1-D test model', () => {
    const plan = planModel(oneDimensionalModel().bytes);
    expect(plan.steps.map((s) => s.kind)).toEqual(['ort', 'maxPool', 'ort', 'maxUnpool', 'ort']);
  });
});
