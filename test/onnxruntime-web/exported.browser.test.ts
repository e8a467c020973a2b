/**
 * A graph as PyTorch's TorchScript exporter writes it (models/exported/enet.onnx: ENet, exported by
 * models/exported/export_enet.py with PyTorch 1.13): each max_pool2d(return_indices=True) is a MaxPool
 * with Indices plus a 1x1 MaxPool with Indices, Slice and Sub (per-plane indices), and each
 * max_unpool2d adds the plane offsets back (Range, Mul, Add) before MaxUnpool, whose output_shape the
 * graph computes (Shape, Slice, Gather, Concat). Batch, height and width are dynamic. It runs through
 * the adapter at two sizes in one session and at batch 2, against ORT's wasm provider on the unsplit
 * model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web/webgpu';
import { InferenceSession } from 'argpool/onnxruntime-web';
import modelUrl from '../../models/exported/enet.onnx?url';
import { randomFloats } from '../../models/graphs';

ort.env.wasm.numThreads = 1;

/**
 * Logits within 1e-5 of their scale (seen: at most 1.6e-7 here): ORT's WebGPU convolutions sum in
 * another order than its CPU ones, in float32. The labels must agree exactly: with random inputs no
 * pooling window holds two values as close as that rounding, which could otherwise let the two
 * providers pick different maxima.
 */
const TOLERANCE = 1e-5;

let bytes: Uint8Array;
let wasm: ort.InferenceSession;
let session: InferenceSession;

beforeAll(async () => {
  const response = await fetch(modelUrl);
  if (!response.ok) throw new Error(`fetch ${modelUrl}: ${response.status}`);
  bytes = new Uint8Array(await response.arrayBuffer());
  wasm = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  session = await InferenceSession.create(bytes, { ort, executionProviders: ['webgpu'] });
});

afterAll(async () => {
  await session?.release();
  await wasm?.release();
});

/** Runs one input through the adapter and ORT wasm; returns the adapter's logits after comparing them. */
async function compare(dims: [number, number, number, number], seed: number): Promise<void> {
  const image = randomFloats(dims.reduce((a, b) => a * b, 1), seed, 1);
  const { logits } = await session.run({ image: new ort.Tensor('float32', image, dims) });
  const reference = (await wasm.run({ image: new ort.Tensor('float32', image, dims) })).logits;
  expect(logits.dims).toEqual([dims[0], 12, dims[2], dims[3]]);
  expect(reference.dims).toEqual(logits.dims);
  const ours = logits.data as Float32Array;
  const theirs = reference.data as Float32Array;
  const scale = theirs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let worst = 0;
  for (let i = 0; i < theirs.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
  expect(scale).toBeGreaterThan(0);
  expect(worst / scale, `worst logit difference ${worst}, scale ${scale}`).toBeLessThanOrEqual(TOLERANCE);
  // Per-pixel classes (the argmax over the 12 logit maps) agree exactly.
  const [n, classes, h, w] = logits.dims as number[];
  const plane = h * w;
  let differ = 0;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < plane; p++) {
      const at = (m: Float32Array, c: number) => m[(b * classes + c) * plane + p];
      let mine = 0;
      let ref = 0;
      for (let c = 1; c < classes; c++) {
        if (at(ours, c) > at(ours, mine)) mine = c;
        if (at(theirs, c) > at(theirs, ref)) ref = c;
      }
      if (mine !== ref) differ++;
    }
  }
  expect(differ, `${differ} of ${n * plane} pixels labelled differently`).toBe(0);
}

describe('models/exported/enet.onnx (PyTorch 1.13 TorchScript export) through argpool/onnxruntime-web', () => {
  it("splits at the exporter's MaxPool-with-Indices pairs and the MaxUnpools", () => {
    const argpoolSteps = session.steps.filter((s) => s.startsWith('Max'));
    // Two downsampling bottlenecks (each a MaxPool and a 1x1 MaxPool with Indices), two upsampling ones.
    expect(argpoolSteps.filter((s) => s.startsWith('MaxPool '))).toHaveLength(4);
    expect(argpoolSteps.filter((s) => s.startsWith('MaxUnpool '))).toHaveLength(2);
    expect(session.steps.length).toBeGreaterThan(argpoolSteps.length);
  });

  it('runs at 16x24 and then 24x40 in the same session as ORT wasm does', async () => {
    await compare([1, 3, 16, 24], 11);
    await compare([1, 3, 24, 40], 12);
  });

  it('runs at batch 2 as ORT wasm does', async () => {
    await compare([2, 3, 16, 16], 13);
  });
});
