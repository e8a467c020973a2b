// One page that uses every entry point the way an application does: the core (pool + unpool), the
// ONNX Runtime Web adapter on a MaxPool (with Indices) -> MaxUnpool model, the TensorFlow.js ops with
// the union package on the webgpu and cpu backends, and the Keras SegNet layers in a tf.model. Bundled by Vite (dev server and build),
// esbuild and webpack, and loaded unbundled through an import map; it stores what it read back in
// `window.result`, or the error in `window.failure`.
import { ArgPool, cpu } from 'argpool';
import { InferenceSession } from 'argpool/onnxruntime-web';
import { maxPoolWithIndices, maxUnpool } from 'argpool/tfjs';
import { MaxPoolingWithArgmax2D, MaxUnpooling2D } from 'argpool/tfjs-layers';
import * as ort from 'onnxruntime-web/webgpu';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';

const X = [1, 2, 3, 4, 5, 6, 7, 8, 9];

async function core() {
  const ap = await ArgPool.create();
  const x = ap.tensor(new Float32Array(X), [1, 1, 3, 3]);
  const { values, indices } = ap.maxPool(x, { kernelSize: 2, stride: 1 });
  const y = ap.maxUnpool(values, indices, { kernelSize: 2, stride: 1, outputSize: [3, 3] });
  const result = { values: [...(await values.read())], indices: [...(await indices.read())], unpooled: [...(await y.read())] };
  const reference = cpu.maxPool({ data: new Float32Array(X), shape: [1, 1, 3, 3] }, { kernelSize: 2, stride: 1 });
  result.reference = { values: [...reference.values.data], indices: [...reference.indices.data] };
  ap.destroy();
  return result;
}

async function onnx() {
  // ONNX Runtime's wasm files, copied next to the page as its documentation says for bundled apps.
  ort.env.wasm.wasmPaths = new URL('./ort/', document.baseURI).href;
  ort.env.wasm.numThreads = 1;
  const model = new Uint8Array(await (await fetch(new URL('./pool-unpool.onnx', document.baseURI))).arrayBuffer());
  const session = await InferenceSession.create(model, { ort, executionProviders: ['webgpu'] });
  const x = new ort.Tensor('float32', Float32Array.from(X), [1, 1, 3, 3]);
  const out = await session.run({ x });
  const result = { values: [...out.y.data], indices: [...out.i.data].map(Number), unpooled: [...out.u.data], steps: [...session.steps] };
  for (const tensor of Object.values(out)) tensor.dispose();
  await session.release();
  return result;
}

async function tfjs(backend) {
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend ${backend} failed to start`);
  await tf.ready();
  const x = tf.tensor4d(X, [1, 3, 3, 1]);
  const { values, indices } = maxPoolWithIndices(x, { kernelSize: 2, stride: 1 });
  const y = maxUnpool(values, indices, { kernelSize: 2, stride: 1, outputSize: [3, 3] });
  const result = { backend: tf.getBackend(), values: [...(await values.data())], indices: [...(await indices.data())], unpooled: [...(await y.data())] };
  tf.dispose([x, values, indices, y]);
  return result;
}

async function keras(backend) {
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend ${backend} failed to start`);
  const input = tf.input({ shape: [4, 4, 1] });
  const [pooled, argmax] = new MaxPoolingWithArgmax2D({ poolSize: 2, strides: 2, padding: 'same' }).apply(input);
  const unpooled = new MaxUnpooling2D({ size: 2 }).apply([pooled, argmax]);
  const model = tf.model({ inputs: input, outputs: [pooled, argmax, unpooled] });
  const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i + 1), [1, 4, 4, 1]);
  const outputs = model.predict(x);
  const [values, indices, restored] = await Promise.all(outputs.map((t) => t.data()));
  tf.dispose([x, ...outputs]);
  return { backend: tf.getBackend(), values: [...values], argmax: [...indices], unpooled: [...restored] };
}

try {
  window.result = {
    core: await core(),
    onnx: await onnx(),
    tfjs: { webgpu: await tfjs('webgpu'), cpu: await tfjs('cpu') },
    keras: { webgpu: await keras('webgpu'), cpu: await keras('cpu') },
  };
} catch (error) {
  window.failure = String((error && error.stack) || error);
}
