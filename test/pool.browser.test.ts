/** GPU against the CPU reference: bit-exact values, exact indices, over random configurations. */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgPool, cpu, type PoolOptions, type Tensor, type UnpoolOptions } from 'argpool';
import { resolvePoolGeometry } from 'argpool/low-level';

import { LAUNCH_PROFILES } from '../src/launch';
import { poolCase, type PoolCase } from './cases';
import { expectBitsEqual, expectClose, expectIntsEqual, guardErrorScopes } from './compare';
import { makeValues, randomSpatialIndices } from './data';
import { channelsLastLaunch } from '../src/programs/max_pool_channels_last';
import { tiledLaunch } from '../src/programs/max_pool_tiled';
import { windowGatherLaunch } from '../src/programs/window_gather';

let ap: ArgPool;
let specialised: ArgPool;
let general: ArgPool;
/** The same adapter with the launch shapes chosen for a real GPU (few rows per invocation). */
let gpuLaunch: ArgPool;
let compared = 0;
beforeAll(async () => {
  specialised = await ArgPool.create();
  general = await ArgPool.create({ device: specialised.device, specialisedKernels: false });
  gpuLaunch = await ArgPool.create({ device: specialised.device, launchProfile: 'gpu' });
  ap = specialised;
});
afterAll(() => specialised.destroy());
guardErrorScopes(() => specialised.device);

/** Runs the same call on both sides; a refused configuration must be refused by both, alike. */
function both<G, C>(gpu: () => G, host: () => C): { gpu: G; host: C } | { error: string } {
  let hostError = '';
  let gpuError = '';
  let hostResult: C | undefined;
  let gpuResult: G | undefined;
  try {
    hostResult = host();
  } catch (e) {
    hostError = (e as Error).message;
  }
  try {
    gpuResult = gpu();
  } catch (e) {
    gpuError = (e as Error).message;
  }
  expect(gpuError).toBe(hostError);
  return hostError ? { error: hostError } : { gpu: gpuResult!, host: hostResult! };
}

async function checkPool(c: PoolCase): Promise<void> {
  const data = makeValues(c.kind, c.shape.reduce((a, b) => a * b, 1), c.seed);
  const x = ap.tensor(data, c.shape);
  const run = both(
    () => ap.maxPool(x, c.options),
    () => cpu.maxPool({ data, shape: c.shape }, c.options),
  );
  if ('error' in run) {
    x.destroy();
    return;
  }
  const { gpu, host } = run;
  compared++;
  expect(gpu.values.shape).toEqual(host.values.shape);
  const label = JSON.stringify(c);
  expectBitsEqual(await gpu.values.read(), host.values.data, host.values.shape, `values ${label}`);
  expectIntsEqual(await gpu.indices.read(), host.indices.data, host.indices.shape, `indices ${label}`);

  // Unpool the pooled result back to the input size when the options allow it, else to the default size.
  const unpoolOptions: UnpoolOptions = {
    kernelSize: c.options.kernelSize,
    stride: c.options.stride,
    layout: c.options.layout,
    indexFormat: c.options.indexFormat,
    fill: c.fill,
  };
  if (c.options.padding !== 'same') unpoolOptions.padding = c.options.padding;
  const inSpatial = c.options.layout === 'NHWC' ? c.shape.slice(1, -1) : c.shape.slice(2);
  const withSize = { ...unpoolOptions, outputSize: inSpatial };
  let chosen: UnpoolOptions = withSize;
  try {
    cpu.maxUnpool(host.values, host.indices, withSize);
  } catch (e) {
    if (!/outputSize/.test((e as Error).message)) throw e;
    chosen = unpoolOptions;
  }
  await checkUnpool(gpu.values, gpu.indices, host.values, host.indices, chosen, label);
  // A decoder unpools other values (its own features) with the encoder's indices: where overlapping
  // windows chose one element, which value lands there now matters.
  const features = { data: makeValues('random', host.values.data.length, c.seed + 5), shape: host.values.shape };
  const featureTensor = ap.tensor(features.data, features.shape);
  await checkUnpool(featureTensor, gpu.indices, features, host.indices, chosen, `features ${label}`);
  for (const t of [x, gpu.values, gpu.indices, featureTensor]) t.destroy();
}

/** Largest finite magnitude in an array. */
function magnitude(data: Float32Array): number {
  let largest = 0;
  for (const v of data) if (Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
  return largest;
}

/**
 * Unpooling on both sides. A refused configuration must be refused by both, alike; an invalid index
 * must make the CPU reference throw and the GPU result's read reject, with the same message.
 */
async function checkUnpool(
  values: Tensor<'float32'>,
  indices: Tensor<'int32' | 'uint8'>,
  hostValues: { data: Float32Array; shape: number[] },
  hostIndices: { data: Int32Array; shape: number[] },
  options: UnpoolOptions,
  label: string,
): Promise<void> {
  let expected: { data: Float32Array; shape: number[] } | undefined;
  let hostError = '';
  try {
    expected = cpu.maxUnpool(hostValues, hostIndices, options);
  } catch (e) {
    hostError = (e as Error).message;
  }
  let y;
  try {
    y = ap.maxUnpool(values, indices, options);
  } catch (e) {
    expect((e as Error).message).toBe(hostError);
    return;
  }
  if (hostError) {
    await expect(y.read()).rejects.toThrow(hostError);
  } else {
    expect(y.shape).toEqual(expected!.shape);
    const actual = await y.read();
    const what = `unpool ${JSON.stringify(options)} ${label}`;
    // Interpolation rounds in f32 on the GPU and in f64 in the reference: agree to 1e-6 of the inputs'
    // size. WGSL lets arithmetic flush subnormals, so errors below the smallest normal (2^-126) pass too.
    if (options.fill === 'bilinear') expectClose(actual, expected!.data, expected!.shape, 1e-6, what, Math.max(magnitude(hostValues.data), 2 ** -126 / 1e-6));
    else expectBitsEqual(actual, expected!.data, expected!.shape, what);
  }
  y.destroy();
}

describe('maxPool and maxUnpool on the GPU match the CPU reference', () => {
  for (const kernels of ['specialised', 'general'] as const) {
    it(`over random kernels, strides, paddings, dilations, ceil modes, layouts, index formats and values (${kernels} kernels)`, async () => {
      ap = kernels === 'specialised' ? specialised : general;
      compared = 0;
      await fc.assert(fc.asyncProperty(poolCase, checkPool), { numRuns: 800 });
      // Most configurations are valid; a generator that produced only refusals would test nothing.
      expect(compared).toBeGreaterThan(600);
    });
  }

  it('on windows that tile the input, through the tiled kernels and the general ones alike', async () => {
    const shapes = [
      [2, 3, 32],
      [1, 2, 6, 16],
      [2, 1, 4, 6, 8],
    ];
    let tiledCases = 0;
    for (const context of [specialised, general]) {
      ap = context;
      for (const spatial of shapes) {
        const rank = spatial.length - 2;
        for (const kernelW of [1, 2, 4]) {
          for (const kernelOther of [1, 2, 3]) {
            const kernelSize = [...new Array(rank - 1).fill(kernelOther), kernelW];
            const shape = [spatial[0], spatial[1], ...spatial.slice(2).map((n, i) => n * kernelSize[i])];
            for (const kind of ['random', 'ties', 'nan', 'inf', 'all-neg-inf', 'special'] as const) {
              for (const indexFormat of ['spatial', 'flat'] as const) {
                const options = { kernelSize, indexFormat };
                const plan = tiledLaunch(resolvePoolGeometry('maxPool', shape, options), 65535);
                if (context === specialised && plan) tiledCases++;
                await checkPool({ shape, options, kind, seed: tiledCases * 7 + kernelW });
              }
            }
          }
        }
      }
    }
    // Every shape above tiles (output widths are multiples of 4): the tiled kernels really ran.
    expect(tiledCases).toBe(3 * 3 * 3 * 6 * 2);
  });

  it('on a 32x32 plane mixing subnormals, signed zeros and infinities, in every kernel and both launch profiles', async () => {
    // WGSL lets an implementation flush subnormals and ignore the sign of zero: comparisons on
    // order-preserving integer keys must still pick PyTorch's argmax, bit for bit.
    let cases = 0;
    for (const context of [specialised, general, gpuLaunch]) {
      ap = context;
      for (const [shape, options] of [
        [[2, 3, 32, 32], { kernelSize: 2 }], // tiled when specialised
        [[2, 3, 32, 32], { kernelSize: 3, stride: 1, padding: 1 }],
        [[1, 32, 32, 8], { kernelSize: 3, stride: 2, layout: 'NHWC' }], // channels-last kernels
        [[1, 4, 32, 32], { kernelSize: [2, 3], stride: [2, 1], dilation: [2, 1], ceilMode: true }],
      ] as [number[], PoolOptions][]) {
        for (const seed of [1, 2]) {
          await checkPool({ shape, options, kind: 'special', seed });
          cases++;
        }
      }
    }
    expect(cases).toBe(24);
  });

  it('on tiling shapes large enough for several output rows per invocation, with a partial last group', async () => {
    ap = specialised;
    for (const [shape, kernelSize] of [
      [[1, 10, 400, 1024], 2],
      [[2, 3, 20, 100, 512], [2, 2, 4]],
      [[1, 80, 16384], 4],
    ] as [number[], number | number[]][]) {
      const plan = tiledLaunch(resolvePoolGeometry('maxPool', shape, { kernelSize }), 65535, LAUNCH_PROFILES.emulated);
      expect(plan?.constants.ROWS).toBeGreaterThan(1);
      const outH = shape[shape.length - 2] / (Array.isArray(kernelSize) ? kernelSize[kernelSize.length - 2] : kernelSize);
      if (shape.length > 3) expect(outH % plan!.constants.ROWS).not.toBe(0);
      ap = specialised;
      await checkPool({ shape, options: { kernelSize }, kind: 'nan', seed: shape.length });
      // The launch shapes for a real GPU: other rows per invocation, other grid, same bits.
      const gpuPlan = tiledLaunch(resolvePoolGeometry('maxPool', shape, { kernelSize }), 65535, LAUNCH_PROFILES.gpu);
      expect(gpuPlan!.constants.ROWS).not.toBe(plan!.constants.ROWS);
      ap = gpuLaunch;
      await checkPool({ shape, options: { kernelSize }, kind: 'special', seed: shape.length });
    }
  });

  it('for every value kind with overlapping windows in each rank', async () => {
    for (const rank of [1, 2, 3]) {
      for (const kind of ['random', 'ties', 'nan', 'inf', 'all-neg-inf', 'special'] as const) {
        const spatial = [9, 7, 6].slice(0, rank);
        await checkPool({
          shape: [2, 3, ...spatial],
          options: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true },
          kind,
          seed: rank * 31 + kind.length,
        });
      }
    }
  });

  it('interpolates bilinear fill precisely on long rows whose size ratio is not a power of two', async () => {
    for (const length of [253, 1000, 4099]) {
      const shape = [1, 2, length];
      const data = makeValues('random', 2 * length, length);
      const pooled = cpu.maxPool({ data, shape }, { kernelSize: 2, stride: 1 });
      const x = ap.tensor(data, shape);
      const gpu = ap.maxPool(x, { kernelSize: 2, stride: 1 });
      await checkUnpool(gpu.values, gpu.indices, pooled.values, pooled.indices, { kernelSize: 2, stride: 1, fill: 'bilinear' }, `length ${length}`);
      for (const t of [x, gpu.values, gpu.indices]) t.destroy();
    }
  });

  it('unpools overlapping windows on large inputs: the scatter (specialised), and the gather with several rows per invocation (general)', async () => {
    for (const [shape, options] of [
      [[1, 32, 100, 130], { kernelSize: 3, stride: 2, padding: 1 }],
      [[1, 102, 130, 32], { kernelSize: 3, stride: 2, padding: 1, layout: 'NHWC' }],
      [[1, 4, 20, 30, 40], { kernelSize: 3, stride: [1, 2, 2], dilation: [2, 1, 1] }],
    ] as [number[], PoolOptions][]) {
      const geometry = resolvePoolGeometry('maxPool', shape, options);
      const plan = windowGatherLaunch(geometry, 65535, LAUNCH_PROFILES.emulated);
      if (geometry.layout === 'NCHW') {
        expect(plan.constants.ROWS).toBeGreaterThan(1);
        expect(windowGatherLaunch(geometry, 65535, LAUNCH_PROFILES.gpu).constants.ROWS).toBeLessThan(plan.constants.ROWS);
      }
      // checkPool unpools the pooled values and other features with these indices (from a known pooling).
      for (const [context, kind] of [[specialised, 'ties'], [gpuLaunch, 'special'], [general, 'ties']] as const) {
        ap = context;
        await checkPool({ shape, options, kind, seed: shape[1] });
      }
    }
    ap = specialised;
  });

  it('on channels-last tensors with channels in fours, through the channels-last kernel and the general one', async () => {
    let specialisedCases = 0;
    const cases = fc.sample(poolCase, 150).map((c) => {
      // Same configuration with 4 or 8 channels, channels-last.
      const channels = c.seed % 2 === 0 ? 4 : 8;
      const spatial = c.options.layout === 'NHWC' ? c.shape.slice(1, -1) : c.shape.slice(2);
      return { ...c, shape: [c.shape[0], ...spatial, channels], options: { ...c.options, layout: 'NHWC' as const } };
    });
    for (const context of [specialised, general]) {
      ap = context;
      for (const c of cases) {
        let geometry;
        try {
          geometry = resolvePoolGeometry('maxPool', c.shape, c.options);
        } catch {
          continue;
        }
        if (context === specialised && channelsLastLaunch(geometry, 65535)) specialisedCases++;
        await checkPool(c);
      }
    }
    expect(specialisedCases).toBeGreaterThan(100);
  });

  it('unpools arbitrary, non-window-local indices with duplicates in every fill mode', async () => {
    const cases = fc.sample(
      fc.record({
        rank: fc.constantFrom(1, 2, 3),
        kernel: fc.integer({ min: 1, max: 3 }),
        stride: fc.integer({ min: 1, max: 3 }),
        layout: fc.constantFrom('NCHW' as const, 'NHWC' as const),
        fill: fc.constantFrom('zero' as const, 'nearest' as const, 'bilinear' as const),
        kind: fc.constantFrom('random' as const, 'ties' as const, 'nan' as const, 'inf' as const),
        seed: fc.integer(),
      }),
      120,
    );
    for (const c of cases) {
      const pooled = [5, 4, 3].slice(0, c.rank);
      const shape = c.layout === 'NHWC' ? [2, ...pooled, 3] : [2, 3, ...pooled];
      const count = shape.reduce((a, b) => a * b, 1);
      const outVolume = pooled.reduce((a, n) => a * ((n - 1) * c.stride + c.kernel), 1);
      const options: UnpoolOptions = { kernelSize: c.kernel, stride: c.stride, layout: c.layout, fill: c.fill };
      const hostValues = { data: makeValues(c.kind, count, c.seed), shape };
      const hostIndices = { data: randomSpatialIndices(count, outVolume, c.seed + 1), shape };
      const values = ap.tensor(hostValues.data, shape);
      const indices = ap.tensor(hostIndices.data, shape);
      await checkUnpool(values, indices, hostValues, hostIndices, options, JSON.stringify(c));
      values.destroy();
      indices.destroy();
    }
  });
});
