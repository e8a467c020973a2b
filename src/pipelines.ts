/**
 * Per-device compute pipeline cache. The key holds only what changes the compiled shader: the
 * shader's file name and its override constants. A WeakMap keeps a destroyed device collectable.
 */
const cache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

export function getPipeline(
  device: GPUDevice,
  shaderName: string,
  code: string,
  constants: Record<string, number>,
): GPUComputePipeline {
  let perDevice = cache.get(device);
  if (!perDevice) {
    perDevice = new Map();
    cache.set(device, perDevice);
  }
  const key = `${shaderName}|${Object.entries(constants).map(([k, v]) => `${k}=${v}`).join(',')}`;
  let pipeline = perDevice.get(key);
  if (!pipeline) {
    const module = device.createShaderModule({ label: shaderName, code });
    pipeline = device.createComputePipeline({
      label: key,
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants },
    });
    perDevice.set(key, pipeline);
  }
  return pipeline;
}

/** Number of pipelines compiled for a device (tests and benchmarks check that shapes share them). */
export function pipelineCount(device: GPUDevice): number {
  return cache.get(device)?.size ?? 0;
}
