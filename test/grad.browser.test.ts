/** Gradients on the GPU against the CPU reference, determinism, and the faults they report. */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgPool, cpu, type UnpoolOptions } from 'argpool';
import { poolCase } from './cases';
import { expectBitsEqual, expectSumBitsEqual, guardErrorScopes } from './compare';
import { makeValues, randomSpatialIndices } from './data';

let ap: ArgPool;
let specialised: ArgPool;
/** Every operation on the general kernels: the window check and the scalar window gather. */
let general: ArgPool;
beforeAll(async () => {
  specialised = await ArgPool.create();
  general = await ArgPool.create({ device: specialised.device, specialisedKernels: false });
  ap = specialised;
});
afterAll(() => specialised.destroy());
guardErrorScopes(() => specialised.device);

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

describe('maxPoolBackward', () => {
  for (const kernels of ['specialised', 'general'] as const) {
  it(`matches the CPU reference bit for bit over random configurations, overlapping windows included (${kernels} kernels)`, async () => {
    ap = kernels === 'specialised' ? specialised : general;
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(poolCase, fc.constantFrom('random' as const, 'ties' as const, 'nan' as const, 'special' as const), async (c, gradKind) => {
        const data = makeValues(c.kind, size(c.shape), c.seed);
        let ref;
        try {
          ref = cpu.maxPool({ data, shape: c.shape }, c.options);
        } catch {
          return; // refused configurations are covered by the forward tests
        }
        const grad = makeValues(gradKind, ref.values.data.length, c.seed + 1);
        const options = { ...c.options, inputShape: c.shape };
        const expected = cpu.maxPoolBackward({ data: grad, shape: ref.values.shape }, ref.indices, options);
        const x = ap.tensor(data, c.shape);
        const { values, indices } = ap.maxPool(x, c.options);
        const g = ap.tensor(grad, ref.values.shape);
        // Indices straight from maxPool (known to lie in their windows) and the same indices uploaded
        // from the host (checked on the GPU first) take different paths to the same result.
        const uploaded = ap.tensor(ref.indices.data, ref.indices.shape);
        for (const [path, idx] of [['pooled', indices], ['uploaded', uploaded]] as const) {
          const dx = ap.maxPoolBackward(g, idx, options);
          expect(dx.shape).toEqual(expected.shape);
          // Sums of f32 in the same order as the reference, exact with subnormals: equal bits, the sign
          // of zero included; only NaN payloads may differ.
          expectSumBitsEqual(await dx.read(), expected.data, expected.shape, `gradient (${path} indices) ${JSON.stringify({ c, gradKind })}`);
          dx.destroy();
        }
        compared++;
        for (const t of [x, values, indices, uploaded, g]) t.destroy();
      }),
      { numRuns: 150 },
    );
    expect(compared).toBeGreaterThan(110);
  }, 300_000);
  }

  it('matches the CPU reference on windows that tile the input (tiled kernel), with -0 and NaN gradients', async () => {
    for (const [shape, kernelSize] of [
      [[2, 3, 8, 16], 2],
      [[1, 2, 64], 4],
      [[1, 2, 4, 6, 8], [2, 3, 1]],
      [[1, 8, 200, 1024], 2], // several rows per invocation
    ] as const) {
      const data = makeValues('ties', size(shape), 3);
      const ref = cpu.maxPool({ data, shape: [...shape] }, { kernelSize });
      const grad = makeValues('ties', ref.values.data.length, 4);
      grad[0] = -0;
      grad[1] = NaN;
      const options = { kernelSize, inputShape: [...shape] };
      const expected = cpu.maxPoolBackward({ data: grad, shape: ref.values.shape }, ref.indices, options);
      const x = ap.tensor(data, [...shape]);
      const { values, indices } = ap.maxPool(x, { kernelSize });
      const dx = await ap.maxPoolBackward(ap.tensor(grad, ref.values.shape), indices, options).read();
      expectSumBitsEqual(dx, expected.data, expected.shape, `tiled gradient ${shape}`);
      // Where -0 lands the sum from zero is +0, as in the reference.
      expect(Object.is(dx[ref.indices.data[0]], 0)).toBe(true);
      for (const t of [x, values, indices]) t.destroy();
    }
  });

  it('matches the CPU reference with overlapping windows on inputs large enough for several rows per invocation, in both kernel sets', async () => {
    for (const [context, [shape, options]] of [specialised, general].flatMap((context) => [
      [context, [[1, 32, 100, 130], { kernelSize: 3, stride: 2, padding: 1 }]],
      [context, [[1, 102, 130, 32], { kernelSize: 3, stride: 2, padding: 1, layout: 'NHWC' as const }]],
    ] as const)) {
      ap = context;
      const data = makeValues('ties', size(shape), 9);
      const ref = cpu.maxPool({ data, shape: [...shape] }, options);
      const grad = makeValues('special', ref.values.data.length, 10);
      const backward = { ...options, inputShape: [...shape] };
      const expected = cpu.maxPoolBackward({ data: grad, shape: ref.values.shape }, ref.indices, backward);
      const x = ap.tensor(data, [...shape]);
      const { values, indices } = ap.maxPool(x, options);
      const dx = await ap.maxPoolBackward(ap.tensor(grad, ref.values.shape), indices, backward).read();
      expectSumBitsEqual(dx, expected.data, expected.shape, `gradient ${JSON.stringify(shape)}`);
      for (const t of [x, values, indices]) t.destroy();
    }
  });

  it('sums the gradients of overlapping windows that chose the same element, identically on every run', async () => {
    // 3x3 windows with stride 1 over a single peak: all nine outputs choose the centre.
    const shape = [1, 1, 5, 5];
    const data = new Float32Array(25).fill(0);
    data[12] = 10;
    const x = ap.tensor(data, shape);
    const { indices } = ap.maxPool2d(x, { kernelSize: 3, stride: 1 });
    const grad = makeValues('random', 9, 5);
    const g = ap.tensor(grad, [1, 1, 3, 3]);
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await ap.maxPoolBackward(g, indices, { kernelSize: 3, stride: 1, inputShape: shape }).read());
    let sum = 0;
    for (const v of grad) sum = Math.fround(sum + v);
    expect(runs[0][12]).toBe(sum);
    expect(runs[0].filter((v, i) => i !== 12 && v !== 0)).toHaveLength(0);
    for (const run of runs) expectBitsEqual(run, runs[0], shape, 'repeat run');
  });

  it('reports an index outside its window, as the CPU reference does, and keeps working', async () => {
    const shape = [1, 2, 4, 4];
    const options = { kernelSize: 2, inputShape: shape };
    const indicesData = new Int32Array([0, 2, 8, 10, 1, 3, 9, 5]); // [0, 1, 1, 1] names row 0: not its window
    const hostIndices = { data: indicesData, shape: [1, 2, 2, 2] };
    const grad = { data: new Float32Array(8).fill(1), shape: [1, 2, 2, 2] };
    const message = 'maxPoolBackward2d: index 5 at indices[0, 1, 1, 1] is not inside its pooling window';
    expect(() => cpu.maxPoolBackward(grad, hostIndices, options)).toThrow(message);
    const dx = ap.maxPoolBackward(ap.tensor(grad.data, grad.shape), ap.tensor(indicesData, hostIndices.shape), options);
    await expect(dx.read()).rejects.toThrow(message);
    const invalid = new Int32Array([0, 2, 8, 16, 1, 3, 9, 11]);
    const invalidMessage = 'maxPoolBackward2d: Found an invalid max index 16 at indices[0, 0, 1, 1] (output plane has 16 elements)';
    expect(() => cpu.maxPoolBackward(grad, { data: invalid, shape: grad.shape }, options)).toThrow(invalidMessage);
    const dy = ap.maxPoolBackward(ap.tensor(grad.data, grad.shape), ap.tensor(invalid, grad.shape), options);
    await expect(dy.read()).rejects.toThrow(invalidMessage);
    // Valid indices afterwards give the right answer.
    const ok = ap.maxPoolBackward(ap.tensor(grad.data, grad.shape), ap.tensor(new Int32Array([0, 2, 8, 10, 1, 3, 9, 11]), grad.shape), options);
    expect(Array.from(await ok.read())).toEqual(Array.from(cpu.maxPoolBackward(grad, { data: new Int32Array([0, 2, 8, 10, 1, 3, 9, 11]), shape: grad.shape }, options).data));
  });

  it('refuses mismatched shapes synchronously', () => {
    const g = ap.tensor(new Float32Array(4), [1, 1, 2, 2]);
    const idx = ap.tensor(new Int32Array(9), [1, 1, 3, 3]);
    expect(() => ap.maxPoolBackward(g, idx, { kernelSize: 2, inputShape: [1, 1, 4, 4] })).toThrow(
      /^maxPoolBackward2d: indices shape \[1, 1, 3, 3\] must equal the pooled output shape \[1, 1, 2, 2\]$/,
    );
    expect(() => ap.maxPoolBackward(g, idx, { kernelSize: 2 } as never)).toThrow(/inputShape \(the shape of the pooling input\) is required/);
    expect(() => ap.maxPoolBackward(g, idx, { kernelSize: 2, inputShape: [1, 1, 6, 6] })).toThrow(
      /^maxPoolBackward2d: gradOutput shape \[1, 1, 2, 2\] must equal the pooled output shape \[1, 1, 3, 3\]$/,
    );
  });
});

describe('maxUnpoolBackward', () => {
  it('matches the CPU reference bit for bit, for pooled and for arbitrary indices', async () => {
    const cases = fc.sample(
      fc.record({
        rank: fc.constantFrom(1, 2, 3),
        kernel: fc.integer({ min: 1, max: 3 }),
        stride: fc.integer({ min: 1, max: 3 }),
        layout: fc.constantFrom('NCHW' as const, 'NHWC' as const),
        indexFormat: fc.constantFrom('spatial' as const, 'flat' as const, 'flat-no-batch' as const),
        seed: fc.integer(),
      }),
      80,
    );
    for (const c of cases) {
      const pooled = [5, 4, 3].slice(0, c.rank);
      const outSpatial = pooled.map((n) => (n - 1) * c.stride + c.kernel);
      const outVolume = size(outSpatial);
      const shape = c.layout === 'NHWC' ? [2, ...pooled, 3] : [2, 3, ...pooled];
      const outShape = c.layout === 'NHWC' ? [2, ...outSpatial, 3] : [2, 3, ...outSpatial];
      // Arbitrary positions, encoded in the requested format.
      const spatial = randomSpatialIndices(size(shape), outVolume, c.seed);
      const encoded = new Int32Array(spatial.length);
      for (let k = 0; k < spatial.length; k++) {
        const c_ = c.layout === 'NHWC' ? k % 3 : Math.floor(k / size(pooled)) % 3;
        const n = c.layout === 'NHWC' ? Math.floor(k / (3 * size(pooled))) : Math.floor(k / (3 * size(pooled)));
        const [sn, sc, ss] =
          c.indexFormat === 'spatial' ? [0, 0, 1] : c.layout === 'NHWC' ? [outVolume * 3, 1, 3] : [3 * outVolume, outVolume, 1];
        encoded[k] = (c.indexFormat === 'flat' ? n * sn : 0) + c_ * sc + spatial[k] * ss;
      }
      const options: UnpoolOptions = { kernelSize: c.kernel, stride: c.stride, layout: c.layout, indexFormat: c.indexFormat };
      const grad = makeValues('nan', size(outShape), c.seed + 2);
      const expected = cpu.maxUnpoolBackward({ data: grad, shape: outShape }, { data: encoded, shape }, options);
      const dv = ap.maxUnpoolBackward(ap.tensor(grad, outShape), ap.tensor(encoded, shape), options);
      expect(dv.shape).toEqual(shape);
      expectBitsEqual(await dv.read(), expected.data, expected.shape, `unpool gradient ${JSON.stringify(c)}`);
    }
  });

  it('reports an invalid index and refuses a fill that has no gradient', async () => {
    const g = ap.tensor(new Float32Array(16), [1, 1, 4, 4]);
    const idx = ap.tensor(new Int32Array([0, 3, -1, 15]), [1, 1, 2, 2]);
    await expect(ap.maxUnpoolBackward(g, idx, { kernelSize: 2 }).read()).rejects.toThrow(
      'maxUnpoolBackward2d: Found an invalid max index -1 at indices[0, 0, 1, 0] (output plane has 16 elements)',
    );
    expect(() => ap.maxUnpoolBackward(g, idx, { kernelSize: 2, fill: 'nearest' })).toThrow(
      /^maxUnpoolBackward2d: fill "nearest" has no gradient here/,
    );
  });
});
