/**
 * In-page side of `node bench/segnet.mjs`: the trained SegNet (models/segnet-shapes.onnx, 1x3x128x128)
 * on generated "shapes" images, run per call by
 * - the argpool adapter (`argpool/onnxruntime-web`): ORT parts on the WebGPU provider, pooling and
 *   unpooling in argpool on ORT's device;
 * - ORT's WebGPU provider alone, with the MaxPool nodes forced to the CPU (`forceCpuNodeNames`;
 *   MaxUnpool has no WebGPU kernel, so ORT puts it on the CPU itself);
 * - ORT's wasm provider (CPU), the reference for the labels.
 * Each run takes a new image from the CPU and returns the logits to it; the paths take turns, run by
 * run, on the same image, so that other load on the machine falls on all of them alike. The
 * adapter's time is then split into ORT parts, argpool pooling and argpool unpooling with `runTimed`.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { InferenceSession, type StepTiming } from '../src/onnxruntime-web/index';
import { log, summary, type PathTiming } from './ort-timing';
import { generateShapes, imageSeed } from '../demo/segmentation/shapes';
import modelUrl from '../models/segnet-shapes.onnx?url';
import { benchTfjsSegnet } from './segnet-tfjs';

export interface SegnetBenchConfig {
  runs: number;
  warmup: number;
  /** Base seed of the images (image i is imageSeed(seed, i) of the shared generator). */
  seed: number;
}

declare global {
  interface Window {
    __segnetBenchReady?: boolean;
    __runSegnetBench?: (config: SegnetBenchConfig) => Promise<unknown>;
  }
}

/** The class of each pixel: the first largest of the logits [1, K, H, W]. */
function classes(logits: ort.Tensor): Uint8Array {
  const [, k, h, w] = logits.dims;
  const data = logits.data as Float32Array;
  const plane = h * w;
  const labels = new Uint8Array(plane);
  for (let p = 0; p < plane; p++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (data[c * plane + p] > data[best * plane + p]) best = c;
    labels[p] = best;
  }
  return labels;
}

function sameCount(a: Uint8Array, b: Uint8Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same;
}

async function runSegnetBench(config: SegnetBenchConfig) {
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  const response = await fetch(modelUrl);
  if (!response.ok) throw new Error(`fetch ${modelUrl}: ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());

  const wasm = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const inputName = wasm.inputNames[0];
  const outputName = wasm.outputNames[0];
  const adapter = await InferenceSession.create(bytes, { ort, executionProviders: ['webgpu'] });
  const device = (await ort.env.webgpu.device) as GPUDevice;
  const poolNodes = adapter.steps.filter((s) => s.startsWith('MaxPool node ')).map((s) => JSON.parse(s.slice('MaxPool node '.length)) as string);
  const fallback = await ort.InferenceSession.create(bytes, {
    executionProviders: [{ name: 'webgpu', forceCpuNodeNames: poolNodes } as ort.InferenceSession.ExecutionProviderConfig],
  });
  log(`model ${bytes.length} bytes, ${adapter.steps.length} adapter steps, pooling nodes ${poolNodes.join(', ')}; ${config.runs} runs after ${config.warmup} warm-up`);

  const paths = {
    ortWasm: (feeds: Record<string, ort.Tensor>) => wasm.run(feeds) as Promise<Record<string, ort.Tensor>>,
    adapter: (feeds: Record<string, ort.Tensor>) => adapter.run(feeds),
    ortWebgpuPoolingOnCpu: (feeds: Record<string, ort.Tensor>) => fallback.run(feeds) as Promise<Record<string, ort.Tensor>>,
  };
  type Path = keyof typeof paths;
  const times: Record<Path, number[]> = { ortWasm: [], adapter: [], ortWebgpuPoolingOnCpu: [] };
  const agree: Record<Path, number> = { ortWasm: 0, adapter: 0, ortWebgpuPoolingOnCpu: 0 };
  let pixels = 0;
  for (let i = 0; i < config.warmup + config.runs; i++) {
    const sample = generateShapes(imageSeed(config.seed, i));
    const feeds = { [inputName]: new ort.Tensor('float32', sample.image, [1, 3, 128, 128]) };
    const labels = {} as Record<Path, Uint8Array>;
    for (const [name, run] of Object.entries(paths) as [Path, (typeof paths)[Path]][]) {
      const start = performance.now();
      const outputs = await run(feeds);
      const ms = performance.now() - start;
      labels[name] = classes(outputs[outputName]);
      for (const tensor of Object.values(outputs)) tensor.dispose();
      if (i >= config.warmup) times[name].push(ms);
    }
    if (i >= config.warmup) {
      for (const name of Object.keys(paths) as Path[]) agree[name] += sameCount(labels[name], labels.ortWasm);
      pixels += labels.ortWasm.length;
    }
    log(`image ${i}${i < config.warmup ? ' (warm-up)' : ''}: adapter ${times.adapter.at(-1)?.toFixed(0) ?? '-'} ms, ORT webgpu ${times.ortWebgpuPoolingOnCpu.at(-1)?.toFixed(0) ?? '-'} ms, wasm ${times.ortWasm.at(-1)?.toFixed(1) ?? '-'} ms`);
  }
  const timing = Object.fromEntries(Object.entries(times).map(([name, list]) => [name, summary(list)])) as Record<Path, PathTiming>;

  const split: StepTiming[][] = [];
  for (let i = 0; i < config.runs; i++) {
    const sample = generateShapes(imageSeed(config.seed, i));
    const { outputs, steps } = await adapter.runTimed({ [inputName]: new ort.Tensor('float32', sample.image, [1, 3, 128, 128]) });
    for (const tensor of Object.values(outputs)) tensor.dispose();
    split.push(steps);
  }
  const medianOf = (values: number[]) => summary(values).medianMs;
  const perStep = split[0].map((step, s) => ({
    label: step.label,
    kind: step.kind,
    ms: medianOf(split.map((run) => run[s].ms)),
    gpuMs: step.gpuMs === undefined ? undefined : medianOf(split.map((run) => run[s].gpuMs!)),
  }));
  const sum = (pick: (s: (typeof perStep)[number]) => boolean, key: 'ms' | 'gpuMs') => perStep.filter(pick).reduce((a, s) => a + (s[key] ?? 0), 0);
  const pooling = (s: (typeof perStep)[number]) => s.kind === 'argpool' && s.label.startsWith('MaxPool');
  const unpooling = (s: (typeof perStep)[number]) => s.kind === 'argpool' && s.label.startsWith('MaxUnpool');
  const adapterSplit = {
    ortPartsMs: sum((s) => s.kind === 'ort', 'ms'),
    poolingMs: sum(pooling, 'ms'),
    poolingGpuMs: sum(pooling, 'gpuMs'),
    unpoolingMs: sum(unpooling, 'ms'),
    unpoolingGpuMs: sum(unpooling, 'gpuMs'),
    steps: perStep,
  };
  const tfjs = await benchTfjsSegnet(config, async (image) => {
    const outputs = (await wasm.run({ [inputName]: new ort.Tensor('float32', image, [1, 3, 128, 128]) })) as Record<string, ort.Tensor>;
    const labels = classes(outputs[outputName]);
    for (const tensor of Object.values(outputs)) tensor.dispose();
    return labels;
  });
  await adapter.release();
  await fallback.release();
  await wasm.release();

  const info = device.adapterInfo;
  return {
    model: 'models/segnet-shapes.onnx',
    modelBytes: bytes.length,
    input: [1, 3, 128, 128],
    images: `generated shapes, seeds imageSeed(${config.seed}, 0..${config.warmup + config.runs - 1})`,
    adapterInfo: `${info.vendor} ${info.architecture} ${info.description}`.trim(),
    ortVersion: ort.env.versions.web,
    wasmThreads: 1,
    paths: timing,
    adapterSplit,
    tfjs,
    labelAgreementWithWasm: {
      adapter: agree.adapter / pixels,
      ortWebgpuPoolingOnCpu: agree.ortWebgpuPoolingOnCpu / pixels,
    },
  };
}

window.__runSegnetBench = runSegnetBench;
window.__segnetBenchReady = true;
