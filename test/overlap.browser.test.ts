/**
 * The tiled kernel for overlapping 2-D windows (max_pool_overlap_tiled.wgsl) on the GPU against the CPU
 * reference: bit-exact values and exact indices in every index format, on ties, NaN, infinities and
 * the `special` kind, with padding, dilation along the height, ceil mode and odd sizes, in both launch profiles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgPool, cpu, type PoolOptions } from 'argpool';
import { resolvePoolGeometry } from 'argpool/low-level';
import { LAUNCH_PROFILES, type LaunchProfile } from '../src/launch';

import { expectBitsEqual, expectIntsEqual, guardErrorScopes } from './compare';
import { makeValues, VALUE_KINDS } from './data';
import { overlapTiledLaunch } from '../src/programs/max_pool_overlap_tiled';

let specialised: ArgPool;
let gpuLaunch: ArgPool;
beforeAll(async () => {
  specialised = await ArgPool.create();
  gpuLaunch = await ArgPool.create({ device: specialised.device, launchProfile: 'gpu' });
});
afterAll(() => specialised.destroy());
guardErrorScopes(() => specialised.device);

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The plan the context's pooling takes: asserts it is the overlapping-window tiled kernel, returns its rows. */
function overlapRows(shape: number[], options: PoolOptions, launch: LaunchProfile): number {
  const plan = overlapTiledLaunch(resolvePoolGeometry('maxPool', shape, options), 65535, launch);
  expect(plan, `overlap tiled plan for ${JSON.stringify({ shape, options })}`).not.toBeNull();
  return plan!.constants.ROWS;
}

/** One pooling on the GPU and in the CPU reference: values bit for bit, indices exactly. */
async function check(context: ArgPool, shape: number[], options: PoolOptions, kind: (typeof VALUE_KINDS)[number], seed: number): Promise<void> {
  const data = makeValues(kind, size(shape), seed);
  const label = JSON.stringify({ shape, options, kind, seed, profile: context.launchProfile.name });
  const expected = cpu.maxPool({ data, shape }, options);
  const x = context.tensor(data, shape);
  const result = context.maxPool(x, options);
  expect(result.values.shape).toEqual(expected.values.shape);
  expectBitsEqual(await result.values.read(), expected.values.data, expected.values.shape, `values ${label}`);
  const indices = await result.indices.read();
  const wanted = expected.indices.data;
  expectIntsEqual(Int32Array.from(indices), Int32Array.from(wanted), expected.indices.shape, `indices ${label}`);
  for (const t of [x, result.values, result.indices]) t.destroy();
}

const SMALL_CASES: [number[], PoolOptions][] = [
  [[1, 3, 9, 12], { kernelSize: 3, stride: 2, padding: 1 }], // the ResNet stem, odd height
  [[2, 2, 8, 8], { kernelSize: 3, stride: 2, padding: 1 }],
  [[1, 2, 11, 4], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }], // one group of four, partial
  [[1, 2, 7, 20], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }], // 20 wide: 11 outputs with ceil mode
  [[1, 2, 7, 36], { kernelSize: [3, 3], stride: [1, 2], padding: [0, 1] }], // overlapping rows, stride 1
  [[1, 2, 13, 16], { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [2, 1] }], // dilation 2 along the height
  [[2, 1, 12, 24], { kernelSize: [5, 3], stride: [3, 2], padding: [2, 1], dilation: [2, 1], ceilMode: true }],
  [[1, 2, 9, 12], { kernelSize: [1, 3], stride: [1, 2], padding: [0, 1] }], // overlaps along the width only
  [[1, 2, 5, 40], { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }], // several groups per row
];

describe('max_pool_overlap_tiled.wgsl matches the CPU reference', () => {
  it('on every value kind, with padding, dilation 1 and 2 along the height, ceil mode and odd sizes, in both launch profiles', async () => {
    let cases = 0;
    for (const context of [specialised, gpuLaunch]) {
      const launch = context.launchProfile;
      for (const [shape, options] of SMALL_CASES) {
        overlapRows(shape, options, launch);
        for (const kind of VALUE_KINDS) {
          await check(context, shape, options, kind, ++cases);
        }
      }
    }
    expect(cases).toBe(2 * SMALL_CASES.length * VALUE_KINDS.length);
  });

  it('in every index format', async () => {
    const shape = [2, 3, 11, 28];
    let seed = 100;
    for (const context of [specialised, gpuLaunch]) {
      for (const indexFormat of ['spatial', 'flat', 'flat-no-batch', 'window'] as const) {
        const options: PoolOptions = { kernelSize: 3, stride: 2, padding: 1, indexFormat };
        overlapRows(shape, options, context.launchProfile);
        for (const kind of ['ties', 'nan', 'special'] as const) await check(context, shape, options, kind, ++seed);
      }
    }
  });

  it('with several output rows per invocation and a partial last group of rows and columns', async () => {
    const shape = [1, 64, 133, 132];
    const options: PoolOptions = { kernelSize: 3, stride: 2, padding: 1 };
    const rows = overlapRows(shape, options, LAUNCH_PROFILES.emulated);
    expect(rows).toBeGreaterThan(1);
    expect(67 % rows).not.toBe(0); // 67 output rows: a partial last group of rows
    await check(specialised, shape, options, 'ties', 7);
    await check(specialised, shape, options, 'special', 8);
    await check(gpuLaunch, shape, options, 'special', 9);
  });
});
