/**
 * Per-device compute pipeline cache. The key (a plan's `cacheKey`) holds only what changes the
 * compiled shader: the shader's file name, its float storage and its override constants. A WeakMap keeps a destroyed
 * device collectable.
 */
import type { ProgramPlan, ShaderName } from './plan.js';
import { shaderCode } from './shaders.js';

const cache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

export function getPipeline(device: GPUDevice, program: Pick<ProgramPlan, 'shader' | 'code' | 'constants' | 'cacheKey' | 'float'>): GPUComputePipeline {
  let perDevice = cache.get(device);
  if (!perDevice) {
    perDevice = new Map();
    cache.set(device, perDevice);
  }
  let pipeline = perDevice.get(program.cacheKey);
  if (!pipeline) {
    const code = program.code ?? shaderCode(program.shader as ShaderName, program.float);
    const label = program.float && program.float !== 'float32' ? `${program.shader} (${program.float})` : program.shader;
    const module = device.createShaderModule({ label, code });
    pipeline = device.createComputePipeline({
      label: program.cacheKey,
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants: program.constants },
    });
    perDevice.set(program.cacheKey, pipeline);
  }
  return pipeline;
}

/** Number of pipelines compiled for a device (tests and benchmarks check that shapes share them). */
export function pipelineCount(device: GPUDevice): number {
  return cache.get(device)?.size ?? 0;
}

/** Whether the pipeline of a cache key is compiled for a device already. */
export function hasPipeline(device: GPUDevice, cacheKey: string): boolean {
  return cache.get(device)?.has(cacheKey) ?? false;
}
