/**
 * The trained model (models/segnet-shapes.onnx, a four-level SegNet exported from PyTorch) through the
 * adapter, against the golden logits that ONNX Runtime's CPU provider wrote (models/samples/).
 */
import { afterAll, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web/webgpu';
import { InferenceSession } from 'argpool/onnxruntime-web';
import manifest from '../../models/samples/samples.json';
import modelUrl from '../../models/segnet-shapes.onnx?url';
import imageUrl from '../../models/samples/sample-0.image.f32?url';
import logitsUrl from '../../models/samples/sample-0.logits.f32?url';
import labelsUrl from '../../models/samples/sample-0.labels.u8?url';

ort.env.wasm.numThreads = 1;

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetch ${url}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

let session: InferenceSession | null = null;
afterAll(async () => session?.release());

it('runs models/segnet-shapes.onnx on ORT WebGPU + argpool like ONNX Runtime on the CPU', async () => {
  session = await InferenceSession.create(await fetchBytes(modelUrl), { ort, executionProviders: ['webgpu'] });
  expect(session.steps.filter((s) => s.startsWith('Max'))).toEqual([
    'MaxPool node "pool1"', 'MaxPool node "pool2"', 'MaxPool node "pool3"', 'MaxPool node "pool4"',
    'MaxUnpool node "unpool4"', 'MaxUnpool node "unpool3"', 'MaxUnpool node "unpool2"', 'MaxUnpool node "unpool1"',
  ]);
  expect(manifest.samples[0].files).toMatchObject({ image: 'sample-0.image.f32', logits: 'sample-0.logits.f32', labels: 'sample-0.labels.u8' });
  const image = new Float32Array((await fetchBytes(imageUrl)).buffer);
  const golden = new Float32Array((await fetchBytes(logitsUrl)).buffer);
  const labels = await fetchBytes(labelsUrl);
  const { logits } = await session.run({ image: new ort.Tensor('float32', image, manifest.input.dims) });
  expect(logits.dims).toEqual(manifest.output.dims);
  const data = logits.data as Float32Array;
  const scale = golden.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let worst = 0;
  for (let i = 0; i < golden.length; i++) worst = Math.max(worst, Math.abs(data[i] - golden[i]));
  expect(worst / scale, `worst logit error ${worst}, scale ${scale}`).toBeLessThanOrEqual(1e-4);
  // Per-pixel classes: the argmax over the four logit maps.
  const [, classes, h, w] = manifest.output.dims;
  let differ = 0;
  for (let p = 0; p < h * w; p++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (data[c * h * w + p] > data[best * h * w + p]) best = c;
    if (best !== labels[p]) differ++;
  }
  expect(differ, `${differ} pixels labelled differently`).toBe(0);
});
