/**
 * The adapter's device lives as long as its sessions, whatever the application does with its own
 * ORT sessions: ORT destroys its WebGPU device when its last session is released, so the adapter
 * holds one small ORT session of its own while any of its sessions (or their GPU outputs) lives.
 * Each case runs on the oldest and the newest supported onnxruntime-web, through the built package.
 */
import { describe, expect, it } from 'vitest';
import { InferenceSession } from 'argpool/onnxruntime-web';
import { DataType } from '../../src/onnxruntime-web/onnx';
import { GraphBuilder, randomFloats } from '../../models/graphs';
import { ORT_VERSIONS, type Ort } from './versions';

/** MaxPool with Indices feeding MaxUnpool and nothing else: no ORT part at all. */
function poolingOnlyModel(): Uint8Array {
  const g = new GraphBuilder(3);
  g.input('x', [2, 3, 6, 8]);
  g.node('MaxPool', ['x'], ['v', 'i'], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: '' }, 'pool');
  g.node('MaxUnpool', ['v', 'i'], ['u'], { kernel_shape: [2, 2], strides: [2, 2] }, 'unpool');
  g.output('u').output('i', DataType.INT64);
  return g.build();
}

/** A Relu before the pooling, so the adapter has an ORT part too. */
function withOrtPartModel(): Uint8Array {
  const g = new GraphBuilder(5);
  g.input('x', [2, 3, 6, 8]);
  g.node('Relu', ['x'], ['r']);
  g.node('MaxPool', ['r'], ['v', 'i'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'pool');
  g.node('Neg', ['v'], ['n']);
  g.output('n').output('i', DataType.INT64);
  return g.build();
}

/** Every output equal, bit for bit, to ORT wasm's on the unsplit model. */
async function expectLikeWasm(ort: Ort, bytes: Uint8Array, outputs: Record<string, ort.Tensor>, feeds: Record<string, ort.Tensor>): Promise<void> {
  const reference = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const expected = await reference.run(feeds);
  await reference.release();
  expect(Object.keys(outputs).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, want] of Object.entries(expected)) {
    const got = outputs[name];
    expect(got.dims, name).toEqual(want.dims);
    expect(got.type, name).toBe(want.type);
    const data = got.location === 'cpu' ? got.data : await got.getData();
    expect(Array.from(data as ArrayLike<number | bigint>), name).toEqual(Array.from(want.data as ArrayLike<number | bigint>));
  }
}

function feeds(ort: Ort, seed: number): Record<string, ort.Tensor> {
  return { x: new ort.Tensor('float32', randomFloats(2 * 3 * 6 * 8, seed), [2, 3, 6, 8]) };
}

// Vitest's type-only namespace for the tensors above.
import type * as ort from 'onnxruntime-web/webgpu';

describe.each(ORT_VERSIONS)('device lifetime on $name', ({ ort }) => {
  it('runs a graph with no ORT part twice', async () => {
    const bytes = poolingOnlyModel();
    const session = await InferenceSession.create(bytes, { ort, executionProviders: ['webgpu'] });
    expect(session.steps).toEqual(['MaxPool node "pool"', 'MaxUnpool node "unpool"']);
    await expectLikeWasm(ort, bytes, await session.run(feeds(ort, 1)), feeds(ort, 1));
    await expectLikeWasm(ort, bytes, await session.run(feeds(ort, 2)), feeds(ort, 2));
    await session.release();
  });

  it('creates, releases and creates again', async () => {
    for (const bytes of [poolingOnlyModel(), withOrtPartModel()]) {
      const first = await InferenceSession.create(bytes, { ort, executionProviders: ['webgpu'] });
      await expectLikeWasm(ort, bytes, await first.run(feeds(ort, 3)), feeds(ort, 3));
      await first.release();
      const second = await InferenceSession.create(bytes, { ort, executionProviders: ['webgpu'] });
      await expectLikeWasm(ort, bytes, await second.run(feeds(ort, 4)), feeds(ort, 4));
      await second.release();
    }
  });

  it('runs two adapter sessions at once, and one after the other is released', async () => {
    const a = await InferenceSession.create(withOrtPartModel(), { ort, executionProviders: ['webgpu'] });
    const b = await InferenceSession.create(poolingOnlyModel(), { ort, executionProviders: ['webgpu'] });
    expect(a.device).toBe(b.device);
    const [outA, outB] = await Promise.all([a.run(feeds(ort, 5)), b.run(feeds(ort, 6))]);
    await expectLikeWasm(ort, withOrtPartModel(), outA, feeds(ort, 5));
    await expectLikeWasm(ort, poolingOnlyModel(), outB, feeds(ort, 6));
    await a.release();
    await expectLikeWasm(ort, poolingOnlyModel(), await b.run(feeds(ort, 7)), feeds(ort, 7));
    await b.release();
  });

  it('keeps working when the application creates and releases a plain ORT WebGPU session', async () => {
    const bytes = withOrtPartModel();
    const session = await InferenceSession.create(bytes, { ort, executionProviders: ['webgpu'] });
    await expectLikeWasm(ort, bytes, await session.run(feeds(ort, 8)), feeds(ort, 8));

    const plainBytes = new GraphBuilder(9).input('x', [2, 3, 6, 8]).node('Relu', ['x'], ['y']).output('y').build();
    const plain = await ort.InferenceSession.create(plainBytes, { executionProviders: ['webgpu'] });
    expect(await ort.env.webgpu.device).toBe(session.device);
    await plain.run(feeds(ort, 9));
    await plain.release();
    const lost = await Promise.race([session.device!.lost.then((info) => info.reason), new Promise((r) => setTimeout(() => r('alive'), 500))]);
    expect(lost).toBe('alive');

    await expectLikeWasm(ort, bytes, await session.run(feeds(ort, 10)), feeds(ort, 10));
    await session.release();
    const again = await InferenceSession.create(poolingOnlyModel(), { ort, executionProviders: ['webgpu'] });
    await expectLikeWasm(ort, poolingOnlyModel(), await again.run(feeds(ort, 11)), feeds(ort, 11));
    await again.release();
  });

  it('keeps GPU-buffer outputs valid after release, until they are disposed', async () => {
    const bytes = withOrtPartModel();
    const session = await InferenceSession.create(bytes, { ort, executionProviders: ['webgpu'], preferredOutputLocation: 'gpu-buffer' });
    const outputs = await session.run(feeds(ort, 12));
    for (const tensor of Object.values(outputs)) expect(tensor.location).toBe('gpu-buffer');
    await session.release();
    // Nothing else holds ORT's device now but these outputs.
    await expectLikeWasm(ort, bytes, outputs, feeds(ort, 12));
    for (const tensor of Object.values(outputs)) tensor.dispose();
  });
});
