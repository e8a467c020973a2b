/**
 * GPU-versus-CPU agreement for one run of the chain. Pooled values and every unpooling with fill
 * 'zero' or 'nearest' must match the CPU chain bit for bit (Uint32Array views, so NaN payloads and -0
 * count); indices must match exactly.
 *
 * Bilinear fill is computed in float32 on the GPU and in float64 (rounded once) by the reference, so
 * there the two differ by rounding, and in a chain those differences feed the next unpooling. So each
 * GPU unpooling is checked against the reference run on the very inputs the GPU had (its own deeper
 * level), within BILINEAR_TOLERANCE times the largest magnitude of those inputs, as the library's own
 * GPU tests do. How far the two chains drift apart end to end is reported alongside.
 */
import { cpu as reference } from '../src/index';
import type { ChainPlan, ChainResult } from './chain';

export const BILINEAR_TOLERANCE = 1e-6;

export type Agreement =
  | {
      identical: true;
      elements: number;
      bitExact: boolean;
      /** Bilinear only: the largest difference of one GPU unpooling from the reference on the same inputs. */
      largestDifference: number;
      /** Bilinear only: the largest difference between the GPU's and the CPU's chain. */
      chainDrift: number;
    }
  | { identical: false; message: string };

function coordinates(shape: readonly number[], position: number): string {
  const coords: number[] = [];
  let rest = position;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    coords.unshift(rest % shape[axis]);
    rest = Math.floor(rest / shape[axis]);
  }
  return `[${coords.join(', ')}]`;
}

function showFloat(value: number): string {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0];
  const text = Object.is(value, -0) ? '-0' : String(value);
  return `${text} (0x${bits.toString(16).padStart(8, '0')})`;
}

function bits(data: Float32Array): Uint32Array {
  return new Uint32Array(data.buffer, data.byteOffset, data.length);
}

class Mismatch extends Error {}

function lengthCheck(what: string, gpu: ArrayLike<number>, cpu: ArrayLike<number>): void {
  if (gpu.length !== cpu.length) throw new Mismatch(`${what}: GPU gave ${gpu.length} elements, CPU ${cpu.length}`);
}

function expectBitsEqual(what: string, shape: readonly number[], gpu: Float32Array, cpu: Float32Array): void {
  lengthCheck(what, gpu, cpu);
  const g = bits(gpu);
  const c = bits(cpu);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== c[i]) {
      throw new Mismatch(`${what} at ${coordinates(shape, i)}: GPU ${showFloat(gpu[i])}, CPU ${showFloat(cpu[i])}`);
    }
  }
}

function expectIntsEqual(what: string, shape: readonly number[], gpu: Int32Array, cpu: Int32Array): void {
  lengthCheck(what, gpu, cpu);
  for (let i = 0; i < gpu.length; i++) {
    if (gpu[i] !== cpu[i]) throw new Mismatch(`${what} at ${coordinates(shape, i)}: GPU ${gpu[i]}, CPU ${cpu[i]}`);
  }
}

/** Returns the largest difference; throws at the first element further apart than `tolerance`. */
function expectClose(what: string, shape: readonly number[], gpu: Float32Array, cpu: Float32Array, tolerance: number): number {
  lengthCheck(what, gpu, cpu);
  let largest = 0;
  for (let i = 0; i < gpu.length; i++) {
    const difference = Math.abs(gpu[i] - cpu[i]);
    // A NaN on only one side fails as well: !(NaN <= x).
    if (!(difference <= tolerance) && !(Number.isNaN(gpu[i]) && Number.isNaN(cpu[i]))) {
      throw new Mismatch(
        `${what} at ${coordinates(shape, i)}: GPU ${showFloat(gpu[i])}, CPU ${showFloat(cpu[i])} ` +
          `(differ by ${difference.toExponential(2)}, more than the bilinear tolerance ${tolerance.toExponential(2)})`,
      );
    }
    if (difference > largest) largest = difference;
  }
  return largest;
}

export function largestMagnitude(data: Float32Array): number {
  let largest = 0;
  for (let i = 0; i < data.length; i++) {
    const magnitude = Math.abs(data[i]);
    if (magnitude > largest) largest = magnitude;
  }
  return largest;
}

/** Compares every level's values and indices and every unpooling; the first mismatch is reported. */
export function compareChains(plan: ChainPlan, gpu: ChainResult, cpu: ChainResult): Agreement {
  let elements = 0;
  let largestDifference = 0;
  let chainDrift = 0;
  let bilinear = false;
  try {
    plan.levels.forEach((level, l) => {
      expectBitsEqual(`level ${level.level} pooled values`, level.outShape, gpu.pooled[l].values, cpu.pooled[l].values);
      expectIntsEqual(`level ${level.level} indices`, level.outShape, gpu.pooled[l].indices, cpu.pooled[l].indices);
      elements += 2 * cpu.pooled[l].values.length;
    });
    // Deepest first, the order they ran in, so the first mismatch reported is the one that caused the rest.
    for (let l = plan.levels.length - 1; l >= 0; l--) {
      const level = plan.levels[l];
      const what = l === 0 ? 'reconstruction' : `level ${level.level} unpooled`;
      if (level.unpool.fill === 'bilinear') {
        bilinear = true;
        const gpuInput = l === plan.levels.length - 1 ? gpu.pooled[l].values : gpu.unpooled[l + 1];
        const expected = reference.maxUnpool2d(
          { data: gpuInput, shape: level.outShape },
          { data: gpu.pooled[l].indices, shape: level.outShape },
          level.unpool,
        ).data;
        const tolerance = BILINEAR_TOLERANCE * largestMagnitude(gpuInput);
        largestDifference = Math.max(largestDifference, expectClose(what, level.inShape, gpu.unpooled[l], expected, tolerance));
        chainDrift = Math.max(chainDrift, largestAbsoluteDifference(gpu.unpooled[l], cpu.unpooled[l]));
      } else {
        expectBitsEqual(what, level.inShape, gpu.unpooled[l], cpu.unpooled[l]);
      }
      elements += cpu.unpooled[l].length;
    }
  } catch (error) {
    if (error instanceof Mismatch) return { identical: false, message: error.message };
    throw error;
  }
  return { identical: true, elements, bitExact: !bilinear || chainDrift === 0, largestDifference, chainDrift };
}

function largestAbsoluteDifference(a: Float32Array, b: Float32Array): number {
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i] - b[i]));
  return largest;
}

/** The text of the page's agreement status. */
export function describeAgreement(agreement: Agreement): string {
  if (!agreement.identical) return `MISMATCH: ${agreement.message}`;
  const count = agreement.elements.toLocaleString('en-US');
  if (agreement.bitExact) {
    return `identical: all values and indices match the CPU reference bit for bit (${count} elements)`;
  }
  return (
    `identical: all values and indices match the CPU reference (${count} elements); bilinear fill within ` +
    `${BILINEAR_TOLERANCE.toExponential(0)} × max|x| per unpooling (largest difference ${agreement.largestDifference.toExponential(1)}; ` +
    `the two chains end ${agreement.chainDrift.toExponential(1)} apart), everything else bit for bit`
  );
}
