/**
 * Runs a model on two engines, argpool's path and a CPU reference, on the same inputs, and compares:
 * the largest difference of every output, the labels over the channel axis where outputs have
 * channels, and each engine's time per run. `npx argpool run` (bin/) and the demo's "Your model" view
 * both drive it, with the engines of engines-onnx.ts or engines-layers.ts.
 */
import { cpu } from '../index.js';
import { rng as seededRandom } from '../check/values.js';
import { elementCount } from './limits.js';
import type { NpyArray, NpyData } from './npy.js';
import type { EngineTiming, ModelReport, OutputComparison, StepTimingInfo } from './report.js';

/** A tensor on the host, by name. */
export interface HostTensor {
  name: string;
  /** ORT's type names: 'float32', 'int64', ...; float16 data holds the bits. */
  dtype: string;
  shape: number[];
  data: NpyData;
}

export interface Engine {
  role: 'argpool' | 'reference';
  label: string;
  /** One run: the inputs in, every output back on the host, in the model's output order. */
  run(inputs: HostTensor[]): Promise<HostTensor[]>;
  /** The adapter's step-by-step run, where it has one. */
  steps?(inputs: HostTensor[]): Promise<StepTimingInfo[]>;
  release(): Promise<void>;
}

/** A seeded generator of floats in [0, 1) (mulberry32, the check's): the same inputs for the same seed everywhere. */
export { seededRandom };

/**
 * Random inputs of the shapes an inspection resolved: floats uniform in [0, 1), integers 0 to 9,
 * booleans 0 or 1. Throws, naming the input and the dimension, while a shape is not fully known.
 */
export function randomInputs(report: ModelReport, seed: number): HostTensor[] {
  const next = seededRandom(seed);
  return report.inputs.map((input) => {
    const shape = input.resolvedShape;
    if (!shape) {
      const open = (input.shape ?? []).filter((d): d is string => typeof d === 'string');
      throw Object.assign(
        new RangeError(
          input.shape
            ? `input ${JSON.stringify(input.name)} has shape [${input.shape.join(', ')}]: ${open.length ? `its dimensions ${open.join(', ')} need values` : 'its unnamed dimensions need an input file'}`
            : `input ${JSON.stringify(input.name)} declares no shape: it needs an input file`,
        ),
        { dims: open },
      );
    }
    const count = Number(elementCount(shape));
    let data: NpyData;
    switch (input.dtype) {
      case 'float32':
      case 'float64': {
        const values = input.dtype === 'float32' ? new Float32Array(count) : new Float64Array(count);
        for (let i = 0; i < count; i++) values[i] = next();
        data = values;
        break;
      }
      case 'float16': {
        data = Uint16Array.from({ length: count }, () => cpu.numberToFloat16Bits(next()));
        break;
      }
      case 'int32':
        data = Int32Array.from({ length: count }, () => Math.floor(next() * 10));
        break;
      case 'int64':
        data = BigInt64Array.from({ length: count }, () => BigInt(Math.floor(next() * 10)));
        break;
      case 'uint8':
      case 'bool':
        data = Uint8Array.from({ length: count }, () => (input.dtype === 'bool' ? (next() < 0.5 ? 0 : 1) : Math.floor(next() * 256)));
        break;
      default:
        throw new RangeError(`input ${JSON.stringify(input.name)} is ${input.dtype}: give it as an .npy file`);
    }
    return { name: input.name, dtype: input.dtype, shape, data };
  });
}

/** An .npy array as a model input: shape as the inspection resolved it, numbers converted to the input's type. */
export function inputFromNpy(report: ModelReport, name: string, array: NpyArray): HostTensor {
  const input = report.inputs.find((i) => i.name === name);
  if (!input) throw new RangeError(`the model has no input ${JSON.stringify(name)} (inputs: ${report.inputs.map((i) => i.name).join(', ')})`);
  const declared = input.shape;
  if (declared && (declared.length !== array.shape.length || declared.some((d, i) => typeof d === 'number' && d !== array.shape[i]))) {
    throw new RangeError(`input ${JSON.stringify(name)}: the .npy array has shape [${array.shape.join(', ')}], the model declares [${declared.join(', ')}]`);
  }
  const floats = ['float32', 'float64'];
  const ints = ['int32', 'int64', 'uint8', 'int8', 'int16', 'uint16', 'bool'];
  let data: NpyData = array.data;
  if (input.dtype === 'float32' && array.dtype !== 'float32') {
    if (!floats.includes(array.dtype)) throw new TypeError(`input ${JSON.stringify(name)} is float32; the .npy array is ${array.dtype}`);
    data = Float32Array.from(array.data as Float64Array);
  } else if (input.dtype === 'int64' && array.dtype !== 'int64') {
    if (!ints.includes(array.dtype)) throw new TypeError(`input ${JSON.stringify(name)} is int64; the .npy array is ${array.dtype}`);
    data = BigInt64Array.from(array.data as Int32Array, (v) => BigInt(v));
  } else if (input.dtype === 'int32' && array.dtype !== 'int32') {
    if (!ints.includes(array.dtype)) throw new TypeError(`input ${JSON.stringify(name)} is int32; the .npy array is ${array.dtype}`);
    data = Int32Array.from(array.data as Int16Array, (v) => Number(v));
  } else if (input.dtype !== array.dtype) {
    throw new TypeError(`input ${JSON.stringify(name)} is ${input.dtype}; the .npy array is ${array.dtype}`);
  }
  return { name, dtype: input.dtype, shape: array.shape, data };
}

/** The first largest value's index along `axis` at every other position, as labels. */
function labelsAlong(data: ArrayLike<number>, shape: readonly number[], axis: number): Uint32Array {
  const channels = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const labels = new Uint32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * channels * inner + i;
      let best = 0;
      for (let c = 1; c < channels; c++) if (data[base + c * inner] > data[base + best * inner]) best = c;
      labels[o * inner + i] = best;
    }
  }
  return labels;
}

function numbers(t: HostTensor): ArrayLike<number> {
  if (t.data instanceof BigInt64Array) return Float64Array.from(t.data, (v) => Number(v));
  if (t.dtype === 'float16') return Float32Array.from(t.data as Uint16Array, (bits) => cpu.float16BitsToNumber(bits));
  return t.data as ArrayLike<number>;
}

/**
 * Compares an output of the argpool path with the reference's. `channelAxis`: the axis whose
 * largest value is a label (1 for channels-first ONNX outputs, the last for channels-last), or null.
 */
export function compareOutput(actual: HostTensor, expected: HostTensor, channelAxis: number | null, tolerance: number, labelAgreement = 1): OutputComparison {
  if (actual.shape.join() !== expected.shape.join()) return missing(expected);
  const a = numbers(actual);
  const b = numbers(expected);
  let maxDiff = 0;
  let maxRef = 0;
  let nanMismatches = 0;
  for (let i = 0; i < b.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) nanMismatches++;
      continue;
    }
    if (Number.isFinite(y)) maxRef = Math.max(maxRef, Math.abs(y));
    const diff = x === y ? 0 : Math.abs(x - y);
    if (diff > maxDiff || Number.isNaN(diff)) maxDiff = diff;
  }
  const comparison: OutputComparison = {
    name: expected.name,
    shape: expected.shape,
    dtype: expected.dtype,
    maxAbsDifference: maxDiff,
    maxAbsReference: maxRef,
    nanMismatches,
    withinTolerance: nanMismatches === 0 && maxDiff <= tolerance * Math.max(1, maxRef),
    ok: false,
  };
  if (channelAxis !== null && expected.shape.length >= 3 && expected.shape[channelAxis] > 1) {
    const la = labelsAlong(a, expected.shape, channelAxis);
    const lb = labelsAlong(b, expected.shape, channelAxis);
    let equal = 0;
    for (let i = 0; i < la.length; i++) if (la[i] === lb[i]) equal++;
    comparison.labels = { axis: channelAxis, equal, total: la.length };
  }
  const labels = comparison.labels;
  comparison.ok = comparison.withinTolerance || (nanMismatches === 0 && !!labels && labels.equal >= labelAgreement * labels.total);
  return comparison;
}

/** The comparison of an output the argpool path did not return, or returned in another shape. */
function missing(expected: HostTensor): OutputComparison {
  return { name: expected.name, shape: expected.shape, dtype: expected.dtype, maxAbsDifference: Infinity, maxAbsReference: 0, nanMismatches: 0, withinTolerance: false, ok: false };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface CompareOptions {
  /** Timed runs of each engine after its first run (at least 1). */
  runs: number;
  /** Relative tolerance: |difference| <= tolerance * max(1, max |reference|). */
  tolerance: number;
  /** The share of equal labels that makes an output with labels agree whatever its values (e.g. 0.995). */
  labelAgreement: number;
  /** The channel axis of an output for label agreement, or null. */
  channelAxis: (output: HostTensor) => number | null;
  onProgress?: (text: string) => void;
}

export interface Comparison {
  engines: EngineTiming[];
  outputs: OutputComparison[];
  steps?: StepTimingInfo[];
  ok: boolean;
}

/** Times both engines (a first run, then `runs` more each) and compares their last outputs. */
export async function compareEngines(subject: Engine, reference: Engine, inputs: HostTensor[], options: CompareOptions): Promise<Comparison> {
  const runs = Math.max(1, Math.floor(options.runs));
  const timed = async (engine: Engine): Promise<{ timing: EngineTiming; outputs: HostTensor[] }> => {
    let outputs: HostTensor[] = [];
    const times: number[] = [];
    for (let r = 0; r <= runs; r++) {
      options.onProgress?.(`${engine.label}: ${r === 0 ? 'first run (compiles its shaders)' : `run ${r} of ${runs}`}`);
      const start = performance.now();
      outputs = await engine.run(inputs);
      times.push(performance.now() - start);
    }
    const [firstMs, ...runsMs] = times;
    return { timing: { role: engine.role, label: engine.label, firstMs, runsMs, medianMs: median(runsMs) }, outputs };
  };
  const mine = await timed(subject);
  const theirs = await timed(reference);
  let steps: StepTimingInfo[] | undefined;
  if (subject.steps) {
    options.onProgress?.(`${subject.label}: one run step by step`);
    steps = await subject.steps(inputs);
  }
  const outputs = theirs.outputs.map((expected) => {
    const actual = mine.outputs.find((o) => o.name === expected.name);
    return actual ? compareOutput(actual, expected, options.channelAxis(expected), options.tolerance, options.labelAgreement) : missing(expected);
  });
  return { engines: [mine.timing, theirs.timing], outputs, ...(steps ? { steps } : {}), ok: outputs.every((o) => o.ok) };
}
