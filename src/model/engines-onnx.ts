/**
 * The two engines of an ONNX model: argpool's path (the `argpool/onnxruntime-web` adapter: ORT's
 * WebGPU provider runs the parts, argpool the pooling nodes, on one GPU device) and ORT's wasm
 * provider as the reference. The caller passes the ORT modules, so that this module imports none.
 */
import { InferenceSession, type Ort, type OrtTensor } from '../onnxruntime-web/index.js';
import type { StepTimingInfo } from './report.js';
import type { Engine, HostTensor } from './run.js';

export interface OnnxEngineOptions {
  /** The `onnxruntime-web/webgpu` module, whose WebGPU provider runs the adapter's ORT parts. */
  ort: Ort;
  /** The module whose wasm provider is the reference (default: `ort`). */
  referenceOrt?: Ort;
  /** Where the GPU is, for the labels: ' (Dawn)', ''. */
  where?: string;
  /** ORT's session options for both (e.g. `logSeverityLevel`). */
  sessionOptions?: Record<string, unknown>;
}

function feedsOf(ort: Ort, inputs: HostTensor[]): Record<string, OrtTensor> {
  const feeds: Record<string, OrtTensor> = {};
  for (const input of inputs) feeds[input.name] = new ort.Tensor(input.dtype as 'float32', input.data as Float32Array, input.shape);
  return feeds;
}

async function hostTensors(names: readonly string[], outputs: Record<string, OrtTensor>): Promise<HostTensor[]> {
  const tensors: HostTensor[] = [];
  for (const name of names) {
    const t = outputs[name];
    const data = (t.location === 'cpu' ? t.data : await t.getData()) as HostTensor['data'];
    tensors.push({ name, dtype: t.type, shape: [...t.dims], data });
    t.dispose();
  }
  return tensors;
}

/** Creates both engines; the reference first, so that a model ORT itself refuses fails before any GPU work. */
export async function createOnnxEngines(model: Uint8Array, options: OnnxEngineOptions): Promise<{ argpool: Engine; reference: Engine }> {
  const { ort, where = '' } = options;
  const referenceOrt = options.referenceOrt ?? ort;
  const sessionOptions = options.sessionOptions ?? {};
  const wasm = await referenceOrt.InferenceSession.create(model, { ...sessionOptions, executionProviders: ['wasm'] });
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(model, { ...sessionOptions, ort, executionProviders: ['webgpu'] });
  } catch (error) {
    await wasm.release();
    throw error;
  }
  const reference: Engine = {
    role: 'reference',
    label: "ORT wasm (CPU)",
    run: async (inputs) => hostTensors(wasm.outputNames, (await wasm.run(feedsOf(referenceOrt, inputs))) as Record<string, OrtTensor>),
    release: () => wasm.release(),
  };
  const argpool: Engine = {
    role: 'argpool',
    label: `argpool adapter: ORT WebGPU parts + argpool kernels${where}`,
    run: async (inputs) => hostTensors(session.outputNames, await session.run(feedsOf(ort, inputs))),
    async steps(inputs): Promise<StepTimingInfo[]> {
      const { outputs, steps } = await session.runTimed(feedsOf(ort, inputs));
      for (const t of Object.values(outputs)) t.dispose();
      return steps.map((s) => ({
        placement: s.kind === 'argpool' ? 'argpool' : / \(CPU\)$/.test(s.label) ? 'ort-cpu' : 'ort-webgpu',
        label: s.label,
        ms: s.ms,
        ...(s.gpuMs !== undefined ? { gpuMs: s.gpuMs } : {}),
      }));
    },
    release: () => session.release(),
  };
  return { argpool, reference };
}
