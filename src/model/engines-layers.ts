/**
 * The two engines of a TF.js layers model: argpool's path (tfjs's `webgpu` backend, where
 * argpool/tfjs-layers runs the Keras SegNet layers with argpool's kernels on tfjs's device) and
 * tfjs's `cpu` backend as the reference (tfjs's CPU kernels, argpool's CPU reference for the two
 * layers). One model is loaded per backend, since tfjs keeps a tensor on the backend that made it.
 * The caller passes the tfjs modules (and has imported argpool/tfjs-layers), so this module imports none.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfLayers from '@tensorflow/tfjs-layers';
import type { Engine, HostTensor } from './run.js';

export interface LayersEngineOptions {
  tf: typeof TfCore;
  tfl: typeof TfLayers;
  /** The parsed model.json. */
  modelJson: { modelTopology: object; weightsManifest?: { paths: string[]; weights: TfCore.io.WeightsManifestEntry[] }[]; format?: string };
  /** The weight files' bytes, concatenated in the manifest's order. */
  weightData: ArrayBuffer;
  /** The outputs' names, in the model's order (the report's). */
  outputNames: string[];
  /** Where the GPU is, for the labels: ' (Dawn)', ''. */
  where?: string;
}

/** Loads the model on `backend` and returns an engine that runs it there. */
async function engineOn(backend: 'webgpu' | 'cpu', role: Engine['role'], label: string, options: LayersEngineOptions): Promise<Engine> {
  const { tf, tfl, modelJson } = options;
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js's ${backend} backend could not start`);
  await tf.ready();
  const model = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: (modelJson.weightsManifest ?? []).flatMap((group) => group.weights),
      weightData: options.weightData,
      format: modelJson.format,
    }),
  );
  return {
    role,
    label,
    async run(inputs: HostTensor[]): Promise<HostTensor[]> {
      await tf.setBackend(backend);
      const xs = inputs.map((input) => tf.tensor(input.data as Float32Array, input.shape, input.dtype === 'int32' ? 'int32' : 'float32'));
      const predicted = model.predict(xs.length === 1 ? xs[0] : xs);
      const ys = Array.isArray(predicted) ? predicted : [predicted];
      const data = await Promise.all(ys.map((y) => y.data()));
      const outputs = ys.map((y, i): HostTensor => ({ name: options.outputNames[i] ?? `output ${i}`, dtype: y.dtype, shape: y.shape, data: data[i] as Float32Array }));
      tf.dispose([...xs, ...ys]);
      return outputs;
    },
    async release() {
      model.dispose();
    },
  };
}

/** Loads the model twice, on tfjs's `webgpu` and `cpu` backends. */
export async function createLayersEngines(options: LayersEngineOptions): Promise<{ argpool: Engine; reference: Engine }> {
  const where = options.where ?? '';
  const argpool = await engineOn('webgpu', 'argpool', `argpool/tfjs-layers on TF.js webgpu${where}`, options);
  const reference = await engineOn('cpu', 'reference', "TF.js cpu (argpool's CPU reference for the two layers)", options);
  return { argpool, reference };
}
