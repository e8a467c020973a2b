/**
 * Option parsing and output-size maths shared by the GPU operations and the CPU reference.
 *
 * Everything here is plain arithmetic on shapes: it never touches data, so sharing it between the
 * two implementations does not let one confirm the other's bugs. Its results are tested against
 * hand-derived sizes.
 */

export type Layout = 'NCHW' | 'NHWC';
/**
 * How an index names its maximum: 'spatial' (PyTorch: the position in its (n, c) plane), 'flat' (the
 * memory offset, ONNX), 'flat-no-batch' (the offset without the batch term, TensorFlow), or 'window'
 * (the tap number inside its own window, in window order depth, row, column, taps over padding
 * counted; uint8 indices, so the kernel volume must be at most 256).
 */
export type IndexFormat = 'spatial' | 'flat' | 'flat-no-batch' | 'window';
export type SpatialRank = 1 | 2 | 3;
export type FillMode = 'zero' | 'nearest' | 'bilinear';
/**
 * What a NaN in a pooling window does (ties always go to the first maximum in window order):
 * - 'propagate' (PyTorch, the default): a NaN always takes over the maximum, so a window holding a
 *   NaN gives NaN, with the index of its last NaN in window order.
 * - 'ignore' (TensorFlow.js): a NaN never wins over a number; a window of only NaN keeps its first
 *   in-bounds tap (NaN, that tap's index), where tfjs's cpu backend gives -Infinity and index -1.
 * - 'first' (ONNX Runtime's CPU MaxPool with Indices, TensorFlow's CPU kernel): a NaN wins only as the
 *   window's first in-bounds tap, and then nothing replaces it.
 */
export type NanRule = 'propagate' | 'ignore' | 'first';

/** Options whose indexFormat is 'window': pooling then returns uint8 tap numbers. */
export type WindowIndexOptions = { indexFormat: 'window' };

/** A number applies to every spatial dimension; an array gives one value per dimension. */
export type PerDim = number | readonly number[];

export interface PoolOptions {
  kernelSize: PerDim;
  /** Defaults to `kernelSize`. */
  stride?: PerDim;
  /**
   * Implicit padding: a number, one number per spatial dimension, `[begin..., end...]`
   * (two per dimension, ONNX `pads` order), `'valid'` (none) or `'same'` (TensorFlow SAME / ONNX SAME_UPPER).
   */
  padding?: PerDim | 'valid' | 'same';
  dilation?: PerDim;
  ceilMode?: boolean;
  layout?: Layout;
  indexFormat?: IndexFormat;
  /** What a NaN in a window does (default 'propagate', PyTorch's rule); see `NanRule`. */
  nan?: NanRule;
}

export interface UnpoolOptions {
  kernelSize: PerDim;
  stride?: PerDim;
  padding?: PerDim | 'valid' | 'same';
  /**
   * The pooling's dilation. Only 'window' indices depend on it (a tap's position is
   * `window start + tap * dilation`); other formats name positions directly.
   */
  dilation?: PerDim;
  /** Spatial output sizes only (no batch or channel). */
  outputSize?: readonly number[];
  layout?: Layout;
  indexFormat?: IndexFormat;
  /** What positions that no index reaches hold: 0, or the pooled map resized (nearest or bilinear). */
  fill?: FillMode;
}

/** A tensor shape split into its parts, independent of layout. */
export interface SplitShape {
  batch: number;
  channels: number;
  spatial: number[];
}

/** Everything the kernels and the reference need to know about one pooling call, fully resolved. */
export interface PoolGeometry {
  op: string;
  rank: SpatialRank;
  layout: Layout;
  indexFormat: IndexFormat;
  batch: number;
  channels: number;
  inSpatial: number[];
  outSpatial: number[];
  kernel: number[];
  stride: number[];
  padBegin: number[];
  padEnd: number[];
  dilation: number[];
  ceilMode: boolean;
  nan: NanRule;
}

/** Resolved unpooling call: `inSpatial` is the pooled size, `outSpatial` the unpooled size. */
export interface UnpoolGeometry {
  op: string;
  rank: SpatialRank;
  layout: Layout;
  indexFormat: IndexFormat;
  fill: FillMode;
  batch: number;
  channels: number;
  inSpatial: number[];
  outSpatial: number[];
  kernel: number[];
  stride: number[];
  padBegin: number[];
  padEnd: number[];
  dilation: number[];
}

/** The largest kernel volume 'window' indices (one byte each) can number. */
export const WINDOW_TAPS_MAX = 256;

export function fail(op: string, message: string): never {
  throw new RangeError(`${op}: ${message}`);
}

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

export function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/** The name an operation reports in errors: `maxPool2d`, `maxUnpool3d`, ... */
export function opName(base: string, rank: number): string {
  return rank >= 1 && rank <= 3 ? `${base}${rank}d` : base;
}

/** Checks a shape `[N, C, ...spatial]` (or `[N, ...spatial, C]` channels-last) and splits it. */
export function splitShape(
  op: string,
  argument: string,
  shape: readonly number[],
  layout: Layout,
  expectedRank?: SpatialRank,
): SplitShape {
  if (!Array.isArray(shape) && !ArrayBuffer.isView(shape)) {
    fail(op, `${argument} shape must be an array of integers, got ${show(shape)}`);
  }
  const dims = Array.from(shape as ArrayLike<number>);
  const rank = dims.length - 2;
  if (expectedRank !== undefined && rank !== expectedRank) {
    fail(
      op,
      `${argument} must have ${expectedRank + 2} dimensions (batch, channels and ${expectedRank} spatial), got shape ${show(dims)}`,
    );
  }
  if (rank < 1 || rank > 3) {
    fail(op, `${argument} must have 3, 4 or 5 dimensions (batch, channels, 1 to 3 spatial), got shape ${show(dims)}`);
  }
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1) fail(op, `${argument} shape must hold positive integers, got ${show(dims)}`);
  }
  if (layout === 'NHWC') {
    return { batch: dims[0], channels: dims[dims.length - 1], spatial: dims.slice(1, -1) };
  }
  return { batch: dims[0], channels: dims[1], spatial: dims.slice(2) };
}

/** Joins batch, channels and spatial sizes into a shape in the given layout. */
export function joinShape(batch: number, channels: number, spatial: readonly number[], layout: Layout): number[] {
  return layout === 'NHWC' ? [batch, ...spatial, channels] : [batch, channels, ...spatial];
}

function perDim(op: string, argument: string, value: PerDim, rank: number, min: number): number[] {
  const list = typeof value === 'number' ? new Array<number>(rank).fill(value) : Array.from(value ?? []);
  if (list.length !== rank) {
    fail(op, `${argument} must be a number or ${rank} numbers, got ${show(value)}`);
  }
  for (const v of list) {
    if (!Number.isInteger(v) || v < min) {
      const what = min > 0 ? 'positive integers' : 'non-negative integers';
      fail(op, `${argument} must be ${what}, got ${show(value)}`);
    }
  }
  return list;
}

function parseLayout(op: string, layout: unknown): Layout {
  if (layout === undefined) return 'NCHW';
  if (layout === 'NCHW' || layout === 'NHWC') return layout;
  return fail(op, `layout must be 'NCHW' or 'NHWC', got ${show(layout)}`);
}

function parseIndexFormat(op: string, format: unknown): IndexFormat {
  if (format === undefined) return 'spatial';
  if (format === 'spatial' || format === 'flat' || format === 'flat-no-batch' || format === 'window') return format;
  return fail(op, `indexFormat must be 'spatial', 'flat', 'flat-no-batch' or 'window', got ${show(format)}`);
}

function parseNanRule(op: string, rule: unknown): NanRule {
  if (rule === undefined) return 'propagate';
  if (rule === 'propagate' || rule === 'ignore' || rule === 'first') return rule;
  return fail(op, `nan must be 'propagate', 'ignore' or 'first', got ${show(rule)}`);
}

function checkOptionsObject(op: string, options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== 'object') {
    fail(op, `options must be an object with at least kernelSize, got ${show(options)}`);
  }
  for (const key of Object.keys(options as object)) {
    if (!known.includes(key)) fail(op, `unknown option ${show(key)} (known: ${known.join(', ')})`);
  }
  if ((options as { kernelSize?: unknown }).kernelSize === undefined) fail(op, 'kernelSize is required');
}

const POOL_KEYS = ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode', 'layout', 'indexFormat', 'nan'] as const;
const UNPOOL_KEYS = ['kernelSize', 'stride', 'padding', 'dilation', 'outputSize', 'layout', 'indexFormat', 'fill'] as const;

/** Validates the unpooling `fill` option (default 'zero'). */
export function parseFill(op: string, fill: unknown): FillMode {
  if (fill === undefined) return 'zero';
  if (fill === 'zero' || fill === 'nearest' || fill === 'bilinear') return fill;
  return fail(op, `fill must be 'zero', 'nearest' or 'bilinear', got ${show(fill)}`);
}

/**
 * Resolves padding into begin and end amounts. `'same'` needs the input size, stride and the
 * dilated kernel extent: total = max((ceil(in/stride) - 1)*stride + extent - in, 0), begin = floor(total/2).
 */
function parsePadding(
  op: string,
  padding: PoolOptions['padding'],
  rank: number,
  inSpatial: readonly number[],
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
): { padBegin: number[]; padEnd: number[] } {
  if (padding === undefined || padding === 'valid') {
    return { padBegin: new Array<number>(rank).fill(0), padEnd: new Array<number>(rank).fill(0) };
  }
  if (padding === 'same') {
    const padBegin: number[] = [];
    const padEnd: number[] = [];
    for (let i = 0; i < rank; i++) {
      const extent = dilation[i] * (kernel[i] - 1) + 1;
      const total = Math.max((Math.ceil(inSpatial[i] / stride[i]) - 1) * stride[i] + extent - inSpatial[i], 0);
      padBegin.push(Math.floor(total / 2));
      padEnd.push(total - Math.floor(total / 2));
    }
    return { padBegin, padEnd };
  }
  if (typeof padding === 'string') {
    fail(op, `padding must be a number, an array, 'valid' or 'same', got ${show(padding)}`);
  }
  if (typeof padding !== 'number' && Array.isArray(padding) && padding.length === 2 * rank && rank > 0) {
    const pads = perDim(op, 'padding', padding, 2 * rank, 0);
    return { padBegin: pads.slice(0, rank), padEnd: pads.slice(rank) };
  }
  if (typeof padding !== 'number' && !Array.isArray(padding)) {
    fail(op, `padding must be a number, an array, 'valid' or 'same', got ${show(padding)}`);
  }
  if (typeof padding !== 'number' && padding.length !== rank) {
    fail(op, `padding must be a number, ${rank} numbers or ${2 * rank} numbers ([begin..., end...]), got ${show(padding)}`);
  }
  const pads = perDim(op, 'padding', padding, rank, 0);
  return { padBegin: pads, padEnd: pads.slice() };
}

/**
 * PyTorch's pooling output size for one dimension:
 * floor_or_ceil((in + padBegin + padEnd - dilation*(kernel-1) - 1) / stride) + 1, where in ceil mode
 * the last window must start inside the input or the begin padding, else it is dropped.
 */
export function pooledSize(
  inSize: number,
  kernel: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation: number,
  ceilMode: boolean,
): number {
  const span = inSize + padBegin + padEnd - dilation * (kernel - 1) - 1;
  if (span < 0) return 0;
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceilMode && (out - 1) * stride >= inSize + padBegin) out -= 1;
  return out;
}

/** PyTorch's default unpooling size for one dimension: (in - 1)*stride - padBegin - padEnd + kernel. */
export function unpooledSize(inSize: number, kernel: number, stride: number, padBegin: number, padEnd: number): number {
  return (inSize - 1) * stride - padBegin - padEnd + kernel;
}

/** Validates pooling options against an input shape and resolves every size the call needs. */
export function resolvePoolGeometry(
  baseOp: string,
  inputShape: readonly number[],
  options: PoolOptions,
  expectedRank?: SpatialRank,
): PoolGeometry {
  const guessRank = Array.isArray(inputShape) ? inputShape.length - 2 : 0;
  const op = opName(baseOp, expectedRank ?? guessRank);
  checkOptionsObject(op, options, POOL_KEYS);
  const layout = parseLayout(op, options.layout);
  const indexFormat = parseIndexFormat(op, options.indexFormat);
  const nan = parseNanRule(op, options.nan);
  const { batch, channels, spatial: inSpatial } = splitShape(op, 'input', inputShape, layout, expectedRank);
  const rank = inSpatial.length as SpatialRank;
  const kernel = perDim(op, 'kernelSize', options.kernelSize, rank, 1);
  const stride = options.stride === undefined ? kernel.slice() : perDim(op, 'stride', options.stride, rank, 1);
  const dilation = options.dilation === undefined ? new Array<number>(rank).fill(1) : perDim(op, 'dilation', options.dilation, rank, 1);
  if (options.ceilMode !== undefined && typeof options.ceilMode !== 'boolean') {
    fail(op, `ceilMode must be true or false, got ${show(options.ceilMode)}`);
  }
  const ceilMode = options.ceilMode ?? false;
  const { padBegin, padEnd } = parsePadding(op, options.padding, rank, inSpatial, kernel, stride, dilation);
  if (options.padding !== 'same') {
    for (let i = 0; i < rank; i++) {
      if (2 * Math.max(padBegin[i], padEnd[i]) > kernel[i]) {
        fail(op, `padding must be at most half of kernelSize, got padding ${show(options.padding)} with kernelSize ${show(options.kernelSize)}`);
      }
    }
  }
  const outSpatial = inSpatial.map((n, i) => pooledSize(n, kernel[i], stride[i], padBegin[i], padEnd[i], dilation[i], ceilMode));
  if (outSpatial.some((n) => n < 1)) {
    fail(
      op,
      `output would be empty: input spatial size ${show(inSpatial)} with kernelSize ${show(kernel)}, stride ${show(stride)}, ` +
        `padding ${show(padBegin)}/${show(padEnd)} and dilation ${show(dilation)} gives ${show(outSpatial)}`,
    );
  }
  for (let i = 0; i < rank; i++) {
    const empty = firstPaddingOnlyWindow(inSpatial[i], outSpatial[i], kernel[i], stride[i], padBegin[i], dilation[i]);
    if (empty >= 0) {
      fail(
        op,
        `window ${empty} of spatial dimension ${i} covers only padding (input size ${inSpatial[i]}, kernelSize ${kernel[i]}, ` +
          `stride ${stride[i]}, padding ${padBegin[i]}, dilation ${dilation[i]}); reduce padding or dilation`,
      );
    }
  }
  checkIndexRange(op, batch, channels, inSpatial, indexFormat, kernel);
  return { op, rank, layout, indexFormat, batch, channels, inSpatial, outSpatial, kernel, stride, padBegin, padEnd, dilation, ceilMode, nan };
}

/**
 * With dilation, a window's taps can step over the whole input and land only in padding (kernel 2,
 * padding 1, dilation 3, input 2). Such a window has no element to take the maximum of; PyTorch
 * reads out of bounds there. Returns the first such window, or -1.
 */
function firstPaddingOnlyWindow(inSize: number, outSize: number, kernel: number, stride: number, pad: number, dilation: number): number {
  for (let o = 0; o < outSize; o++) {
    const start = o * stride - pad;
    let inside = false;
    for (let k = 0; k < kernel && !inside; k++) {
      const x = start + k * dilation;
      inside = x >= 0 && x < inSize;
    }
    if (!inside) return o;
  }
  return -1;
}

/** Window indices are uint8 and the others int32: refuse a format whose largest index would not fit. */
function checkIndexRange(op: string, batch: number, channels: number, spatial: readonly number[], format: IndexFormat, kernel: readonly number[]): void {
  if (format === 'window') {
    const taps = product(kernel);
    if (taps > WINDOW_TAPS_MAX) {
      fail(op, `indexFormat 'window' stores uint8 taps, so the kernel volume must be at most ${WINDOW_TAPS_MAX}; kernelSize ${show(kernel)} has ${taps} taps`);
    }
    return;
  }
  const count = format === 'spatial' ? product(spatial) : format === 'flat' ? batch * channels * product(spatial) : channels * product(spatial);
  const largest = count - 1;
  if (largest > 2 ** 31 - 1) {
    fail(op, `indexFormat ${show(format)} needs indices up to ${largest}, which do not fit int32`);
  }
}

/** Validates unpooling options against the pooled values' and indices' shapes. */
export function resolveUnpoolGeometry(
  baseOp: string,
  valuesShape: readonly number[],
  indicesShape: readonly number[],
  options: UnpoolOptions,
  expectedRank?: SpatialRank,
): UnpoolGeometry {
  const guessRank = Array.isArray(valuesShape) ? valuesShape.length - 2 : 0;
  const op = opName(baseOp, expectedRank ?? guessRank);
  checkOptionsObject(op, options, UNPOOL_KEYS);
  const layout = parseLayout(op, options.layout);
  const indexFormat = parseIndexFormat(op, options.indexFormat);
  const fill = parseFill(op, options.fill);
  const { batch, channels, spatial: inSpatial } = splitShape(op, 'values', valuesShape, layout, expectedRank);
  const rank = inSpatial.length as SpatialRank;
  splitShape(op, 'indices', indicesShape, layout, rank);
  if (indicesShape.length !== valuesShape.length || indicesShape.some((d, i) => d !== valuesShape[i])) {
    fail(op, `indices shape ${show(Array.from(indicesShape))} must equal values shape ${show(Array.from(valuesShape))}`);
  }
  const kernel = perDim(op, 'kernelSize', options.kernelSize, rank, 1);
  const stride = options.stride === undefined ? kernel.slice() : perDim(op, 'stride', options.stride, rank, 1);
  const dilation = options.dilation === undefined ? new Array<number>(rank).fill(1) : perDim(op, 'dilation', options.dilation, rank, 1);
  if (options.padding === 'same') {
    fail(op, "padding 'same' depends on the pooling input size; pass the explicit [begin..., end...] amounts instead");
  }
  const ones = new Array<number>(rank).fill(1);
  const { padBegin, padEnd } = parsePadding(op, options.padding, rank, inSpatial, kernel, stride, ones);
  for (let i = 0; i < rank; i++) {
    if (2 * Math.max(padBegin[i], padEnd[i]) > kernel[i]) {
      fail(op, `padding must be at most half of kernelSize, got padding ${show(options.padding)} with kernelSize ${show(options.kernelSize)}`);
    }
  }
  const defaults = inSpatial.map((n, i) => unpooledSize(n, kernel[i], stride[i], padBegin[i], padEnd[i]));
  let outSpatial = defaults;
  if (options.outputSize !== undefined) {
    const given = Array.from(options.outputSize ?? []);
    if (given.length !== rank || given.some((n) => !Number.isInteger(n) || n < 1)) {
      fail(op, `outputSize must list ${rank} positive integers (spatial sizes only), got ${show(options.outputSize)}`);
    }
    for (let i = 0; i < rank; i++) {
      if (given[i] <= defaults[i] - stride[i] || given[i] >= defaults[i] + stride[i]) {
        fail(
          op,
          `outputSize ${show(given)} is invalid: dimension ${i} must be between ${defaults[i] - stride[i] + 1} and ` +
            `${defaults[i] + stride[i] - 1} (default ${defaults[i]}, stride ${stride[i]})`,
        );
      }
    }
    outSpatial = given;
  }
  if (outSpatial.some((n) => n < 1)) {
    fail(op, `output would be empty: spatial size ${show(outSpatial)}`);
  }
  checkIndexRange(op, batch, channels, outSpatial, indexFormat, kernel);
  return { op, rank, layout, indexFormat, fill, batch, channels, inSpatial, outSpatial, kernel, stride, padBegin, padEnd, dilation };
}

/**
 * Element strides of a tensor `[batch, channels, spatial]` in a layout, as (n, c, s) where s is the
 * stride of one step of the flattened spatial position.
 */
export function layoutStrides(layout: Layout, channels: number, spatialVolume: number): [number, number, number] {
  return layout === 'NHWC' ? [spatialVolume * channels, 1, channels] : [channels * spatialVolume, spatialVolume, 1];
}

/**
 * How an index encodes (n, c, spatial position p) as n*strideN + c*strideC + p*strideS, for a
 * tensor of the given layout whose spatial volume is `spatialVolume`.
 */
export function indexStrides(
  format: IndexFormat,
  layout: Layout,
  channels: number,
  spatialVolume: number,
): [number, number, number] {
  // 'window' indices reach the kernels that use these strides converted to 'spatial' ones.
  if (format === 'spatial' || format === 'window') return [0, 0, 1];
  const [n, c, s] = layoutStrides(layout, channels, spatialVolume);
  return [format === 'flat' ? n : 0, c, s];
}

export function checkShapeEquals(op: string, argument: string, shape: readonly number[], expected: readonly number[], what: string): void {
  const actual = Array.from(shape ?? []);
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    fail(op, `${argument} shape ${show(actual)} must equal ${what} ${show(Array.from(expected))}`);
  }
}

/** Options of the pooling gradient: the forward options plus the forward input's shape. */
export type PoolBackwardOptions = PoolOptions & { inputShape: readonly number[] };

/**
 * Validates the pooling gradient: the forward geometry from `inputShape` and the pooling options,
 * and gradOutput and indices of the pooled shape.
 */
export function resolvePoolBackwardGeometry(
  gradOutputShape: readonly number[],
  indicesShape: readonly number[],
  options: PoolBackwardOptions,
  expectedRank?: SpatialRank,
): PoolGeometry {
  if (options === null || typeof options !== 'object' || options.inputShape === undefined) {
    fail(opName('maxPoolBackward', expectedRank ?? 0), 'inputShape (the shape of the pooling input) is required');
  }
  const { inputShape, ...poolOptions } = options;
  const geometry = resolvePoolGeometry('maxPoolBackward', inputShape, poolOptions, expectedRank);
  const pooledShape = joinShape(geometry.batch, geometry.channels, geometry.outSpatial, geometry.layout);
  checkShapeEquals(geometry.op, 'gradOutput', gradOutputShape, pooledShape, 'the pooled output shape');
  checkShapeEquals(geometry.op, 'indices', indicesShape, pooledShape, 'the pooled output shape');
  return geometry;
}

/** Validates the unpooling gradient: indices of the pooled shape, gradOutput of the unpooled shape. */
export function resolveUnpoolBackwardGeometry(
  gradOutputShape: readonly number[],
  indicesShape: readonly number[],
  options: UnpoolOptions,
  expectedRank?: SpatialRank,
): UnpoolGeometry {
  const geometry = resolveUnpoolGeometry('maxUnpoolBackward', indicesShape, indicesShape, options, expectedRank);
  if (geometry.fill !== 'zero') {
    // With another fill the values also reach the filled positions, so a gather is not the gradient.
    fail(geometry.op, `fill ${show(geometry.fill)} has no gradient here; only 'zero' (the default) does`);
  }
  const unpooledShape = joinShape(geometry.batch, geometry.channels, geometry.outSpatial, geometry.layout);
  checkShapeEquals(geometry.op, 'gradOutput', gradOutputShape, unpooledShape, 'the unpooled shape');
  return geometry;
}
