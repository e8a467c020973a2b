/**
 * Faults: GPU-side findings (an index that names no element, or lies outside its window) that a
 * kernel writes into a status buffer. Results carry the statuses of everything they were computed
 * from, and a read of any of them turns the first fault into a rejected promise with PyTorch's words.
 */
import { indexStrides, product, show, type Layout, type PoolGeometry } from './options.js';
import type { Session } from './session.js';
import type { FaultStatus, Tensor } from './tensor.js';

/**
 * A status buffer for a kernel that reads `indices`; reading any tensor that carries it reports the
 * first bad element with `message(index, logical coordinates)`.
 */
export function newFault(
  session: Session,
  indices: Tensor,
  layout: Layout,
  message: (index: number, where: number[]) => string,
): FaultStatus {
  const shape = indices.shape;
  return session.acquireFault(message, shape, layout);
}

/** The faults a result carries: those of the tensors it was computed from, and its own. */
export function carriedFaults(inputs: readonly Tensor[], own: FaultStatus): FaultStatus[] {
  // Most inputs carry none (a pooling's results carry only its input's): skip the set then.
  if (inputs.every((t) => t.faults.length === 0)) return [own];
  return [...new Set([...inputs.flatMap((t) => t.faults), own])];
}

/** PyTorch's words for an index that names no element of its plane. */
export function invalidIndex(op: string, index: number, where: number[], volume: number): string {
  return `${op}: Found an invalid max index ${index} at indices${show(where)} (output plane has ${volume} elements)`;
}

/** A 'window' tap past the kernel volume, or on padding. */
export function invalidTap(op: string, tap: number, where: number[], kernel: readonly number[], targetName: string, targetSpatial: readonly number[]): string {
  return (
    `${op}: Found an invalid window index ${tap} at indices${show(where)} ` +
    `(a window has ${product(kernel)} taps, and the tap must lie inside the ${targetName} of spatial size ${show(targetSpatial)})`
  );
}

/** The pooling gradient's fault: an invalid index, or a valid one outside its own window. */
export function poolBackwardFault(g: PoolGeometry, index: number, where: number[]): string {
  const volume = product(g.inSpatial);
  const [strideN, strideC, strideS] = indexStrides(g.indexFormat, g.layout, g.channels, volume);
  const rel = index - where[0] * strideN - where[1] * strideC;
  if (rel < 0 || rel % strideS !== 0 || rel / strideS >= volume) return invalidIndex(g.op, index, where, volume);
  return (
    `${g.op}: index ${index} at indices${show(where)} is not inside its pooling window ` +
    '(the gradient takes the indices maxPool returned for the same options)'
  );
}

/** The (n, c, spatial...) coordinates of a flat position in a tensor of the given layout. */
export function logicalCoordinates(shape: readonly number[], layout: Layout, position: number): number[] {
  const coords: number[] = [];
  let rest = position;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    coords.unshift(rest % shape[axis]);
    rest = Math.floor(rest / shape[axis]);
  }
  if (layout === 'NHWC') coords.splice(1, 0, coords.pop()!);
  return coords;
}
