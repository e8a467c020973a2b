/**
 * The ONNX Runtime Web adapter end to end: models with pooling indices run split between ORT's
 * WebGPU provider and argpool, compared with ORT's wasm (CPU) provider running the unsplit model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as ortTypes from 'onnxruntime-web/webgpu';
import { InferenceSession, type SessionOptions } from 'argpool/onnxruntime-web';
import { decodeModel } from '../../src/onnxruntime-web/onnx';
import { DataType } from '../../src/onnxruntime-web/onnx';
import { GraphBuilder, sharedWeightModel, foreignIndicesModel, oneDimensionalModel, plainModel, randomFloats, segnetModel, threeDimensionalModel, widePaddingModel } from '../../models/graphs';

import { ORT_VERSIONS, type Ort } from './versions';

type Outputs = Record<string, ortTypes.Tensor>;

/** The onnxruntime-web module the current describe block runs on. */
let ort: Ort;

const sessions: { release(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

async function onWasm(bytes: Uint8Array, feeds: Record<string, ortTypes.Tensor>): Promise<Outputs> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  sessions.push(session);
  return (await session.run(feeds)) as Outputs;
}

async function adapter(bytes: Uint8Array, options: Partial<Omit<SessionOptions, 'ort'>> = {}): Promise<InferenceSession> {
  const session = await InferenceSession.create(bytes, { ort, executionProviders: ['webgpu'], ...options });
  sessions.push(session);
  return session;
}

/** Float outputs within 1e-4 of the expected output's scale (its largest magnitude); int64 exactly. */
async function expectOutputsMatch(actual: Outputs, expected: Outputs): Promise<void> {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name];
    expect(got.type, name).toBe(want.type);
    expect(got.dims, name).toEqual(want.dims);
    const data = got.location === 'cpu' ? got.data : await got.getData();
    if (want.type === 'int64') {
      const a = data as BigInt64Array;
      const e = want.data as BigInt64Array;
      const first = e.findIndex((v, i) => v !== a[i]);
      expect(first, `${name}: first differing index at ${first}: ${a[first]} instead of ${e[first]}`).toBe(-1);
      continue;
    }
    const a = data as Float32Array;
    const e = want.data as Float32Array;
    const scale = e.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(scale, `${name} is not all zero`).toBeGreaterThan(0);
    let worst = 0;
    let at = -1;
    for (let i = 0; i < e.length; i++) {
      const err = Math.abs(a[i] - e[i]);
      if (!(err <= worst)) {
        worst = err;
        at = i;
      }
    }
    expect(worst / scale, `${name}: worst error ${worst} at ${at} (${a[at]} instead of ${e[at]}), scale ${scale}`).toBeLessThanOrEqual(1e-4);
  }
}

function feed(name: string, dims: number[], seed: number): Record<string, ortTypes.Tensor> {
  const count = dims.reduce((a, b) => a * b, 1);
  return { [name]: new ort.Tensor('float32', randomFloats(count, seed), dims) };
}

describe.each(ORT_VERSIONS)('InferenceSession (argpool/onnxruntime-web) on $name', (version) => {
  beforeAll(() => {
    ort = version.ort;
  });

  it('runs a two-level SegNet with batch 2 at an odd size like ORT on the CPU', async () => {
    const { bytes, input } = segnetModel();
    const feeds = feed('image', input, 7);
    const session = await adapter(bytes);
    expect(session.inputNames).toEqual(['image']);
    expect(session.outputNames).toEqual(['decoded', 'i1', 'v2']);
    expect(session.steps).toEqual([
      'ORT part 0', 'MaxPool node "pool1"', 'ORT part 1', 'MaxPool node "pool2"', 'ORT part 2',
      'MaxUnpool node "unpool2"', 'ORT part 3', 'MaxUnpool node "unpool1"', 'ORT part 4',
    ]);
    const expected = await onWasm(bytes, feeds);
    await expectOutputsMatch(await session.run(feeds), expected);
    const afterFirst = session.argpoolBuffersCreated;
    expect(afterFirst).toBeGreaterThan(0);
    // Later runs reuse argpool's buffers and give the same result.
    await expectOutputsMatch(await session.run(feeds), expected);
    await expectOutputsMatch(await session.run(feeds), expected);
    expect(session.argpoolBuffersCreated).toBe(afterFirst);
  });

  it('reports a timed run: its parts, time inside ORT, GPU waits, the adapter\'s own host time', async () => {
    const { bytes, input } = segnetModel(1, 16, 16);
    const feeds = feed('image', input, 43);
    const session = await adapter(bytes);
    const { outputs, steps, run } = await session.runTimed(feeds);
    await expectOutputsMatch(outputs, await onWasm(bytes, feeds));
    expect(steps.map((s) => s.label)).toEqual(session.steps);
    expect(run.parts).toBe(5);
    for (const ms of [run.totalMs, run.ortMs, run.gpuWaitMs, run.hostMs]) expect(ms).toBeGreaterThanOrEqual(0);
    expect(run.ortMs + run.gpuWaitMs + run.hostMs).toBeCloseTo(run.totalMs, 6);
    expect(run.ortMs).toBeLessThanOrEqual(steps.filter((s) => s.kind === 'ort').reduce((a, s) => a + s.ms, 0));
  });

  it('runs 1-D pooling with auto_pad SAME_UPPER and MaxUnpool without output_shape', async () => {
    const { bytes, input } = oneDimensionalModel();
    const feeds = feed('signal', input, 11);
    await expectOutputsMatch(await (await adapter(bytes)).run(feeds), await onWasm(bytes, feeds));
  });

  it('runs 3-D pooling of a graph input with SAME_LOWER and storage_order 1, unpooling to a constant output_shape', async () => {
    const { bytes, input } = threeDimensionalModel(1, version.conv3d);
    const feeds = feed('volume', input, 13);
    await expectOutputsMatch(await (await adapter(bytes)).run(feeds), await onWasm(bytes, feeds));
  });

  it('returns outputs as GPU buffers with preferredOutputLocation "gpu-buffer", argpool\'s and ORT\'s alike', async () => {
    for (const { bytes, input } of [threeDimensionalModel(0, version.conv3d), oneDimensionalModel()]) {
      const name = decodeInputName(bytes);
      const feeds = feed(name, input, 17);
      const session = await adapter(bytes, { preferredOutputLocation: 'gpu-buffer' });
      const outputs = await session.run(feeds);
      for (const tensor of Object.values(outputs)) {
        expect(tensor.location).toBe('gpu-buffer');
        expect(tensor.gpuBuffer.size % 16).toBe(0);
      }
      await expectOutputsMatch(outputs, await onWasm(bytes, feeds));
      for (const tensor of Object.values(outputs)) tensor.dispose();
    }
  });

  it('unpools indices that were fed, or passed through ORT, as ONNX\'s flat scatter', async () => {
    const { bytes, input, indicesShape } = foreignIndicesModel();
    // Indices anywhere in the 1x2x4x6 output, planes crossed, one duplicate (the later value wins).
    const indices = new BigInt64Array([0, 47, 13, 24, 5, 30, 13, 2, 40, 41, 23, 7].map(BigInt));
    const feeds = {
      ...feed('x', input, 19),
      ...feed('values', indicesShape, 23),
      indices: new ort.Tensor('int64', indices, indicesShape),
    };
    const session = await adapter(bytes);
    expect(session.steps).toEqual(['MaxPool node "pool"', 'ORT part 0', 'MaxUnpool node "unpool_passed"', 'MaxUnpool node "unpool_fed"']);
    await expectOutputsMatch(await session.run(feeds), await onWasm(bytes, feeds));
    // An index outside the output fails the run when the result is read, naming the node, as ORT fails.
    indices[3] = 48n;
    await expect(session.run(feeds)).rejects.toThrow(/^MaxUnpool node "unpool_fed": maxUnpool1d: Found an invalid max index 48 at indices\[0, 0, 3\]/);
  });

  it('runs a MaxPool with Indices whose pads exceed half its kernel on ORT\'s CPU provider, like ORT', async () => {
    const bytes = widePaddingModel();
    const feeds = feed('x', [1, 1, 6, 6], 37);
    const session = await adapter(bytes);
    expect(session.steps).toEqual(['ORT part 0 (CPU)']);
    await expectOutputsMatch(await session.run(feeds), await onWasm(bytes, feeds));
  });

  it('runs a weight shared by two parts from one GPU copy, like ORT on the CPU', async () => {
    const { bytes, input } = sharedWeightModel();
    const feeds = feed('x', input, 41);
    const session = await adapter(bytes);
    await expectOutputsMatch(await session.run(feeds), await onWasm(bytes, feeds));
    await expectOutputsMatch(await session.run(feeds), await onWasm(bytes, feeds));
  });

  it("follows the ORT module's own NaN rule for MaxPool with Indices by default, PyTorch's on request", async () => {
    const bytes = new GraphBuilder()
      .input('x', [1, 1, 2, 4])
      .node('MaxPool', ['x'], ['y', 'i'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool')
      .output('y')
      .output('i', DataType.INT64)
      .build();
    // Window 0 starts with a NaN; window 1 holds a 5, then NaNs.
    const feeds = { x: new ort.Tensor('float32', Float32Array.from([NaN, 1, 5, NaN, 2, 3, NaN, NaN]), [1, 1, 2, 4]) };
    const answer = async (outputs: Outputs) => {
      const values = (outputs.y.location === 'cpu' ? outputs.y.data : await outputs.y.getData()) as Float32Array;
      return { values: Array.from(values).map(String), indices: Array.from(outputs.i.data as BigInt64Array, Number) };
    };
    const ortOwn = await answer(await onWasm(bytes, feeds));
    const byDefault = await adapter(bytes);
    expect(byDefault.nan).toBe(version.oldest ? 'ignore' : 'first');
    // ORT 1.29+: [NaN, 5] at [0, 2]; ORT 1.23: NaN never wins, [3, 5] at [5, 2].
    expect(ortOwn).toEqual(version.oldest ? { values: ['3', '5'], indices: [5, 2] } : { values: ['NaN', '5'], indices: [0, 2] });
    expect(await answer(await byDefault.run(feeds))).toEqual(ortOwn);
    const pytorch = await adapter(bytes, { nan: 'propagate' });
    expect(pytorch.nan).toBe('propagate');
    expect(await answer(await pytorch.run(feeds))).toEqual({ values: ['NaN', 'NaN'], indices: [0, 7] });
    await expect(adapter(bytes, { nan: 'largest' } as never)).rejects.toThrow(
      /^InferenceSession.create: options.nan must be 'first', 'ignore' or 'propagate', got "largest"$/,
    );
  });

  it('leaves a model without pooling indices to ORT unchanged', async () => {
    const bytes = plainModel();
    const feeds = feed('x', [1, 2, 8, 8], 29);
    const session = await adapter(bytes);
    expect(session.steps).toEqual([]);
    expect(session.outputNames).toEqual(['y']);
    await expectOutputsMatch(await session.run(feeds), await onWasm(bytes, feeds));
  });

  it('refuses clearly what argpool does not run, and inputs that are missing, and runs after release', async () => {
    const feeds = feed('x', [1, 2, 8, 8], 31);
    const ints = new GraphBuilder().input('n', [1, 1, 4, 4], DataType.INT32);
    ints.node('MaxPool', ['n'], ['v', 'i'], { kernel_shape: [2, 2], strides: [2, 2] }, 'ints').output('v', DataType.INT32).output('i', DataType.INT64);
    // Integer pooling is left to ONNX Runtime (which runs int8 and uint8 on its CPU provider); int32 is
    // no type of ONNX's MaxPool, and ORT refuses the model at create, in its own words.
    await expect(adapter(ints.build())).rejects.toThrow(/Type 'tensor\(int32\)' of input parameter \(n\) of operator \(MaxPool\) in node \(ints\) is invalid/);
    const session = await adapter(segnetModel(1, 8, 8).bytes);
    await expect(session.run({})).rejects.toThrow(/^InferenceSession.run: input "image" is missing from feeds \(inputs: image\)$/);
    await session.release();
    await expect(session.run({ image: feeds.x })).rejects.toThrow(/^InferenceSession.run: this session has been released$/);
    await expect(InferenceSession.create(plainModel(), {} as never)).rejects.toThrow(/options.ort must be the application's onnxruntime-web module/);
  });
});

function decodeInputName(bytes: Uint8Array): string {
  return decodeModel(bytes).graph!.input![0].name!;
}
