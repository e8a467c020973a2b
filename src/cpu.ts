/**
 * CPU reference for max pooling with argmax indices, max unpooling and their gradients.
 *
 * Plain loops, written from the rules below and not from the WGSL kernels, so a GPU-versus-CPU test
 * compares two separate readings of the rules. Only option parsing and size arithmetic are shared
 * (`src/options.ts`). No Node imports: this runs in the browser tests too.
 *
 * The rules are those of PyTorch's CPU kernels for max_pool{1,2,3}d(return_indices=True) and
 * max_unpool{1,2,3}d:
 * - Output position o of a dimension covers input positions o*stride - padBegin + k*dilation,
 *   k = 0..kernel-1. Positions outside the input are padding and never win.
 * - A window is walked depth, then height, then width. The maximum starts as the window's first
 *   in-bounds element; a later element v replaces it when `v > max || isNaN(v)`. So the first maximum
 *   wins a tie, a NaN always wins (the last NaN of a window, as v > NaN is false but isNaN(v) is
 *   true), and a window of -inf keeps its first in-bounds element. The `nan` option selects the other
 *   engines' NaN rules instead (see `replaces`).
 * - Values are copied as bit patterns, so NaN payloads and -0 come through unchanged.
 * - Indices name the maximum's position in its (n, c) plane ('spatial'), its memory offset ('flat',
 *   'flat-no-batch'), or its tap inside its own window ('window': taps numbered in window order
 *   depth, row, column, counting taps that fall on padding; one byte each). Unpooling and the
 *   gradients turn a tap back into a position with the pooling's kernel, stride, padding and dilation.
 * - Unpooling writes each pooled value at the position its index names; when several indices name
 *   the same position the last one in memory order wins. Positions no index names hold 0 (fill
 *   'zero', PyTorch), or the pooled map upsampled by nearest neighbour or linear interpolation
 *   (fill 'nearest' / 'bilinear', see `interpolate`).
 * - float16 data (a Uint16Array of bits, or a Float16Array) follows the same rules on its exact
 *   float32 widening: copies keep their bits; gradient sums run in float32 and each is rounded once to
 *   float16 (round to nearest even, subnormals kept; src/float16.ts); a 'bilinear' fill is rounded
 *   once from float64. Results of float16 inputs are float16 bits (Uint16Array).
 */

import {
  float16ArrayConstructor,
  isFloat16Array,
  narrowToFloat16,
  numberToFloat16Bits,
  widenFloat16,
  type Float16ArrayType,
} from './float16.js';

export { float16BitsToNumber, numberToFloat16Bits, float16BitsToFloat32Bits, float32BitsToFloat16Bits } from './float16.js';
import {
  fail,
  joinShape,
  product,
  resolvePoolBackwardGeometry,
  resolvePoolGeometry,
  resolveUnpoolBackwardGeometry,
  resolveUnpoolGeometry,
  show,
  type IndexFormat,
  type Layout,
  type NanRule,
  type PoolBackwardOptions,
  type PoolGeometry,
  type PoolOptions,
  type SpatialRank,
  type UnpoolOptions,
  type WindowIndexOptions,
} from './options.js';

/**
 * float16 data: the bits as a Uint16Array, or a Float16Array where the runtime has one. Results of
 * float16 inputs are always the bits, as a Uint16Array (wrap its buffer in a Float16Array to read
 * numbers where there is one).
 */
export type Float16Data = Uint16Array | Float16ArrayType;

/** Floating-point tensor data: float32, or float16 (see `Float16Data`). */
export type FloatData = Float32Array | Float16Data;

/** float16 results: the bits. */
export type OwnedFloat16Bits = Uint16Array<ArrayBuffer>;

export interface HostTensor<T = Float32Array> {
  data: T;
  shape: number[];
}

/** A tensor handed in by a caller: the shape may be any read-only list. */
export interface TensorInput<T = Float32Array> {
  data: T;
  shape: readonly number[];
}

export type IndexData = Int32Array | BigInt64Array | Uint8Array;

/** Results own fresh ArrayBuffers, so they can go straight to `GPUQueue.writeBuffer`. */
export type OwnedFloat32 = Float32Array<ArrayBuffer>;

/** The result data of a float input: float32 for float32, float16 bits for float16. */
export type FloatResult<V extends FloatData> = V extends Float32Array ? OwnedFloat32 : OwnedFloat16Bits;

/** Pooling results; `indices` are a Uint8Array for indexFormat 'window' (see `WindowPoolResult`). */
export interface MaxPoolResult<I = Int32Array<ArrayBuffer>, F = OwnedFloat32> {
  values: HostTensor<F>;
  indices: HostTensor<I>;
}

export type WindowPoolResult<F = OwnedFloat32> = MaxPoolResult<Uint8Array<ArrayBuffer>, F>;

export type { WindowIndexOptions };

/** A pooling entry point of a fixed rank: uint8 taps for indexFormat 'window', int32 indices otherwise. */
export interface MaxPoolFunction {
  <V extends FloatData = Float32Array>(input: TensorInput<V>, opts: PoolOptions & WindowIndexOptions): WindowPoolResult<FloatResult<V>>;
  <V extends FloatData = Float32Array>(input: TensorInput<V>, opts: PoolOptions): MaxPoolResult<Int32Array<ArrayBuffer>, FloatResult<V>>;
}

/** An unpooling entry point of a fixed rank. */
export type MaxUnpoolFunction = <V extends FloatData = Float32Array>(
  values: TensorInput<V>,
  indices: TensorInput<IndexData>,
  opts: UnpoolOptions,
) => HostTensor<FloatResult<V>>;

export type MaxPoolBackwardOptions = PoolBackwardOptions;

// ---------------------------------------------------------------------------------------------
// Addressing
// ---------------------------------------------------------------------------------------------

/** Where element (n, c, flat spatial position p) of a tensor with `volume` spatial elements lies in memory. */
function elementOffset(layout: Layout, channels: number, volume: number, n: number, c: number, p: number): number {
  return layout === 'NHWC' ? (n * volume + p) * channels + c : (n * channels + c) * volume + p;
}

/** The inverse of `elementOffset`. */
function elementAt(layout: Layout, channels: number, volume: number, offset: number): { n: number; c: number; p: number } {
  if (layout === 'NHWC') {
    const c = offset % channels;
    const rest = (offset - c) / channels;
    const p = rest % volume;
    return { n: (rest - p) / volume, c, p };
  }
  const p = offset % volume;
  const rest = (offset - p) / volume;
  const c = rest % channels;
  return { n: (rest - c) / channels, c, p };
}

/**
 * The index recorded for element (n, c, p) of a tensor with `volume` spatial elements:
 * - 'spatial' (PyTorch): p, the position inside its (n, c) plane.
 * - 'flat': the element's memory offset, ((n*C + c)*volume + p) channels-first (ONNX MaxPool's
 *   Indices) or ((n*volume + p)*C + c) channels-last (TensorFlow's max_pool_with_argmax with
 *   include_batch_in_index=True: ((b*height + y)*width + x)*channels + c).
 * - 'flat-no-batch': the same offset with the batch term dropped (TensorFlow's default).
 */
function encodeIndex(
  format: IndexFormat,
  layout: Layout,
  channels: number,
  volume: number,
  n: number,
  c: number,
  p: number,
): number {
  if (format === 'spatial') return p;
  return elementOffset(layout, channels, volume, format === 'flat' ? n : 0, c, p);
}

/**
 * The plane position that `index` names for a known (n, c), or -1 when it names no position of that
 * plane (negative, past the end, in another plane, or between two channels of a channels-last tensor).
 * An index can only address its own (n, c) plane: that is what makes it decodable at all.
 */
function decodeIndex(
  format: IndexFormat,
  layout: Layout,
  channels: number,
  volume: number,
  n: number,
  c: number,
  index: number,
): number {
  // encodeIndex is affine in p: base + p*step.
  const base = encodeIndex(format, layout, channels, volume, n, c, 0);
  const step = encodeIndex(format, layout, channels, volume, n, c, 1) - base;
  const relative = index - base;
  if (relative < 0 || relative % step !== 0) return -1;
  const p = relative / step;
  return p < volume ? p : -1;
}

/** Row-major coordinates of flat position p in a shape. */
function coordsOf(p: number, dims: readonly number[]): number[] {
  const coords = new Array<number>(dims.length);
  for (let i = dims.length - 1; i >= 0; i--) {
    coords[i] = p % dims[i];
    p = Math.floor(p / dims[i]);
  }
  return coords;
}

/** Row-major flat position of coordinates in a shape. */
function positionOf(coords: readonly number[], dims: readonly number[]): number {
  let p = 0;
  for (let i = 0; i < dims.length; i++) p = p * dims[i] + coords[i];
  return p;
}

/** Pads a per-dimension list to three entries (depth, height, width) with leading `value`s. */
function as3d(list: readonly number[], value: number): [number, number, number] {
  const padded = [...new Array<number>(3 - list.length).fill(value), ...list];
  return [padded[0], padded[1], padded[2]];
}

// ---------------------------------------------------------------------------------------------
// Argument checks
// ---------------------------------------------------------------------------------------------

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** float32 data as it is, float16 data widened exactly to float32, with the dtype it came as. */
interface FloatInput {
  data: Float32Array;
  dtype: 'float32' | 'float16';
}

/**
 * Reads float data: a Float32Array is float32; a Uint16Array (the bits) or a Float16Array is float16,
 * widened exactly (so the float32 rules below apply to the float16 values unchanged).
 */
function readFloatData(op: string, argument: string, tensor: TensorInput<FloatData>): FloatInput {
  const data: unknown = tensor?.data;
  if (data instanceof Float32Array) return { data, dtype: 'float32' };
  if (data instanceof Uint16Array) return { data: widenFloat16(data), dtype: 'float16' };
  if (isFloat16Array(data)) {
    const half = data as unknown as Uint16Array;
    return { data: widenFloat16(new Uint16Array(half.buffer, half.byteOffset, half.length)), dtype: 'float16' };
  }
  const f16 = float16ArrayConstructor() ? ', a Float16Array' : '';
  return fail(op, `${argument} data must be a Float32Array${f16} or a Uint16Array of float16 bits, got ${describe(data)}`);
}

/**
 * A float32 result in the dtype of the input: as it is, or each element narrowed to float16 once
 * (round to nearest even, subnormals kept). `exact` (float16 only): elements computed in float64,
 * rounded once from there rather than through float32.
 */
function floatResult(result: OwnedFloat32, dtype: 'float32' | 'float16', exact?: Map<number, number>): OwnedFloat32 | OwnedFloat16Bits {
  if (dtype === 'float32') return result;
  const bits = narrowToFloat16(result);
  if (exact) for (const [k, value] of exact) bits[k] = numberToFloat16Bits(value);
  return bits;
}

function checkDataLength(op: string, argument: string, length: number, shape: readonly number[]): void {
  const needed = product(Array.from(shape));
  if (length !== needed) {
    fail(op, `${argument} data has ${length} elements but shape ${show(Array.from(shape))} needs ${needed}`);
  }
}


/**
 * Indices as plain int32 numbers; a BigInt64Array's entries must fit int32 (they are int32 on the
 * GPU). 'window' indices are tap numbers and come as a Uint8Array, which no other format takes.
 */
function readIndices(op: string, indices: TensorInput<IndexData>, format: IndexFormat): Int32Array {
  const data = indices?.data;
  if (format === 'window') {
    if (!(data instanceof Uint8Array)) fail(op, `indices data must be a Uint8Array for indexFormat 'window', got ${describe(data)}`);
    return Int32Array.from(data);
  }
  if (data instanceof Int32Array) return data;
  if (!(data instanceof BigInt64Array)) {
    fail(op, `indices data must be an Int32Array or a BigInt64Array, got ${describe(data)}`);
  }
  const result = new Int32Array(data.length);
  for (let k = 0; k < data.length; k++) {
    const value = data[k];
    if (value < -(2n ** 31n) || value > 2n ** 31n - 1n) {
      fail(op, `indices must fit in int32, got ${show(value)} at element ${k}`);
    }
    result[k] = Number(value);
  }
  return result;
}

/**
 * For each element of `indices`, in memory order, the memory offset of the element it names in a
 * tensor of spatial size `targetSpatial` with the same batch, channels and layout. The first invalid
 * index in memory order is reported with its logical coordinates [n, c, spatial...].
 */
function scatterTargets(
  op: string,
  indices: Int32Array,
  layout: Layout,
  format: IndexFormat,
  channels: number,
  indicesSpatial: readonly number[],
  targetSpatial: readonly number[],
): Int32Array {
  const sourceVolume = product(indicesSpatial);
  const targetVolume = product(targetSpatial);
  const targets = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const { n, c, p } = elementAt(layout, channels, sourceVolume, k);
    const q = decodeIndex(format, layout, channels, targetVolume, n, c, indices[k]);
    if (q < 0) {
      const where = [n, c, ...coordsOf(p, indicesSpatial)].join(', ');
      fail(op, `Found an invalid max index ${indices[k]} at indices[${where}] (output plane has ${targetVolume} elements)`);
    }
    targets[k] = elementOffset(layout, channels, targetVolume, n, c, q);
  }
  return targets;
}

/** The window walk that 'window' indices number: kernel, stride, begin padding and dilation per dimension. */
interface Windows {
  kernel: readonly number[];
  stride: readonly number[];
  padBegin: readonly number[];
  dilation: readonly number[];
}

/**
 * 'window' indices: for each tap number in memory order, the memory offset of the element it names in
 * a tensor of spatial size `targetSpatial`. Pooled element (n, c, o) has window taps k (coordinates
 * in the kernel, row-major) at o*stride - padBegin + k*dilation. A tap number past the kernel
 * volume, or a tap on padding (outside the target), is invalid; the first in memory order is reported.
 */
function windowTargets(
  op: string,
  taps: Int32Array,
  layout: Layout,
  channels: number,
  windowSpatial: readonly number[],
  targetSpatial: readonly number[],
  windows: Windows,
  targetName: string,
): Int32Array {
  const sourceVolume = product(windowSpatial);
  const targetVolume = product(targetSpatial);
  const tapCount = product(windows.kernel);
  const targets = new Int32Array(taps.length);
  for (let k = 0; k < taps.length; k++) {
    const { n, c, p } = elementAt(layout, channels, sourceVolume, k);
    const window = coordsOf(p, windowSpatial);
    const tap = taps[k];
    let inside = tap >= 0 && tap < tapCount;
    let position = 0;
    if (inside) {
      const offsets = coordsOf(tap, windows.kernel);
      const coords = window.map((o, i) => o * windows.stride[i] - windows.padBegin[i] + offsets[i] * windows.dilation[i]);
      inside = coords.every((x, i) => x >= 0 && x < targetSpatial[i]);
      position = positionOf(coords, targetSpatial);
    }
    if (!inside) {
      fail(op, invalidTapMessage(tap, [n, c, ...window], tapCount, targetName, targetSpatial));
    }
    targets[k] = elementOffset(layout, channels, targetVolume, n, c, position);
  }
  return targets;
}

function invalidTapMessage(tap: number, where: number[], taps: number, targetName: string, targetSpatial: readonly number[]): string {
  return (
    `Found an invalid window index ${tap} at indices[${where.join(', ')}] ` +
    `(a window has ${taps} taps, and the tap must lie inside the ${targetName} of spatial size ${show(Array.from(targetSpatial))})`
  );
}

// ---------------------------------------------------------------------------------------------
// Max pooling
// ---------------------------------------------------------------------------------------------

/**
 * Whether tap value `v` replaces the window's maximum `max` so far (the first in-bounds tap is taken
 * without asking). Strict > keeps the first of equal maxima everywhere; the rules differ on NaN:
 * - 'propagate', PyTorch's CPU loop (`v > max || isnan(v)`): a NaN always takes over, and once the
 *   maximum is NaN nothing is > it, but a later NaN still takes over: the last NaN wins.
 * - 'ignore', TensorFlow.js's `pixel > maxValue`: a NaN never replaces; a number replaces a NaN
 *   maximum (which only the first tap can have).
 * - 'first', TensorFlow's CPU kernel (`output < input`) and ONNX Runtime's CPU MaxPool with Indices:
 *   every comparison with a NaN is false, so a NaN first tap stays and a later NaN never enters.
 */
function replaces(v: number, max: number, nan: NanRule): boolean {
  if (nan === 'propagate') return v > max || Number.isNaN(v);
  if (nan === 'ignore') return !Number.isNaN(v) && (v > max || Number.isNaN(max));
  return v > max;
}

export function maxPool<V extends FloatData = Float32Array>(
  input: TensorInput<V>,
  opts: PoolOptions & WindowIndexOptions,
  expectedRank?: SpatialRank,
): WindowPoolResult<FloatResult<V>>;
export function maxPool<V extends FloatData = Float32Array>(
  input: TensorInput<V>,
  opts: PoolOptions,
  expectedRank?: SpatialRank,
): MaxPoolResult<Int32Array<ArrayBuffer>, FloatResult<V>>;
export function maxPool(
  given: TensorInput<FloatData>,
  opts: PoolOptions,
  expectedRank?: SpatialRank,
): MaxPoolResult<Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>, OwnedFloat32 | OwnedFloat16Bits> {
  const geometry = resolvePoolGeometry('maxPool', given?.shape, opts, expectedRank);
  const { op, layout, indexFormat, batch, channels, nan } = geometry;
  const float = readFloatData(op, 'input', given);
  const input = { data: float.data, shape: given.shape };
  checkDataLength(op, 'input', input.data.length, input.shape);

  const [inD, inH, inW] = as3d(geometry.inSpatial, 1);
  const [outD, outH, outW] = as3d(geometry.outSpatial, 1);
  const [kD, kH, kW] = as3d(geometry.kernel, 1);
  const [sD, sH, sW] = as3d(geometry.stride, 1);
  const [pD, pH, pW] = as3d(geometry.padBegin, 0);
  const [dD, dH, dW] = as3d(geometry.dilation, 1);
  const inVolume = inD * inH * inW;
  const outVolume = outD * outH * outW;

  const inBits = new Uint32Array(input.data.buffer, input.data.byteOffset, input.data.length);
  const values = new Float32Array(batch * channels * outVolume);
  const valueBits = new Uint32Array(values.buffer);
  const windowFormat = indexFormat === 'window';
  const indices = windowFormat ? new Uint8Array(values.length) : new Int32Array(values.length);

  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      for (let od = 0; od < outD; od++) {
        for (let oh = 0; oh < outH; oh++) {
          for (let ow = 0; ow < outW; ow++) {
            let found = false;
            let max = 0;
            let maxOffset = 0;
            let maxPosition = 0;
            let maxTap = 0;
            for (let kd = 0; kd < kD; kd++) {
              const id = od * sD - pD + kd * dD;
              if (id < 0 || id >= inD) continue;
              for (let kh = 0; kh < kH; kh++) {
                const ih = oh * sH - pH + kh * dH;
                if (ih < 0 || ih >= inH) continue;
                for (let kw = 0; kw < kW; kw++) {
                  const iw = ow * sW - pW + kw * dW;
                  if (iw < 0 || iw >= inW) continue;
                  const position = (id * inH + ih) * inW + iw;
                  const offset = elementOffset(layout, channels, inVolume, n, c, position);
                  const v = input.data[offset];
                  if (!found || replaces(v, max, nan)) {
                    found = true;
                    max = v;
                    maxOffset = offset;
                    maxPosition = position;
                    maxTap = (kd * kH + kh) * kW + kw;
                  }
                }
              }
            }
            // resolvePoolGeometry refuses dilated windows that step over the whole input; a window
            // without an in-bounds element would have no defined maximum (PyTorch reads out of bounds).
            if (!found) fail(op, `window [${[od, oh, ow].slice(3 - geometry.rank).join(', ')}] covers only padding`);
            const out = elementOffset(layout, channels, outVolume, n, c, (od * outH + oh) * outW + ow);
            valueBits[out] = inBits[maxOffset];
            indices[out] = windowFormat ? maxTap : encodeIndex(indexFormat, layout, channels, inVolume, n, c, maxPosition);
          }
        }
      }
    }
  }

  const shape = joinShape(batch, channels, geometry.outSpatial, layout);
  return { values: { data: floatResult(values, float.dtype), shape }, indices: { data: indices, shape: shape.slice() } };
}

// ---------------------------------------------------------------------------------------------
// Max unpooling
// ---------------------------------------------------------------------------------------------

/**
 * Linear interpolation of one (n, c) plane at output position `dst`, one dimension at a time with
 * half-pixel centres, as F.interpolate(align_corners=False) does: src = (dst + 0.5)*(in/out) - 0.5,
 * clamped below at 0; i0 = floor(src), i1 = min(i0 + 1, in - 1), lambda = src - i0. The nesting
 * (w0*(...) + w1*(...), outermost dimension first) follows PyTorch's upsampling kernels. Computed in
 * float64 and rounded once, so the GPU's float32 arithmetic is compared with a tolerance.
 */
function interpolate(
  read: (position: number) => number,
  dst: readonly number[],
  inSpatial: readonly number[],
  outSpatial: readonly number[],
): number {
  const rank = inSpatial.length;
  const lower: number[] = [];
  const upper: number[] = [];
  const lambda: number[] = [];
  for (let i = 0; i < rank; i++) {
    const src = Math.max((dst[i] + 0.5) * (inSpatial[i] / outSpatial[i]) - 0.5, 0);
    const i0 = Math.floor(src);
    lower.push(i0);
    upper.push(Math.min(i0 + 1, inSpatial[i] - 1));
    lambda.push(src - i0);
  }
  const coords = new Array<number>(rank);
  const blend = (dim: number): number => {
    if (dim === rank) return read(positionOf(coords, inSpatial));
    coords[dim] = lower[dim];
    const a = blend(dim + 1);
    coords[dim] = upper[dim];
    const b = blend(dim + 1);
    return (1 - lambda[dim]) * a + lambda[dim] * b;
  };
  return blend(0);
}

/**
 * float16 values unpool as their float32 widening would, copies keeping their bits; a 'bilinear'
 * fill is computed in float64 and rounded once to float16.
 */
export function maxUnpool<V extends FloatData = Float32Array>(
  values: TensorInput<V>,
  indices: TensorInput<IndexData>,
  opts: UnpoolOptions,
  expectedRank?: SpatialRank,
): HostTensor<FloatResult<V>>;
export function maxUnpool(
  given: TensorInput<FloatData>,
  indices: TensorInput<IndexData>,
  opts: UnpoolOptions,
  expectedRank?: SpatialRank,
): HostTensor<OwnedFloat32 | OwnedFloat16Bits> {
  const geometry = resolveUnpoolGeometry('maxUnpool', given?.shape, indices?.shape, opts, expectedRank);
  const { op, layout, indexFormat, fill, batch, channels, inSpatial, outSpatial } = geometry;
  const float = readFloatData(op, 'values', given);
  const values = { data: float.data, shape: given.shape };
  checkDataLength(op, 'values', values.data.length, values.shape);
  const index = readIndices(op, indices, indexFormat);
  checkDataLength(op, 'indices', index.length, indices.shape);

  const inVolume = product(inSpatial);
  const outVolume = product(outSpatial);
  const output = new Float32Array(batch * channels * outVolume);
  const outBits = new Uint32Array(output.buffer);
  const valueBits = new Uint32Array(values.data.buffer, values.data.byteOffset, values.data.length);

  const targets =
    indexFormat === 'window'
      ? windowTargets(op, index, layout, channels, inSpatial, outSpatial, geometry, 'unpooled output')
      : scatterTargets(op, index, layout, indexFormat, channels, inSpatial, outSpatial);
  const reached = new Uint8Array(output.length);
  // Memory order, so the last of several values aimed at one position is the one that stays.
  for (let k = 0; k < targets.length; k++) {
    outBits[targets[k]] = valueBits[k];
    reached[targets[k]] = 1;
  }
  if (fill === 'zero') return { data: floatResult(output, float.dtype), shape: joinShape(batch, channels, outSpatial, layout) };
  const interpolated = new Map<number, number>();

  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const readPooled = (p: number): number => values.data[elementOffset(layout, channels, inVolume, n, c, p)];
      for (let q = 0; q < outVolume; q++) {
        const out = elementOffset(layout, channels, outVolume, n, c, q);
        if (reached[out]) continue;
        const dst = coordsOf(q, outSpatial);
        if (fill === 'nearest') {
          // Integer arithmetic, so no float rounding can move a source position.
          const src = dst.map((d, i) => Math.floor((d * inSpatial[i]) / outSpatial[i]));
          outBits[out] = valueBits[elementOffset(layout, channels, inVolume, n, c, positionOf(src, inSpatial))];
        } else {
          const value = interpolate(readPooled, dst, inSpatial, outSpatial);
          output[out] = Math.fround(value);
          if (float.dtype === 'float16') interpolated.set(out, value);
        }
      }
    }
  }
  return { data: floatResult(output, float.dtype, interpolated), shape: joinShape(batch, channels, outSpatial, layout) };
}

// ---------------------------------------------------------------------------------------------
// Gradients
// ---------------------------------------------------------------------------------------------

/**
 * Gradient of max pooling with respect to its input: every input element receives the sum of the
 * output gradients whose index names it, zero if none does. Sums run in float32, in the pooled
 * tensor's memory order.
 */
/**
 * The gradient takes the indices that maxPool returned for the same options, so each must name an
 * element of its own window. Walks the pooled elements in memory order and throws at the first one
 * whose index names an element outside its window; an index that names no element at all is left to
 * `scatterTargets`, which reports it as invalid (it is then the first bad element).
 */
function checkInsideWindows(geometry: PoolGeometry, index: Int32Array): void {
  const { op, layout, indexFormat, channels, inSpatial, outSpatial, kernel, stride, padBegin, dilation } = geometry;
  const inVolume = product(inSpatial);
  const outVolume = product(outSpatial);
  for (let k = 0; k < index.length; k++) {
    const { n, c, p } = elementAt(layout, channels, outVolume, k);
    const q = decodeIndex(indexFormat, layout, channels, inVolume, n, c, index[k]);
    if (q < 0) return;
    const window = coordsOf(p, outSpatial);
    const target = coordsOf(q, inSpatial);
    const inside = target.every((x, i) => {
      const offset = x - (window[i] * stride[i] - padBegin[i]);
      return offset >= 0 && offset % dilation[i] === 0 && offset / dilation[i] < kernel[i];
    });
    if (!inside) {
      fail(
        op,
        `index ${index[k]} at indices[${[n, c, ...window].join(', ')}] is not inside its pooling window ` +
          '(the gradient takes the indices maxPool returned for the same options)',
      );
    }
  }
}

/** float16 gradients are widened, summed in float32 as above, and each sum is rounded once to float16. */
export function maxPoolBackward<V extends FloatData = Float32Array>(
  gradOutput: TensorInput<V>,
  indices: TensorInput<IndexData>,
  opts: MaxPoolBackwardOptions,
  expectedRank?: SpatialRank,
): HostTensor<FloatResult<V>>;
export function maxPoolBackward(
  given: TensorInput<FloatData>,
  indices: TensorInput<IndexData>,
  opts: MaxPoolBackwardOptions,
  expectedRank?: SpatialRank,
): HostTensor<OwnedFloat32 | OwnedFloat16Bits> {
  const geometry = resolvePoolBackwardGeometry(given?.shape, indices?.shape, opts, expectedRank);
  const { op, layout, indexFormat, batch, channels, inSpatial, outSpatial } = geometry;
  const float = readFloatData(op, 'gradOutput', given);
  const gradOutput = { data: float.data, shape: given.shape };
  checkDataLength(op, 'gradOutput', gradOutput.data.length, gradOutput.shape);
  const index = readIndices(op, indices, indexFormat);
  checkDataLength(op, 'indices', index.length, indices.shape);

  let targets: Int32Array;
  if (indexFormat === 'window') {
    // A tap names an element of its own window by construction; only its range needs checking.
    targets = windowTargets(op, index, layout, channels, outSpatial, inSpatial, geometry, 'pooling input');
  } else {
    checkInsideWindows(geometry, index);
    targets = scatterTargets(op, index, layout, indexFormat, channels, outSpatial, inSpatial);
  }
  const gradInput = new Float32Array(batch * channels * product(inSpatial));
  for (let k = 0; k < targets.length; k++) {
    gradInput[targets[k]] = Math.fround(gradInput[targets[k]] + gradOutput.data[k]);
  }
  return { data: floatResult(gradInput, float.dtype), shape: joinShape(batch, channels, inSpatial, layout) };
}

/**
 * Gradient of max unpooling with respect to its values: each pooled element takes the output
 * gradient at the position its index names (a gather, copied as bits).
 */
/** float16 gradients are gathered as their bits. */
export function maxUnpoolBackward<V extends FloatData = Float32Array>(
  gradOutput: TensorInput<V>,
  indices: TensorInput<IndexData>,
  opts: UnpoolOptions,
  expectedRank?: SpatialRank,
): HostTensor<FloatResult<V>>;
export function maxUnpoolBackward(
  given: TensorInput<FloatData>,
  indices: TensorInput<IndexData>,
  opts: UnpoolOptions,
  expectedRank?: SpatialRank,
): HostTensor<OwnedFloat32 | OwnedFloat16Bits> {
  const geometry = resolveUnpoolBackwardGeometry(given?.shape, indices?.shape, opts, expectedRank);
  const { op, layout, indexFormat, channels, inSpatial, outSpatial } = geometry;
  const float = readFloatData(op, 'gradOutput', given);
  const gradOutput = { data: float.data, shape: given.shape };
  checkDataLength(op, 'gradOutput', gradOutput.data.length, gradOutput.shape);
  const index = readIndices(op, indices, indexFormat);
  checkDataLength(op, 'indices', index.length, indices.shape);

  const targets =
    indexFormat === 'window'
      ? windowTargets(op, index, layout, channels, inSpatial, outSpatial, geometry, 'unpooled output')
      : scatterTargets(op, index, layout, indexFormat, channels, inSpatial, outSpatial);
  const gradBits = new Uint32Array(gradOutput.data.buffer, gradOutput.data.byteOffset, gradOutput.data.length);
  const gradValues = new Float32Array(targets.length);
  const resultBits = new Uint32Array(gradValues.buffer);
  for (let k = 0; k < targets.length; k++) resultBits[k] = gradBits[targets[k]];
  return { data: floatResult(gradValues, float.dtype), shape: Array.from(indices.shape) };
}

// ---------------------------------------------------------------------------------------------
// Rank-checked entry points
// ---------------------------------------------------------------------------------------------

export const maxPool1d = ((input: TensorInput<FloatData>, opts: PoolOptions) => maxPool(input, opts, 1)) as MaxPoolFunction;
export const maxPool2d = ((input: TensorInput<FloatData>, opts: PoolOptions) => maxPool(input, opts, 2)) as MaxPoolFunction;
export const maxPool3d = ((input: TensorInput<FloatData>, opts: PoolOptions) => maxPool(input, opts, 3)) as MaxPoolFunction;

export const maxUnpool1d: MaxUnpoolFunction = (values, indices, opts) => maxUnpool(values, indices, opts, 1);
export const maxUnpool2d: MaxUnpoolFunction = (values, indices, opts) => maxUnpool(values, indices, opts, 2);
export const maxUnpool3d: MaxUnpoolFunction = (values, indices, opts) => maxUnpool(values, indices, opts, 3);

export const cpu = {
  maxPool,
  maxUnpool,
  maxPoolBackward,
  maxUnpoolBackward,
  maxPool1d,
  maxPool2d,
  maxPool3d,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
};
