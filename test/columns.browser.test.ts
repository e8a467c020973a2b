/**
 * max_pool_tiled.wgsl on single-row outputs (1-D, or height 1): each invocation takes a run of groups
 * of four columns (COLUMNS) instead of rows. Against the CPU reference, bit for bit, on every value
 * kind, index format and kernel width, in both launch profiles, with runs cut short at the row's end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgPool, cpu, type IndexFormat, type PoolOptions } from '../src/index';
import { LAUNCH_PROFILES } from '../src/launch';
import { resolvePoolGeometry } from '../src/options';

import { expectBitsEqual, guardErrorScopes } from './compare';
import { makeValues, VALUE_KINDS } from './data';
import { tiledColumnsLaunch } from '../src/programs/max_pool_tiled';

let emulated: ArgPool;
let gpuLaunch: ArgPool;
beforeAll(async () => {
  emulated = await ArgPool.create({ launchProfile: 'emulated' });
  gpuLaunch = await ArgPool.create({ device: emulated.device, launchProfile: 'gpu' });
});
afterAll(() => emulated.destroy());
guardErrorScopes(() => emulated.device);

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
// Output widths 4 * 37 (runs of 16 leave a partial last run), 4 * 3 and 4 * 300; kernels 1, 2, 4.
const SHAPES: { shape: number[]; kernelSize: number | number[] }[] = [
  { shape: [2, 3, 148 * 2], kernelSize: 2 },
  { shape: [1, 2, 12 * 4], kernelSize: 4 },
  { shape: [1, 5, 1200], kernelSize: 1 },
  { shape: [1, 3, 1, 148 * 4], kernelSize: [1, 4] },
  { shape: [3, 2, 2, 1200 * 2], kernelSize: 2 },
];
const FORMATS: IndexFormat[] = ['spatial', 'flat', 'flat-no-batch', 'window'];

describe('1-D tiled pooling by runs of columns', () => {
  it('is planned for single-row outputs only', () => {
    for (const { shape, kernelSize } of SHAPES) {
      const g = resolvePoolGeometry('maxPool', shape, { kernelSize });
      const plan = tiledColumnsLaunch(g, 65535, LAUNCH_PROFILES.emulated);
      expect(plan, JSON.stringify(shape)).not.toBeNull();
      expect(plan!.constants.COLUMNS).toBe(1);
    }
    expect(tiledColumnsLaunch(resolvePoolGeometry('maxPool', [1, 2, 8, 16], { kernelSize: 2 }), 65535)).toBeNull();
    // Large enough for runs of 16 on the emulated profile: 64 planes of 4096 groups.
    expect(tiledColumnsLaunch(resolvePoolGeometry('maxPool', [1, 64, 65536], { kernelSize: 4 }), 65535, LAUNCH_PROFILES.emulated)!.constants.ROWS).toBe(16);
  });

  for (const [name, context] of [['emulated', () => emulated], ['gpu', () => gpuLaunch]] as const) {
    it(`matches the CPU reference on every value kind and index format (${name} launch profile)`, async () => {
      const ap = context();
      let seed = 7;
      for (const { shape, kernelSize } of SHAPES) {
        for (const kind of VALUE_KINDS) {
          for (const indexFormat of FORMATS) {
            seed++;
            const options = { kernelSize, indexFormat } as PoolOptions;
            const data = makeValues(kind, size(shape), seed);
            const ref = cpu.maxPool({ data, shape }, options);
            const x = ap.tensor(data, shape);
            const { values, indices } = ap.maxPool(x, options);
            const label = `${name} ${kind} ${indexFormat} ${JSON.stringify(shape)} k${JSON.stringify(kernelSize)}`;
            expectBitsEqual(await values.read(), ref.values.data as Float32Array, ref.values.shape, `values ${label}`);
            const got = await indices.read();
            expect(Array.from(got), `indices ${label}`).toEqual(Array.from(ref.indices.data));
            for (const t of [x, values, indices]) t.destroy();
          }
        }
      }
    });
  }
});
