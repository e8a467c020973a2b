/**
 * The ONNX Runtime Web adapter on a float16 graph of pooling only (MaxPool with Indices feeding
 * MaxUnpool), which needs no float16 kernel of ORT's own, so it runs on adapters without
 * 'shader-f16' (SwiftShader): argpool's float16 kernels against the CPU reference, bit for bit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type * as ortTypes from 'onnxruntime-web/webgpu';
import { cpu } from 'argpool';
import { InferenceSession } from 'argpool/onnxruntime-web';
import { DataType } from '../../src/onnxruntime-web/onnx';
import { expectHalfBitsEqual } from '../compare';
import { makeHalfValues } from '../data';
import { GraphBuilder } from '../../models/graphs';
import { ORT_VERSIONS } from './versions';

const sessions: { release(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

const SHAPE = [2, 3, 6, 7];
/** One larger than the pooling input: MaxUnpool then scatters ONNX's flat indices over the whole output. */
const LARGER = [2, 3, 7, 8];
const POOL = { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] };

/** X (float16) -> MaxPool (Y, I) -> MaxUnpool back to X's shape, and MaxUnpool to a larger shape. */
function float16PoolingModel(): Uint8Array {
  return new GraphBuilder()
    .input('x', SHAPE, DataType.FLOAT16)
    .int64s('same_shape', SHAPE)
    .int64s('larger_shape', LARGER)
    .node('MaxPool', ['x'], ['y', 'i'], POOL, 'pool')
    .node('MaxUnpool', ['y', 'i', 'same_shape'], ['back'], POOL, 'unpool')
    .node('MaxUnpool', ['y', 'i', 'larger_shape'], ['larger'], POOL, 'unpool_larger')
    .output('y', DataType.FLOAT16)
    .output('i', DataType.INT64)
    .output('back', DataType.FLOAT16)
    .output('larger', DataType.FLOAT16)
    .build();
}

async function bitsOf(tensor: ortTypes.Tensor): Promise<Uint16Array> {
  const data = (tensor.location === 'cpu' ? tensor.data : await tensor.getData()) as Uint16Array;
  return new Uint16Array(data.buffer, data.byteOffset, data.length);
}

describe.each(ORT_VERSIONS)('float16 pooling graph on $name', ({ ort, oldest }) => {
  for (const location of ['cpu', 'gpu-buffer'] as const) {
    it(`runs MaxPool with Indices and MaxUnpool on float16 with argpool's kernels (outputs on ${location})`, async () => {
      const session = await InferenceSession.create(float16PoolingModel(), { ort, executionProviders: ['webgpu'], preferredOutputLocation: location });
      sessions.push(session);
      expect(session.steps).toEqual(['MaxPool node "pool"', 'MaxUnpool node "unpool"', 'MaxUnpool node "unpool_larger"']);
      expect(session.nan).toBe(oldest ? 'ignore' : 'first');
      const count = SHAPE.reduce((a, b) => a * b, 1);
      for (const kind of ['special', 'nan', 'random'] as const) {
        const bits = makeHalfValues(kind, count, 17);
        const outputs = await session.run({ x: new ort.Tensor('float16', bits, SHAPE) });

        const options = { kernelSize: 3, stride: 2, padding: 1, indexFormat: 'flat' } as const;
        // The NaN rule of the ORT version's own CPU kernel ('first' from 1.29, 'ignore' before).
        const pooled = cpu.maxPool({ data: bits, shape: SHAPE }, { ...options, nan: session.nan });
        for (const name of ['y', 'back', 'larger']) expect(outputs[name].type, name).toBe('float16');
        expect(outputs.i.type).toBe('int64');
        expect(outputs.y.dims).toEqual(pooled.values.shape);
        expectHalfBitsEqual(await bitsOf(outputs.y), pooled.values.data, pooled.values.shape, `${kind}: Y`);
        const indices = (outputs.i.location === 'cpu' ? outputs.i.data : await outputs.i.getData()) as BigInt64Array;
        expect(Array.from(indices, Number)).toEqual(Array.from(pooled.indices.data));

        const back = cpu.maxUnpool(pooled.values, pooled.indices, { ...options, outputSize: SHAPE.slice(2) });
        expectHalfBitsEqual(await bitsOf(outputs.back), back.data, back.shape, `${kind}: MaxUnpool to X's shape`);
        // ONNX Runtime's MaxUnpool scatters each flat index over the whole output tensor, the last
        // in memory order winning; positions no index names hold +0.
        const larger = new Uint16Array(LARGER.reduce((a, b) => a * b, 1));
        pooled.indices.data.forEach((index, k) => (larger[index] = pooled.values.data[k]));
        expect(outputs.larger.dims).toEqual(LARGER);
        expectHalfBitsEqual(await bitsOf(outputs.larger), larger, LARGER, `${kind}: MaxUnpool to a larger shape`);
        for (const tensor of Object.values(outputs)) tensor.dispose();
      }
    });
  }
});
