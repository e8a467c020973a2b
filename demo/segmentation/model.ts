/**
 * The trained SegNet (models/segnet-shapes.onnx) on three paths, on the same image:
 * - 'argpool': the `argpool/onnxruntime-web` adapter (ORT's WebGPU provider runs the convolutions,
 *   argpool runs MaxPool-with-Indices and MaxUnpool on ORT's device; indices stay on the GPU);
 * - 'ortWebgpu': ORT's own WebGPU provider with the MaxPool nodes forced to the CPU
 *   (`forceCpuNodeNames`: its WebGPU MaxPool has no Indices output; MaxUnpool has no WebGPU kernel,
 *   so ORT puts it on the CPU itself);
 * - 'ortWasm': ORT's wasm provider (CPU), the reference the other two are compared with.
 *
 * Each encoder level's MaxPool outputs (pooled values and Indices) are added to the graph's outputs
 * before the sessions are made, so that every path returns them and the page can show which tap of
 * each window won (and which windows were all zeros after the ReLU, where the first tap wins a tie).
 */
import * as ort from 'onnxruntime-web/webgpu';
import { InferenceSession, type StepTiming } from '../../src/onnxruntime-web/index';
import { Attributes, DataType, decodeModel, encodeModel } from '../../src/onnxruntime-web/onnx';

export const PATH_NAMES = ['argpool', 'ortWebgpu', 'ortWasm'] as const;
export type PathName = (typeof PATH_NAMES)[number];

export const PATH_LABELS: Record<PathName, string> = {
  argpool: 'argpool adapter (ORT WebGPU + argpool pooling)',
  ortWebgpu: 'ORT WebGPU, pooling forced to the CPU',
  ortWasm: 'ORT wasm (CPU)',
};

/** One encoder level's MaxPool, as the graph declares it. */
export interface PoolLevel {
  node: string;
  /** The pooled values and the Indices, both added to the graph outputs. */
  values: string;
  indices: string;
  kernel: [number, number];
  stride: [number, number];
}

export interface EditedModel {
  /** The model with every level's pooled values and Indices among its outputs. */
  bytes: Uint8Array;
  inputName: string;
  logitsName: string;
  levels: PoolLevel[];
}

/**
 * Adds both outputs of every MaxPool node with Indices to the graph outputs (float32 values, int64
 * indices, shapes left to ORT), parsed and written with the adapter's own protobuf module.
 */
export function withPoolingOutputs(bytes: Uint8Array): EditedModel {
  const model = decodeModel(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('segmentation: the model has no graph');
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputName = (graph.input ?? []).map((v) => v.name ?? '').find((name) => !initializers.has(name));
  const logitsName = graph.output?.[0]?.name;
  if (!inputName || !logitsName) throw new Error('segmentation: the model needs one image input and a logits output');
  const levels: PoolLevel[] = [];
  for (const node of graph.node ?? []) {
    if (node.opType !== 'MaxPool' || !node.output?.[1] || !node.output[0]) continue;
    const attributes = new Attributes(node, `MaxPool node ${JSON.stringify(node.name)}`);
    const kernel = attributes.ints('kernel_shape') ?? [1, 1];
    const stride = attributes.ints('strides') ?? [1, 1];
    levels.push({ node: node.name ?? '', values: node.output[0], indices: node.output[1], kernel: [kernel[0], kernel[1]], stride: [stride[0], stride[1]] });
  }
  if (levels.length === 0) throw new Error('segmentation: the model has no MaxPool node with an Indices output');
  const declared = new Set((graph.output ?? []).map((v) => v.name));
  const extra = levels
    .flatMap((level) => [
      { name: level.values, type: { tensorType: { elemType: DataType.FLOAT } } },
      { name: level.indices, type: { tensorType: { elemType: DataType.INT64 } } },
    ])
    .filter((info) => !declared.has(info.name));
  const edited = encodeModel({ ...model, graph: { ...graph, output: [...(graph.output ?? []), ...extra] } });
  return { bytes: edited, inputName, logitsName, levels };
}

export interface PathResult {
  path: PathName;
  /** Per-pixel class: the first largest of the four logits. */
  labels: Uint8Array;
  /** Each level's indices as ONNX returns them (flat over the pooling input), as numbers. */
  indices: { data: Float64Array; dims: number[] }[];
  /** Each level's pooled values, [1, C, h, w]. */
  pooled: Float32Array[];
  /** Wall time of one plain run, image on the CPU in, outputs on the CPU out. */
  ms: number;
  /** Whether this was the path's first run (which includes compiling its shaders). */
  first: boolean;
  /** 'argpool' only: a second run, timed step by step (`runTimed`, the GPU waited on after each step). */
  steps?: StepTiming[];
}

export interface Paths {
  model: EditedModel;
  /** Paths that could be created, in the order they run. */
  available: PathName[];
  /** Why a path is missing, by path. */
  missing: Partial<Record<PathName, string>>;
  device: GPUDevice | null;
  run(path: PathName, image: Float32Array): Promise<PathResult>;
  release(): Promise<void>;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates the sessions: wasm always; the two WebGPU paths when `webgpu` is true. A path that fails
 * to start is reported in `missing` and left out, so the page stays usable with what remains.
 */
export async function createPaths(modelBytes: Uint8Array, webgpu: boolean, onProgress: (text: string) => void): Promise<Paths> {
  ort.env.wasm.numThreads = 1;
  // ORT's warnings (node placement on the CPU, by design here) would reach the console as errors.
  ort.env.logLevel = 'error';
  const model = withPoolingOutputs(modelBytes);
  const missing: Partial<Record<PathName, string>> = {};
  const sessionOptions = { logSeverityLevel: 3 as const };

  onProgress('Creating the ORT wasm session…');
  const wasm = await ort.InferenceSession.create(model.bytes, { ...sessionOptions, executionProviders: ['wasm'] });
  let adapter: InferenceSession | null = null;
  let fallback: ort.InferenceSession | null = null;
  let device: GPUDevice | null = null;
  if (webgpu) {
    try {
      onProgress('Creating the argpool adapter session (ORT WebGPU parts + argpool)…');
      adapter = await InferenceSession.create(model.bytes, { ort, ...sessionOptions, executionProviders: ['webgpu'] });
      device = (await ort.env.webgpu.device) as GPUDevice;
    } catch (error) {
      missing.argpool = `the argpool adapter could not start: ${message(error)}`;
    }
    try {
      onProgress('Creating the ORT WebGPU session (pooling forced to the CPU)…');
      fallback = await ort.InferenceSession.create(model.bytes, {
        ...sessionOptions,
        executionProviders: [{ name: 'webgpu', forceCpuNodeNames: model.levels.map((l) => l.node) } as ort.InferenceSession.ExecutionProviderConfig],
      });
      device ??= ((await ort.env.webgpu.device) as GPUDevice | undefined) ?? null;
    } catch (error) {
      missing.ortWebgpu = `ORT's WebGPU provider could not start: ${message(error)}`;
    }
  } else {
    missing.argpool = missing.ortWebgpu = 'no WebGPU in this browser';
  }

  const available = PATH_NAMES.filter((p) => (p === 'argpool' ? adapter : p === 'ortWebgpu' ? fallback : wasm));
  const feedsOf = (image: Float32Array) => ({ [model.inputName]: new ort.Tensor('float32', image, [1, 3, 128, 128]) });

  const ran = new Set<PathName>();
  const collect = (path: PathName, outputs: Record<string, ort.Tensor>, ms: number, steps?: StepTiming[]): PathResult => {
    const first = !ran.has(path);
    ran.add(path);
    const logits = outputs[model.logitsName];
    const result: PathResult = {
      path,
      labels: argmaxClasses(logits.data as Float32Array, logits.dims as number[]),
      indices: model.levels.map((level) => {
        const tensor = outputs[level.indices];
        if (!tensor) throw new Error(`${PATH_LABELS[path]}: output ${JSON.stringify(level.indices)} is missing`);
        return { data: Float64Array.from(tensor.data as BigInt64Array, (v) => Number(v)), dims: tensor.dims as number[] };
      }),
      pooled: model.levels.map((level) => {
        const tensor = outputs[level.values];
        if (!tensor) throw new Error(`${PATH_LABELS[path]}: output ${JSON.stringify(level.values)} is missing`);
        return (tensor.data as Float32Array).slice();
      }),
      ms,
      first,
      steps,
    };
    for (const tensor of Object.values(outputs)) tensor.dispose();
    return result;
  };

  async function run(path: PathName, image: Float32Array): Promise<PathResult> {
    const feeds = feedsOf(image);
    if (path === 'argpool') {
      if (!adapter) throw new Error(missing.argpool);
      const start = performance.now();
      const outputs = await adapter.run(feeds);
      const ms = performance.now() - start;
      for (const tensor of Object.values(outputs)) tensor.dispose();
      const timed = await adapter.runTimed(feeds);
      return collect(path, timed.outputs, ms, timed.steps);
    }
    const session = path === 'ortWebgpu' ? fallback : wasm;
    if (!session) throw new Error(missing[path]);
    const start = performance.now();
    const outputs = (await session.run(feeds)) as Record<string, ort.Tensor>;
    return collect(path, outputs, performance.now() - start);
  }

  return {
    model,
    available,
    missing,
    device,
    run,
    async release() {
      await adapter?.release();
      await fallback?.release();
      await wasm.release();
    },
  };
}

/** The class of each pixel: the first largest logit over the class planes of [1, K, H, W]. */
export function argmaxClasses(logits: Float32Array, dims: readonly number[]): Uint8Array {
  const [, classes, height, width] = dims;
  const plane = height * width;
  const labels = new Uint8Array(plane);
  for (let p = 0; p < plane; p++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[c * plane + p] > logits[best * plane + p]) best = c;
    labels[p] = best;
  }
  return labels;
}

/** Share of equal entries. */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`agreement: lengths differ (${a.length} and ${b.length})`);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** Share of equal indices over all levels. */
export function indicesAgreement(a: PathResult, b: PathResult): number {
  let same = 0;
  let count = 0;
  a.indices.forEach((level, l) => {
    const other = b.indices[l].data;
    for (let i = 0; i < level.data.length; i++) if (level.data[i] === other[i]) same++;
    count += level.data.length;
  });
  return same / count;
}
