/**
 * GPU-versus-CPU agreement for one run of the chain, with the conformance check's comparisons. Pooled values and every unpooling with fill
 * 'zero' or 'nearest' must match the CPU chain bit for bit (Uint32Array views, so NaN payloads and -0
 * count); indices must match exactly.
 *
 * Bilinear fill is computed in float32 on the GPU and in float64 (rounded once) by the reference, so
 * there the two differ by rounding, and in a chain those differences feed the next unpooling. So each
 * GPU unpooling is checked against the reference run on the very inputs the GPU had (its own deeper
 * level), within BILINEAR_TOLERANCE relative to the largest magnitude of those inputs, as the
 * library's own GPU tests do. How far the two chains drift apart end to end is reported alongside.
 */
import { compareBits, compareClose, compareInts } from '../src/check/compare';
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

class Mismatch extends Error {}

/** Throws the difference table of a comparison (src/check/compare.ts), if any, naming what was compared. */
function expectSame(what: string, difference: string | null): void {
  if (difference) throw new Mismatch(`${what}: ${difference}`);
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
      expectSame(`level ${level.level} pooled values`, compareBits(gpu.pooled[l].values, cpu.pooled[l].values, { shape: level.outShape }));
      expectSame(`level ${level.level} indices`, compareInts(gpu.pooled[l].indices, cpu.pooled[l].indices, { shape: level.outShape }));
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
        expectSame(what, compareClose(gpu.unpooled[l], expected, largestMagnitude(gpuInput), { shape: level.inShape, tolerance: BILINEAR_TOLERANCE }));
        largestDifference = Math.max(largestDifference, largestAbsoluteDifference(gpu.unpooled[l], expected));
        chainDrift = Math.max(chainDrift, largestAbsoluteDifference(gpu.unpooled[l], cpu.unpooled[l]));
      } else {
        expectSame(what, compareBits(gpu.unpooled[l], cpu.unpooled[l], { shape: level.inShape }));
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
