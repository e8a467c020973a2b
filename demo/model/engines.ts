/**
 * The two engines of a run on the page (src/model/engines-*.ts), with the page's own modules, loaded
 * on first use: ONNX models through the argpool/onnxruntime-web adapter on ORT's WebGPU provider
 * against ORT's wasm provider (one `onnxruntime-web/webgpu` module, as the segmentation view uses);
 * TF.js layers models on TF.js's webgpu backend with argpool/tfjs-layers against its cpu backend.
 */
import type { Engine } from '../../src/model/run';
import type { ReadModel } from './files';

export async function createEngines(model: ReadModel): Promise<{ argpool: Engine; reference: Engine }> {
  if (model.onnx) {
    const [ort, { createOnnxEngines }] = await Promise.all([import('onnxruntime-web/webgpu'), import('../../src/model/engines-onnx')]);
    ort.env.wasm.numThreads = 1;
    // ORT's warnings (node placement on the CPU, by design here) would reach the console as errors.
    ort.env.logLevel = 'error';
    return createOnnxEngines(model.onnx, { ort, sessionOptions: { logSeverityLevel: 3 } });
  }
  const json = model.json!;
  const [tf, tfl, { registerLayers }, { createLayersEngines }] = await Promise.all([
    import('@tensorflow/tfjs-core'),
    import('@tensorflow/tfjs-layers'),
    import('../../src/tfjs-layers/index'),
    import('../../src/model/engines-layers'),
    import('@tensorflow/tfjs-backend-webgpu'),
    import('@tensorflow/tfjs-backend-cpu'),
  ]);
  registerLayers();
  const buffers = await Promise.all(json.weights.map((file) => file.arrayBuffer()));
  const weightData = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const buffer of buffers) {
    weightData.set(new Uint8Array(buffer), offset);
    offset += buffer.byteLength;
  }
  return createLayersEngines({
    tf,
    tfl,
    modelJson: json.parsed as Parameters<typeof createLayersEngines>[0]['modelJson'],
    weightData: weightData.buffer,
    outputNames: model.report.outputs.map((o) => o.name),
  });
}
