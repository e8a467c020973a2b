#!/usr/bin/env node
// Runs an ONNX model on ONNX Runtime's CPU provider (onnxruntime-node) over a batch of images, one
// run per image, for the Python scripts beside this file (export.py, golden.py). Install it first with
// `npm install --no-save --ignore-scripts onnxruntime-node@1.30.0` (not a dev dependency: its install
// script fetches GPU builds from outside the npm registry, and `npm ci` would run it).
//
// Usage: node models/training/ort_run.mjs MODEL.onnx IMAGES.f32 COUNT LOGITS.f32
//   IMAGES.f32: COUNT images, float32 little-endian [COUNT, 3, 128, 128]
//   LOGITS.f32: written, float32 little-endian [COUNT, 4, 128, 128] (the `logits` output)
import { readFileSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [modelPath, imagesPath, countText, logitsPath] = process.argv.slice(2);
if (!logitsPath) {
  console.error('usage: node ort_run.mjs MODEL.onnx IMAGES.f32 COUNT LOGITS.f32');
  process.exit(2);
}
const count = Number(countText);
const imageSize = 3 * 128 * 128;
const bytes = readFileSync(imagesPath);
if (bytes.byteLength !== count * imageSize * 4) {
  throw new Error(`ort_run: ${imagesPath} holds ${bytes.byteLength} bytes, expected ${count * imageSize * 4}`);
}
const images = new Float32Array(bytes.buffer, bytes.byteOffset, count * imageSize);
const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], intraOpNumThreads: 2 });
const out = [];
for (let i = 0; i < count; i++) {
  const image = new ort.Tensor('float32', images.slice(i * imageSize, (i + 1) * imageSize), [1, 3, 128, 128]);
  const { logits } = await session.run({ image });
  if (logits.dims.join('x') !== '1x4x128x128') throw new Error(`ort_run: logits dims ${logits.dims}`);
  out.push(Buffer.from(logits.data.buffer, logits.data.byteOffset, logits.data.byteLength));
}
writeFileSync(logitsPath, Buffer.concat(out));
console.log(`ort_run: ${count} images through ${modelPath} on onnxruntime-node ${ort.env.versions.node} (cpu)`);
