/**
 * Per-device compute pipeline cache. The key (a program plan's `cacheKey`) holds only what changes the
 * compiled pipeline: the program, the text its float storage gives (src/programs/storage.ts) and its
 * override constants. A WeakMap keeps a destroyed device collectable.
 */
import { programOf, type ProgramPlan } from './plan.js';
import { programWgsl } from './programs/storage.js';

const cache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

export function getPipeline(device: GPUDevice, program: Pick<ProgramPlan, 'shader' | 'float' | 'constants' | 'cacheKey'>): GPUComputePipeline {
  let perDevice = cache.get(device);
  if (!perDevice) {
    perDevice = new Map();
    cache.set(device, perDevice);
  }
  let pipeline = perDevice.get(program.cacheKey);
  if (!pipeline) {
    const name = program.shader;
    const module = device.createShaderModule({ label: program.float === 'float32' ? name : `${name} (${program.float})`, code: programWgsl(programOf(program), program.float) });
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
