/**
 * In-page side of `node bench/onnx.mjs`: one SegNet model, run per call by
 * - the argpool adapter (`argpool/onnxruntime-web`): ORT parts on the WebGPU provider, pooling and
 *   unpooling in argpool on ORT's device;
 * - ORT's WebGPU provider alone, with the MaxPool-with-Indices nodes forced to the CPU
 *   (`forceCpuNodeNames`; MaxUnpool has no WebGPU kernel, so ORT puts it on the CPU itself);
 * - ORT's wasm provider (CPU), which is also the correctness reference.
 * Each run takes the input from the CPU and returns the output to it; the three paths take turns, run
 * by run, so that other load on the machine falls on all of them alike. The adapter's time is also
 * split into its ORT parts and argpool operations with `runTimed` (the GPU is waited for after
 * every step there, so those steps add up to more than a plain run).
 */
import * as ort from 'onnxruntime-web/webgpu';
import { InferenceSession, type StepTiming } from '../src/onnxruntime-web/index';
import { log, summary, type PathTiming } from './ort-timing';
import { planModel } from '../src/onnxruntime-web/plan';
import { randomFloats, segnetBenchModel } from '../models/graphs';

export interface OnnxBenchConfig {
  levels: number;
  convs: number;
  height: number;
  width: number;
  runs: number;
  warmup: number;
  /** Bytes of a model to run instead of the built SegNet (its first input is fed random floats). */
  model?: number[];
  modelName?: string;
}

declare global {
  interface Window {
    __onnxBenchReady?: boolean;
    __runOnnxBench?: (config: OnnxBenchConfig) => Promise<unknown>;
  }
}

/** Largest error relative to the reference output's scale, over every float output. */
function worstRelativeError(actual: Record<string, ort.Tensor>, expected: Record<string, ort.Tensor>): number {
  let worst = 0;
  for (const [name, want] of Object.entries(expected)) {
    if (want.type !== 'float32') continue;
    const a = actual[name].data as Float32Array;
    const e = want.data as Float32Array;
    const scale = e.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
    for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]) / scale);
  }
  return worst;
}

async function runOnnxBench(config: OnnxBenchConfig) {
  ort.env.wasm.numThreads = 1;
  const built = segnetBenchModel(config.levels, config.height, config.width, config.convs);
  const bytes = config.model ? new Uint8Array(config.model) : built.bytes;
  const probe = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const inputMeta = probe.inputMetadata[0];
  const dims = inputMeta.isTensor && inputMeta.shape.every((d) => typeof d === 'number' && d > 0) ? (inputMeta.shape as number[]) : built.input;
  const feeds = { [probe.inputNames[0]]: new ort.Tensor('float32', randomFloats(dims.reduce((a, b) => a * b, 1), 5), dims) };
  await probe.release();

  log(`model: ${config.modelName ?? `SegNet, ${config.levels} levels, ${config.convs} conv per block`}, input ${dims.join('x')}, ${config.runs} runs after ${config.warmup} warm-up`);

  const wasm = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const adapter = await InferenceSession.create(bytes, { ort, executionProviders: ['webgpu'] });
  const device = (await ort.env.webgpu.device) as GPUDevice;
  const poolNodes = config.model ? poolingNodeNames(bytes) : built.poolNodes;
  const fallback = await ort.InferenceSession.create(bytes, {
    executionProviders: [{ name: 'webgpu', forceCpuNodeNames: poolNodes } as ort.InferenceSession.ExecutionProviderConfig],
  });
  // The paths take turns run by run, so that load from elsewhere on the machine falls on all of them.
  const paths = {
    ortWasm: () => wasm.run(feeds) as Promise<Record<string, ort.Tensor>>,
    adapter: () => adapter.run(feeds),
    ortWebgpuPoolingOnCpu: () => fallback.run(feeds) as Promise<Record<string, ort.Tensor>>,
  };
  const times: Record<string, number[]> = { ortWasm: [], adapter: [], ortWebgpuPoolingOnCpu: [] };
  const last: Record<string, Record<string, ort.Tensor>> = {};
  for (let i = 0; i < config.warmup + config.runs; i++) {
    for (const [name, run] of Object.entries(paths)) {
      const start = performance.now();
      last[name] = await run();
      if (i >= config.warmup) times[name].push(performance.now() - start);
    }
  }
  const timing = Object.fromEntries(Object.entries(times).map(([name, list]) => [name, summary(list)])) as Record<keyof typeof paths, PathTiming>;
  for (const name of Object.keys(paths) as (keyof typeof paths)[]) log(`${name}: median ${timing[name].medianMs.toFixed(2)} ms`);

  const split: StepTiming[][] = [];
  for (let i = 0; i < config.runs; i++) split.push((await adapter.runTimed(feeds)).steps);
  const medianOf = (values: number[]) => summary(values).medianMs;
  const perStep = split[0].map((step, s) => ({
    label: step.label,
    kind: step.kind,
    ms: medianOf(split.map((run) => run[s].ms)),
    gpuMs: step.gpuMs === undefined ? undefined : medianOf(split.map((run) => run[s].gpuMs!)),
  }));
  const sum = (kind: string, key: 'ms' | 'gpuMs') => perStep.filter((s) => s.kind === kind).reduce((a, s) => a + (s[key] ?? 0), 0);
  const adapterSplit = { ortPartsMs: sum('ort', 'ms'), argpoolMs: sum('argpool', 'ms'), argpoolGpuMs: sum('argpool', 'gpuMs'), steps: perStep };
  log(`adapter split: ORT parts ${adapterSplit.ortPartsMs.toFixed(2)} ms, argpool ${adapterSplit.argpoolMs.toFixed(2)} ms (GPU ${adapterSplit.argpoolGpuMs.toFixed(3)} ms)`);
  await adapter.release();
  await fallback.release();
  await wasm.release();

  const info = device.adapterInfo;
  return {
    model: config.modelName ?? `SegNet, ${config.levels} levels, ${config.convs} Conv+BN+Relu per level and side, 8-${8 << (config.levels - 1)} channels (models/graphs.ts)`,
    input: dims,
    adapterInfo: `${info.vendor} ${info.architecture} ${info.description}`.trim(),
    ortVersion: ort.env.versions.web,
    wasmThreads: 1,
    paths: timing,
    adapterSplit,
    worstRelativeError: {
      adapter: worstRelativeError(last.adapter, last.ortWasm),
      ortWebgpuPoolingOnCpu: worstRelativeError(last.ortWebgpuPoolingOnCpu, last.ortWasm),
    },
  };
}

/** Names of the MaxPool nodes with an Indices output, for forceCpuNodeNames (parsed as the adapter parses). */
function poolingNodeNames(bytes: Uint8Array): string[] {
  const nodes = planModel(bytes).model.graph?.node ?? [];
  return nodes.filter((n) => n.opType === 'MaxPool' && n.output?.[1]).map((n) => n.name ?? '');
}

window.__runOnnxBench = runOnnxBench;
window.__onnxBenchReady = true;
