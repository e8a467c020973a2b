/**
 * Conformance of the built adapter (`argpool/onnxruntime-web`) on ORT's WebGPU provider: ONNX
 * Runtime's own MaxUnpool and MaxPool-with-Indices unit-test cases, every MaxPool and MaxUnpool
 * case of ONNX's backend node tests (plus each float MaxPool case with an Indices output added), and
 * MaxPool with Indices on inputs holding NaNs, as one-node models with their expected outputs
 * (conformance/generate.py wrote them). Every value and index is compared exactly, with the expected
 * outputs and with ORT's wasm provider on the same model where wasm runs it. Error cases must be
 * refused, at create or at run, as ORT refuses them.
 *
 * NaN cases: their expected outputs are ONNX Runtime 1.29+'s CPU answers (NaN rule 'first'). The
 * adapter follows the NaN rule of the ORT module it is given, so on the oldest supported version
 * (whose CPU kernel never lets a NaN win: rule 'ignore') it is compared with that version's wasm
 * provider, and with the expected outputs when it is asked for rule 'first'.
 */
import { describe, expect, it } from 'vitest';
import { InferenceSession } from 'argpool/onnxruntime-web';
import type * as ortTypes from 'onnxruntime-web/webgpu';
import manifest from './conformance/cases.json';
import { ORT_VERSIONS, type Ort } from './versions';

interface TensorEntry {
  name: string;
  dtype: 'float32' | 'int64' | 'int8' | 'uint8';
  dims: number[];
  offset: number;
  bytes: number;
}
interface Case {
  name: string;
  source: string;
  model: string;
  data: string;
  inputs: TensorEntry[];
  outputs?: TensorEntry[];
  indicesFromWasm?: string[];
  error?: { ort: string; adapter: string };
  /** Why ONNX Runtime's output differs from ONNX's expected one here (the adapter follows ORT). */
  ortDiffers?: string;
  /** A NaN case: expected outputs are ORT 1.29+'s (NaN rule 'first'). */
  nan?: boolean;
  /** A NaN case where ORT up to 1.27 gives what argpool cannot (the lowest float and an index from -1s). */
  olderOrtDiffers?: string;
}

const cases = manifest.cases as Case[];
const files = import.meta.glob('./conformance/*.{onnx,bin}', { query: '?url', import: 'default', eager: true }) as Record<string, string>;

async function fetchBytes(file: string): Promise<ArrayBuffer> {
  const url = files[`./conformance/${file}`];
  if (!url) throw new Error(`conformance file ${file} is missing`);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetch ${url}: ${response.status}`);
  return response.arrayBuffer();
}

const ARRAYS = { float32: Float32Array, int64: BigInt64Array, int8: Int8Array, uint8: Uint8Array } as const;

function tensorOf(ort: Ort, data: ArrayBuffer, entry: TensorEntry): ortTypes.Tensor {
  const Array_ = ARRAYS[entry.dtype];
  const values = new Array_(data.slice(entry.offset, entry.offset + entry.bytes));
  return new ort.Tensor(entry.dtype, values as Float32Array, entry.dims);
}

/** Values as plain lists: floats by their bits (exact, -0 and NaN included), integers as they are. */
async function valuesOf(tensor: ortTypes.Tensor): Promise<(number | bigint)[]> {
  const data = tensor.location === 'cpu' ? tensor.data : await tensor.getData();
  if (data instanceof Float32Array) return Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));
  return Array.from(data as ArrayLike<number | bigint>);
}

async function expectSame(name: string, got: ortTypes.Tensor, want: ortTypes.Tensor, against: string): Promise<void> {
  expect(got.type, `${name} type (against ${against})`).toBe(want.type);
  expect(got.dims, `${name} dims (against ${against})`).toEqual(want.dims);
  const [a, e] = [await valuesOf(got), await valuesOf(want)];
  const first = e.findIndex((v, i) => v !== a[i]);
  expect(first, `${name} against ${against}: first difference at ${first}: ${a[first]} instead of ${e[first]} (float32 values as bits)`).toBe(-1);
}

/** ORT wasm on the unsplit model: its outputs, or the error it gives (at create or run). */
async function onWasm(ort: Ort, bytes: Uint8Array, feeds: Record<string, ortTypes.Tensor>): Promise<Record<string, ortTypes.Tensor> | Error> {
  try {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    try {
      return (await session.run(feeds)) as Record<string, ortTypes.Tensor>;
    } finally {
      await session.release();
    }
  } catch (error) {
    return error as Error;
  }
}

/** Cases whose model ORT's wasm provider cannot run, though they are no error cases (none so far). */
const WASM_CANNOT_RUN: string[] = [];

describe.each(ORT_VERSIONS)('conformance on $name', ({ ort, oldest }) => {
  const wasmFailed: string[] = [];

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const bytes = new Uint8Array(await fetchBytes(c.model));
    const data = await fetchBytes(c.data);
    const feeds = Object.fromEntries(c.inputs.map((entry) => [entry.name, tensorOf(ort, data, entry)]));
    if (c.error) {
      let refused: Error | null = null;
      let session: InferenceSession | null = null;
      try {
        session = await InferenceSession.create(bytes, { ort, executionProviders: ['webgpu'] });
        await session.run(feeds);
      } catch (error) {
        refused = error as Error;
      } finally {
        await session?.release();
      }
      expect(refused?.message, `${c.name} must be refused (ONNX Runtime: "${c.error.ort}")`).toMatch(new RegExp(c.error.adapter));
      // 1.23's wasm build aborts the whole module on an out-of-range MaxUnpool index (later sessions
      // then hang): ORT's own refusals are checked on the newest version.
      if (!oldest) expect(await onWasm(ort, bytes, feeds), `ORT wasm refuses ${c.name} too`).toBeInstanceOf(Error);
      return;
    }

    const wasm = await onWasm(ort, bytes, feeds);

    const session = await InferenceSession.create(bytes, { ort, executionProviders: ['webgpu'] });
    try {
      const outputs = (await session.run(feeds)) as Record<string, ortTypes.Tensor>;
      if (c.nan) {
        // The ORT module's own NaN rule by default; the expected outputs are rule 'first''s.
        expect(session.nan).toBe(oldest ? 'ignore' : 'first');
        const first = await InferenceSession.create(bytes, { ort, executionProviders: ['webgpu'], nan: 'first' });
        try {
          const asked = (await first.run(feeds)) as Record<string, ortTypes.Tensor>;
          for (const entry of c.outputs!) await expectSame(entry.name, asked[entry.name], tensorOf(ort, data, entry), "the expected output (rule 'first')");
        } finally {
          await first.release();
        }
      }
      if (c.nan && oldest && c.olderOrtDiffers) {
        // No window holds a number: argpool keeps the first tap under either rule; this ORT cannot.
        for (const entry of c.outputs!) await expectSame(entry.name, outputs[entry.name], tensorOf(ort, data, entry), 'the expected output');
        expect(wasm, c.olderOrtDiffers).not.toBeInstanceOf(Error);
        const reference = (wasm as Record<string, ortTypes.Tensor>).Y;
        expect(await valuesOf(reference), c.olderOrtDiffers).not.toEqual(await valuesOf(outputs.Y));
        return;
      }
      if (c.nan && oldest) {
        // Compared with this version's own wasm provider below.
      } else if (c.ortDiffers) {
        // The adapter gives ORT's answer; ORT's own differs from ONNX's expected output, as noted.
        expect(wasm, c.ortDiffers).not.toBeInstanceOf(Error);
        const expected = c.outputs![0];
        const reference = (wasm as Record<string, ortTypes.Tensor>)[expected.name];
        expect(await valuesOf(reference), c.ortDiffers).not.toEqual(await valuesOf(tensorOf(ort, data, expected)));
      } else {
        for (const entry of c.outputs ?? []) await expectSame(entry.name, outputs[entry.name], tensorOf(ort, data, entry), 'the expected output');
      }
      if (wasm instanceof Error) {
        wasmFailed.push(c.name);
        expect(c.indicesFromWasm, `${c.name}: its expected indices come from wasm, which failed: ${wasm.message}`).toBeUndefined();
        return;
      }
      expect(Object.keys(outputs).sort()).toEqual(Object.keys(wasm).sort());
      for (const [name, want] of Object.entries(wasm)) await expectSame(name, outputs[name], want, 'ORT wasm');
    } finally {
      await session.release();
    }
  });

  it('runs ORT wasm as the second reference on every case that is not an error case', () => {
    expect(wasmFailed).toEqual(WASM_CANNOT_RUN);
  });
});
