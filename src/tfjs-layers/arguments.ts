/**
 * The Keras SegNet layers' arguments and shapes, without tfjs: the layers (index.ts) read their
 * arguments and compute their output shapes with these functions, and so does the inspection of a
 * model.json (inspect.ts), which must say what the layers will do without loading tfjs.
 */

import type { NanRule } from '../index.js';

/** A symbolic shape: `null` where the size is not known (the batch). */
export type Shape = (number | null)[];
/** One size for both dimensions, or [height, width]. */
export type Pair = number | [number, number] | readonly number[];

export const POOLING_CLASS = 'MaxPoolingWithArgmax2D';
export const UNPOOLING_CLASS = 'MaxUnpooling2D';

export function pair(layer: string, argument: string, value: Pair | undefined): [number, number] {
  if (value === undefined || value === null) return [2, 2];
  const list = typeof value === 'number' ? [value, value] : Array.from(value);
  if (list.length !== 2 || list.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new RangeError(`${layer}: ${argument} must be a positive integer or two, got ${JSON.stringify(value)}`);
  }
  return [list[0], list[1]];
}

export function paddingOf(layer: string, value: unknown): 'same' | 'valid' {
  if (value === undefined || value === null) return 'same';
  const lower = typeof value === 'string' ? value.toLowerCase() : value;
  if (lower !== 'same' && lower !== 'valid') {
    throw new RangeError(`${layer}: padding must be 'same' or 'valid' (any case), got ${JSON.stringify(value)}`);
  }
  return lower;
}

const NAN_RULES: readonly NanRule[] = ['first', 'propagate', 'ignore'];

export function nanRuleOf(layer: string, value: unknown): NanRule {
  if (value === undefined || value === null) return 'first';
  if (!NAN_RULES.includes(value as NanRule)) {
    throw new RangeError(`${layer}: nan must be 'first', 'propagate' or 'ignore', got ${JSON.stringify(value)}`);
  }
  return value as NanRule;
}

export function rank4(layer: string, argument: string, shape: Shape | readonly number[]): void {
  if (shape.length !== 4) {
    throw new RangeError(`${layer}: ${argument} must have rank 4 ([batch, height, width, channels]), got shape ${JSON.stringify(shape)}`);
  }
}

/** MaxPoolingWithArgmax2D's output shape (values and argmax alike) for a channels-last input shape. */
export function pooledShape(shape: Shape, poolSize: readonly [number, number], strides: readonly [number, number], padding: 'same' | 'valid'): Shape {
  rank4(POOLING_CLASS, 'input', shape);
  const out = (size: number | null, i: 0 | 1): number | null => {
    if (size === null) return null;
    const [k, s] = [poolSize[i], strides[i]];
    return padding === 'same' ? Math.ceil(size / s) : Math.floor((size - k) / s) + 1;
  };
  return [shape[0], out(shape[1], 0), out(shape[2], 1), shape[3]];
}

/** MaxUnpooling2D's output shape for its updates' shape. */
export function unpooledShape(updates: Shape, size: readonly [number, number]): Shape {
  rank4(UNPOOLING_CLASS, 'updates', updates);
  const scaled = (value: number | null, factor: number) => (value === null ? null : value * factor);
  return [updates[0], scaled(updates[1], size[0]), scaled(updates[2], size[1]), updates[3]];
}
