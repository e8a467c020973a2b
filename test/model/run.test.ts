/**
 * The pieces of `npx argpool run` and the "Your model" view that need no engine: the .npy reader
 * (bounded, exact), inputs from .npy files and random ones, the comparison of two outputs (largest
 * difference, labels over the channel axis, the verdict), and the comparison of two engines.
 */
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../src/model/npy';
import { compareEngines, compareOutput, inputFromNpy, randomInputs, type Engine, type HostTensor } from '../../src/model/run';
import { inspectModel } from '../../src/onnxruntime-web/inspect';
import { dynamicSegnet, segnetOnnx } from './models';

/** The bytes of an .npy file (version 1.0) with a header as NumPy writes it. */
function npy(descr: string, shape: number[], data: Uint8Array, fortran = false): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

function tensor(name: string, shape: number[], values: number[]): HostTensor {
  return { name, dtype: 'float32', shape, data: Float32Array.from(values) };
}

describe('readNpy', () => {
  it('reads float32 and int64 arrays in C order', () => {
    const floats = readNpy(npy('<f4', [2, 3], new Uint8Array(Float32Array.from([1, 2, 3, 4, 5, 6.5]).buffer)));
    expect(floats.dtype).toBe('float32');
    expect(floats.shape).toEqual([2, 3]);
    expect([...(floats.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6.5]);
    const ints = readNpy(npy('<i8', [3], new Uint8Array(BigInt64Array.from([1n, -2n, 3n]).buffer)));
    expect([ints.dtype, [...(ints.data as BigInt64Array)]]).toEqual(['int64', [1n, -2n, 3n]]);
  });

  it('refuses a file whose data is not as long as its shape says, big-endian data, Fortran order and no magic', () => {
    expect(() => readNpy(npy('<f4', [1024, 1024, 1024, 1024], new Uint8Array(16)), 'x.npy')).toThrow(
      /^x\.npy: shape \(1024, 1024, 1024, 1024\) of float32 needs 4398046511104 bytes of data, the file holds 16$/,
    );
    expect(() => readNpy(npy('>f4', [1], new Uint8Array(4)), 'x.npy')).toThrow(/big-endian/);
    expect(() => readNpy(npy('<f4', [1], new Uint8Array(4), true), 'x.npy')).toThrow(/Fortran order/);
    expect(() => readNpy(new Uint8Array(20), 'x.npy')).toThrow(/^x\.npy is not an \.npy file/);
  });
});

describe('inputs', () => {
  it('random inputs are seeded, uniform in [0, 1), and ask for the symbolic dimensions they need', () => {
    const report = inspectModel(segnetOnnx());
    const [a] = randomInputs(report, 7);
    const [b] = randomInputs(report, 7);
    expect(a.shape).toEqual([1, 3, 128, 128]);
    expect(a.data).toEqual(b.data);
    expect(Math.min(...(a.data as Float32Array))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...(a.data as Float32Array))).toBeLessThan(1);
    expect(randomInputs(report, 8)[0].data).not.toEqual(a.data);
    let error: (Error & { dims?: string[] }) | undefined;
    try {
      randomInputs(inspectModel(dynamicSegnet()), 1);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toBe('input "image" has shape [1, 3, height, width]: its dimensions height, width need values');
    expect(error?.dims).toEqual(['height', 'width']);
  });

  it('an .npy array becomes an input of the declared type, and a wrong shape is refused', () => {
    const report = inspectModel(dynamicSegnet(), { dims: { height: 2, width: 2 } });
    const array = readNpy(npy('<f8', [1, 3, 2, 2], new Uint8Array(Float64Array.from({ length: 12 }, (_, i) => i / 2).buffer)));
    const input = inputFromNpy(report, 'image', array);
    expect(input.dtype).toBe('float32');
    expect([...(input.data as Float32Array)]).toEqual(Array.from({ length: 12 }, (_, i) => i / 2));
    expect(() => inputFromNpy(report, 'image', { ...array, shape: [1, 4, 2, 2] })).toThrow('input "image": the .npy array has shape [1, 4, 2, 2], the model declares [1, 3, height, width]');
    expect(() => inputFromNpy(report, 'nope', array)).toThrow('the model has no input "nope" (inputs: image)');
  });
});

describe('compareOutput', () => {
  it('finds the largest difference and counts equal labels over the channel axis', () => {
    // [1, 2, 1, 3]: channels-first, two channels, three positions; position 2 changes its label.
    const expected = tensor('y', [1, 2, 1, 3], [1, 5, 2, 3, 0, 4]);
    const actual = tensor('y', [1, 2, 1, 3], [1, 5, 4.5, 3, 0, 4]);
    const c = compareOutput(actual, expected, 1, 1e-3, 0.995);
    expect(c).toMatchObject({ maxAbsDifference: 2.5, maxAbsReference: 5, nanMismatches: 0, withinTolerance: false, ok: false });
    expect(c.labels).toEqual({ axis: 1, equal: 2, total: 3 });
    expect(compareOutput(expected, expected, 1, 1e-3, 0.995)).toMatchObject({ maxAbsDifference: 0, withinTolerance: true, ok: true });
  });

  it('lets equal labels carry an output whose values differ beyond the tolerance, never a NaN mismatch', () => {
    const expected = tensor('y', [1, 2, 1, 2], [1, 5, 2, 3]);
    const nudged = tensor('y', [1, 2, 1, 2], [1.2, 5, 2, 3]);
    expect(compareOutput(nudged, expected, 1, 1e-3, 0.995)).toMatchObject({ withinTolerance: false, ok: true, labels: { equal: 2, total: 2 } });
    const nan = tensor('y', [1, 2, 1, 2], [NaN, 5, 2, 3]);
    expect(compareOutput(nan, expected, 1, 1e-3, 0.995)).toMatchObject({ nanMismatches: 1, withinTolerance: false, ok: false });
    // Without channels only the values count.
    expect(compareOutput(tensor('v', [3], [1, 2, 3.5]), tensor('v', [3], [1, 2, 3]), null, 1e-3, 0.995)).toMatchObject({ ok: false });
    expect(compareOutput(tensor('v', [2], [1, 2]), tensor('v', [3], [1, 2, 3]), null, 1e-3, 0.995)).toMatchObject({ maxAbsDifference: Infinity, ok: false });
  });
});

describe('compareEngines', () => {
  it("times a first run and the given runs of each engine, compares the last outputs, and takes the adapter's steps", async () => {
    const calls: string[] = [];
    const engine = (role: Engine['role'], offset: number): Engine => ({
      role,
      label: role,
      async run(inputs) {
        calls.push(role);
        return [tensor('y', [1, 2, 1, 1], [inputs[0].data[0] as number, offset])];
      },
      ...(role === 'argpool' ? { steps: async () => [{ placement: 'argpool' as const, label: 'MaxPool node "p"', ms: 1, gpuMs: 0.5 }] } : {}),
      release: async () => undefined,
    });
    const result = await compareEngines(engine('argpool', 0), engine('reference', 0), [tensor('x', [1], [3])], { runs: 2, tolerance: 1e-3, labelAgreement: 0.995, channelAxis: () => 1 });
    expect(calls).toEqual(['argpool', 'argpool', 'argpool', 'reference', 'reference', 'reference']);
    expect(result.engines.map((e) => [e.role, e.runsMs.length])).toEqual([['argpool', 2], ['reference', 2]]);
    expect(result.ok).toBe(true);
    expect(result.steps).toEqual([{ placement: 'argpool', label: 'MaxPool node "p"', ms: 1, gpuMs: 0.5 }]);
    const differing = await compareEngines(engine('argpool', 9), engine('reference', 0), [tensor('x', [1], [3])], { runs: 1, tolerance: 1e-3, labelAgreement: 0.995, channelAxis: () => 1 });
    expect(differing.ok).toBe(false);
    expect(differing.outputs[0].labels).toEqual({ axis: 1, equal: 0, total: 1 });
  });
});
