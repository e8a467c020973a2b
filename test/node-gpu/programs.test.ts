/**
 * Every program compiles, in every float storage it has, on this device (Dawn in Node): the module
 * the storage generator writes (declarations, includes, the kernel's own text) has no compilation
 * error, and a pipeline with its default constants is created inside a validation scope. Native
 * float16 compiles only where the adapter has 'shader-f16'; elsewhere it is the packed form's turn.
 */
import { create } from 'webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROGRAMS } from '../../src/plan';
import { hasFloats, type FloatStorage } from '../../src/programs/program';
import { programWgsl } from '../../src/programs/storage';

// Dawn frees its instance, devices included, when the GPU object is collected: keep it and the adapter.
let gpu: GPU;
let adapter: GPUAdapter | null;
let device: GPUDevice;
beforeAll(async () => {
  gpu = create([]);
  adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('The `webgpu` package found no adapter: run the tests with `npm test`, which points Dawn at SwiftShader');
  device = await adapter.requestDevice({ requiredFeatures: adapter.features.has('shader-f16') ? ['shader-f16'] : [] });
});
afterAll(() => device?.destroy());

describe('every program compiles in every storage it has', () => {
  for (const program of PROGRAMS) {
    it(program.name, async () => {
      const storages: FloatStorage[] = hasFloats(program) ? ['float32', 'float16-packed'] : ['float32'];
      if (hasFloats(program) && device.features.has('shader-f16')) storages.push('float16-native');
      for (const storage of storages) {
        device.pushErrorScope('validation');
        const module = device.createShaderModule({ label: `${program.name} ${storage}`, code: programWgsl(program, storage) });
        const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
        expect(errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`), `${program.name} ${storage}`).toEqual([]);
        device.createComputePipeline({ label: `${program.name} ${storage}`, layout: 'auto', compute: { module, entryPoint: 'main' } });
        const error = await device.popErrorScope();
        expect(error?.message ?? null, `${program.name} ${storage}`).toBeNull();
      }
    });
  }
});
