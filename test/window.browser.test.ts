/**
 * 'window' indices on the GPU against the CPU reference: the taps pooling returns, and unpooling and
 * both gradients through them, which must equal the same operations through spatial indices.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgPool, cpu, type PoolOptions, type Tensor, type UnpoolOptions } from 'argpool';
import { resolvePoolGeometry } from 'argpool/low-level';

import { LAUNCH_PROFILES } from '../src/launch';
import { poolCase, type PoolCase } from './cases';
import { expectBitsEqual, expectClose, expectIntsEqual, expectSumBitsEqual, guardErrorScopes } from './compare';
import { makeValues } from './data';
import { channelsLastLaunch } from '../src/programs/max_pool_channels_last';
import { tiledLaunch } from '../src/programs/max_pool_tiled';
import { windowGatherLaunch } from '../src/programs/window_gather';

let ap: ArgPool;
let specialised: ArgPool;
let general: ArgPool;
/** The same adapter with the launch shapes chosen for a real GPU. */
let gpuLaunch: ArgPool;
beforeAll(async () => {
  specialised = await ArgPool.create();
  general = await ArgPool.create({ device: specialised.device, specialisedKernels: false });
  gpuLaunch = await ArgPool.create({ device: specialised.device, launchProfile: 'gpu' });
  ap = specialised;
});
afterAll(() => specialised.destroy());
guardErrorScopes(() => specialised.device);

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const asInts = (taps: Uint8Array) => Int32Array.from(taps);

/** The reference's result, or its error message. */
function attempt<T>(fn: () => T): { value: T } | { error: string } {
  try {
    return { value: fn() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** A GPU result against the reference's: the same bits, or a read that rejects with the reference's message. */
async function expectSame(
  gpu: () => Tensor<'float32'>,
  host: { value: { data: Float32Array; shape: number[] } } | { error: string },
  label: string,
  sums = false,
  close = 0,
): Promise<void> {
  let result: Tensor<'float32'>;
  try {
    result = gpu();
  } catch (e) {
    expect('error' in host ? host.error : 'no error', label).toBe((e as Error).message);
    return;
  }
  if ('error' in host) {
    await expect(result.read(), label).rejects.toThrow(host.error);
  } else {
    expect(result.shape).toEqual(host.value.shape);
    const actual = await result.read();
    if (close) expectClose(actual, host.value.data, host.value.shape, 1e-6, label, close);
    else if (sums) expectSumBitsEqual(actual, host.value.data, host.value.shape, label);
    else expectBitsEqual(actual, host.value.data, host.value.shape, label);
  }
  result.destroy();
}

/** Largest finite magnitude in an array. */
function magnitude(data: Float32Array): number {
  let largest = 0;
  for (const v of data) if (Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
  return largest;
}

/**
 * Pools with 'window' indices on both sides, then unpools, and takes both gradients, on the GPU with
 * the taps (from the pooling, and uploaded, which takes the general paths) and on the CPU with the
 * taps and with spatial indices: all must agree. Returns false for a configuration both refuse.
 */
async function checkWindow(c: PoolCase): Promise<boolean> {
  const options: PoolOptions = { ...c.options, indexFormat: 'window' };
  const spatialOptions: PoolOptions = { ...c.options, indexFormat: 'spatial' };
  const data = makeValues(c.kind, size(c.shape), c.seed);
  const label = JSON.stringify(c);
  const host = attempt(() => cpu.maxPool({ data, shape: c.shape }, { ...options, indexFormat: 'window' }));
  const x = ap.tensor(data, c.shape);
  if ('error' in host) {
    expect(() => ap.maxPool(x, options)).toThrow(host.error);
    x.destroy();
    return false;
  }
  const pooled = ap.maxPool(x, { ...options, indexFormat: 'window' });
  expect(pooled.indices.dtype).toBe('uint8');
  expectBitsEqual(await pooled.values.read(), host.value.values.data, host.value.values.shape, `values ${label}`);
  const taps = await pooled.indices.read();
  expect(taps).toBeInstanceOf(Uint8Array);
  expectIntsEqual(asInts(taps), asInts(host.value.indices.data), host.value.indices.shape, `taps ${label}`);
  const spatial = cpu.maxPool({ data, shape: c.shape }, spatialOptions).indices;

  // The pooling's options, with its resolved padding (unpooling takes no 'same').
  const geometry = resolvePoolGeometry('maxPool', c.shape, options);
  const windows = {
    kernelSize: geometry.kernel,
    stride: geometry.stride,
    padding: [...geometry.padBegin, ...geometry.padEnd],
    dilation: geometry.dilation,
    layout: geometry.layout,
  };
  const withSize: UnpoolOptions = { ...windows, outputSize: geometry.inSpatial, fill: c.fill };
  const chosen: UnpoolOptions = 'error' in attempt(() => cpu.maxUnpool(host.value.values, spatial, withSize)) ? { ...windows, fill: c.fill } : withSize;
  const uploaded = ap.tensor(taps, host.value.indices.shape);
  const features = makeValues('random', host.value.values.data.length, c.seed + 5);
  const featureTensor = ap.tensor(features, host.value.values.shape);
  const grad = makeValues(c.seed % 2 ? 'special' : 'ties', size(c.shape), c.seed + 7);
  const gradTensor = ap.tensor(grad, c.shape);
  const close = chosen.fill === 'bilinear' ? Math.max(magnitude(features), magnitude(host.value.values.data), 2 ** -126 / 1e-6) : 0;

  for (const values of [pooled.values, featureTensor]) {
    const hostValues = values === featureTensor ? { data: features, shape: host.value.values.shape } : host.value.values;
    const viaSpatial = attempt(() => cpu.maxUnpool(hostValues, spatial, { ...chosen, indexFormat: 'spatial' }));
    const viaTaps = attempt(() => cpu.maxUnpool(hostValues, host.value.indices, { ...chosen, indexFormat: 'window' }));
    if ('value' in viaSpatial && chosen === withSize) {
      // Unpooled to the pooling input's size, taps name the positions spatial indices name.
      expect('value' in viaTaps, label).toBe(true);
      // A bilinear fill does arithmetic, and arithmetic on NaN keeps whichever payload the JavaScript
      // engine's code puts first (its JIT tiers may order the operands differently): any NaN matches.
      const same = chosen.fill === 'bilinear' ? expectSumBitsEqual : expectBitsEqual;
      if ('value' in viaTaps) same(viaTaps.value.data, viaSpatial.value.data, viaSpatial.value.shape, `cpu taps = spatial ${label}`);
    }
    for (const indices of [pooled.indices, uploaded]) {
      await expectSame(() => ap.maxUnpool(values, indices, { ...chosen, indexFormat: 'window' }), viaTaps, `unpool ${label}`, false, close);
    }
  }

  // Gradients: the pooling's, and the unpooling's (fill 'zero').
  const gradOutput = makeValues('special', host.value.values.data.length, c.seed + 3);
  const gradOutputTensor = ap.tensor(gradOutput, host.value.values.shape);
  const poolBackward = { ...options, inputShape: c.shape };
  const poolGradSpatial = cpu.maxPoolBackward({ data: gradOutput, shape: host.value.values.shape }, spatial, { ...poolBackward, indexFormat: 'spatial' });
  const poolGradTaps = attempt(() => cpu.maxPoolBackward({ data: gradOutput, shape: host.value.values.shape }, host.value.indices, poolBackward));
  expect('value' in poolGradTaps, label).toBe(true);
  if ('value' in poolGradTaps) expectBitsEqual(poolGradTaps.value.data, poolGradSpatial.data, poolGradSpatial.shape, `cpu grad taps = spatial ${label}`);
  for (const indices of [pooled.indices, uploaded]) {
    await expectSame(() => ap.maxPoolBackward(gradOutputTensor, indices, poolBackward), poolGradTaps, `pool grad ${label}`, true);
  }
  const unpoolGrad = { ...chosen, fill: 'zero' as const, indexFormat: 'window' as const };
  const gradShape = 'outputSize' in chosen ? c.shape : undefined;
  if (gradShape) {
    const unpoolGradTaps = attempt(() => cpu.maxUnpoolBackward({ data: grad, shape: c.shape }, host.value.indices, unpoolGrad));
    const unpoolGradSpatial = cpu.maxUnpoolBackward({ data: grad, shape: c.shape }, spatial, { ...unpoolGrad, indexFormat: 'spatial' });
    if ('value' in unpoolGradTaps) expectBitsEqual(unpoolGradTaps.value.data, unpoolGradSpatial.data, unpoolGradSpatial.shape, `cpu unpool grad ${label}`);
    for (const indices of [pooled.indices, uploaded]) {
      await expectSame(() => ap.maxUnpoolBackward(gradTensor, indices, unpoolGrad), unpoolGradTaps, `unpool grad ${label}`);
    }
  }
  for (const t of [x, pooled.values, pooled.indices, uploaded, featureTensor, gradTensor, gradOutputTensor]) t.destroy();
  return true;
}

const windowCase = poolCase.map((c) => ({ ...c, options: { ...c.options, indexFormat: 'window' as const } }));

describe("'window' indices on the GPU match the CPU reference", () => {
  for (const [name, context] of [
    ['specialised kernels', () => specialised],
    ['general kernels', () => general],
    ['the gpu launch profile', () => gpuLaunch],
  ] as const) {
    it(`over random ranks, layouts, kernels, strides, paddings, dilations, ceil modes and values (${name})`, async () => {
      ap = context();
      let compared = 0;
      await fc.assert(
        fc.asyncProperty(windowCase, async (c) => {
          if (await checkWindow(c)) compared++;
        }),
        { numRuns: 60 },
      );
      expect(compared).toBeGreaterThan(40);
    });
  }

  it('through the tiled, channels-last and scatter kernels in both launch profiles, and the multi-row gather', async () => {
    const reached = { tiled: 0, channelsLast: 0, rows: 0 };
    for (const context of [specialised, gpuLaunch, general]) {
      ap = context;
      for (const [shape, options] of [
        [[2, 3, 32, 32], { kernelSize: 2 }],
        [[1, 2, 8, 64], { kernelSize: [2, 4] }],
        [[2, 1, 4, 6, 16], { kernelSize: 2 }],
        [[1, 17, 19, 8], { kernelSize: 3, stride: 2, padding: 1, layout: 'NHWC' }],
        [[1, 16, 16, 4], { kernelSize: 2, layout: 'NHWC' }],
        [[1, 16, 100, 130], { kernelSize: 3, stride: 2, padding: 1 }],
        [[1, 4, 10, 14, 12], { kernelSize: 3, stride: [1, 2, 2], dilation: [2, 1, 1] }],
      ] as [number[], PoolOptions][]) {
        const geometry = resolvePoolGeometry('maxPool', shape, options);
        const profile = context === gpuLaunch ? LAUNCH_PROFILES.gpu : LAUNCH_PROFILES.emulated;
        if (context !== general && tiledLaunch(geometry, 65535, profile)) reached.tiled++;
        if (context !== general && channelsLastLaunch(geometry, 65535)) reached.channelsLast++;
        if (context === general && windowGatherLaunch(geometry, 65535, profile).constants.ROWS > 1) reached.rows++;
        for (const kind of ['ties', 'nan', 'special'] as const) {
          expect(await checkWindow({ shape, options: { ...options, indexFormat: 'window' }, kind, seed: shape[1] + kind.length })).toBe(true);
        }
      }
    }
    expect(reached.tiled).toBeGreaterThanOrEqual(6);
    expect(reached.channelsLast).toBe(4);
    expect(reached.rows).toBeGreaterThan(0);
  });

  it('reports invalid taps (past the kernel volume, or over padding) on read, with the reference message', async () => {
    for (const context of [specialised, general]) {
      ap = context;
      for (const layout of ['NCHW', 'NHWC'] as const) {
        // 3x3 windows, stride 2, padding 1, over a 5x5 input: pooled 3x3, and output (0, 0) has taps 0-3 and 6 on padding.
        const windows = { kernelSize: 3, stride: 2, padding: 1, layout, indexFormat: 'window' as const };
        const pooledShape = layout === 'NHWC' ? [1, 3, 3, 2] : [1, 2, 3, 3];
        const inputShape = layout === 'NHWC' ? [1, 5, 5, 2] : [1, 2, 5, 5];
        for (const bad of [9, 255, 0, 6]) {
          const taps = new Uint8Array(18).fill(4);
          taps[7] = bad === 0 || bad === 6 ? 4 : bad; // past the kernel volume, in the middle
          taps[0] = bad === 0 || bad === 6 ? bad : 4; // over padding at output (0, 0)
          taps[13] = 200; // a later bad tap: the first in memory order is reported
          const tapTensor = ap.tensor(taps, pooledShape);
          const values = makeValues('random', 18, bad);
          const valueTensor = ap.tensor(values, pooledShape);
          const grad = makeValues('random', 50, bad);
          const gradTensor = ap.tensor(grad, inputShape);
          const unpool = { ...windows, outputSize: [5, 5] };
          const cases: [() => Tensor<'float32'>, () => unknown][] = [
            [() => ap.maxUnpool(valueTensor, tapTensor, unpool), () => cpu.maxUnpool({ data: values, shape: pooledShape }, { data: taps, shape: pooledShape }, unpool)],
            [
              () => ap.maxPoolBackward(valueTensor, tapTensor, { ...windows, inputShape }),
              () => cpu.maxPoolBackward({ data: values, shape: pooledShape }, { data: taps, shape: pooledShape }, { ...windows, inputShape }),
            ],
            [
              () => ap.maxUnpoolBackward(gradTensor, tapTensor, unpool),
              () => cpu.maxUnpoolBackward({ data: grad, shape: inputShape }, { data: taps, shape: pooledShape }, unpool),
            ],
          ];
          for (const [gpu, host] of cases) {
            const expected = attempt(host);
            expect('error' in expected).toBe(true);
            if ('error' in expected) expect(expected.error).toMatch(new RegExp(`invalid window index ${bad} at`));
            const result = gpu();
            await expect(result.read()).rejects.toThrow((expected as { error: string }).error);
            result.destroy();
          }
          for (const t of [tapTensor, valueTensor, gradTensor]) t.destroy();
        }
      }
    }
  });

  it('refuses int32 indices for the window format and uint8 taps for the others, before any GPU work', () => {
    ap = specialised;
    const x = ap.tensor(new Float32Array(16), [1, 1, 4, 4]);
    const { values, indices } = ap.maxPool(x, { kernelSize: 2, indexFormat: 'window' });
    const ints = ap.tensor(new Int32Array(4), [1, 1, 2, 2]);
    expect(() => ap.maxUnpool(values, ints, { kernelSize: 2, indexFormat: 'window' })).toThrow(
      "maxUnpool2d: indices must be a uint8 tensor for indexFormat 'window', got int32",
    );
    expect(() => ap.maxUnpool(values, indices, { kernelSize: 2 })).toThrow("maxUnpool2d: indices must be a int32 tensor, got uint8 (uint8 taps need indexFormat 'window')");
    const large = ap.tensor(new Float32Array(17 * 17), [1, 1, 17, 17]);
    expect(() => ap.maxPool(large, { kernelSize: [17, 17], indexFormat: 'window' })).toThrow(
      "maxPool2d: indexFormat 'window' stores uint8 taps, so the kernel volume must be at most 256; kernelSize [17, 17] has 289 taps",
    );
    expect(() => ap.maxPool(large, { kernelSize: [16, 16], indexFormat: 'window' })).not.toThrow();
    for (const t of [x, values, indices, ints, large]) t.destroy();
  });

  it('stores one byte per index, rounded up to whole 16-byte blocks, and reads back exactly the elements', async () => {
    ap = specialised;
    const x = ap.tensor(makeValues('random', 2 * 3 * 7, 9), [2, 3, 7]);
    const { indices } = ap.maxPool(x, { kernelSize: 2, stride: 1, indexFormat: 'window' });
    expect(indices.size).toBe(36);
    expect(indices.byteLength).toBe(48);
    expect(indices.buffer.size).toBeGreaterThanOrEqual(48);
    const odd = ap.tensor(new Uint8Array([1, 2, 3, 4, 5]), [1, 1, 5]);
    expect(odd.byteLength).toBe(16);
    expect(Array.from(await odd.read())).toEqual([1, 2, 3, 4, 5]);
    for (const t of [x, indices, odd]) t.destroy();
  });
});
