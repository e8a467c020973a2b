/**
 * ONNX MaxPool and MaxUnpool attributes, read from a node and resolved against run-time shapes into
 * argpool options, with the sizes and padding ONNX Runtime's CPU provider computes (pool_attributes.h,
 * unpool.cc). Pure functions: the node tests cover them without a GPU.
 */
import type { PoolOptions, UnpoolOptions } from '../index.js';
import { Attributes, describeNode, type NodeProto } from './onnx.js';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export interface MaxPoolAttributes {
  what: string;
  kernel: number[];
  strides: number[];
  /** [begin..., end...] as written (zeros when absent); ignored unless autoPad is NOTSET. */
  pads: number[];
  autoPad: AutoPad;
  dilations: number[];
  ceilMode: boolean;
  /** 0: row-major indices; 1: column-major in the spatial part. */
  storageOrder: 0 | 1;
}

export interface MaxUnpoolAttributes {
  what: string;
  kernel: number[];
  strides: number[];
  pads: number[];
}

const MAX_POOL_ATTRIBUTES = ['kernel_shape', 'strides', 'pads', 'auto_pad', 'dilations', 'ceil_mode', 'storage_order'];
const MAX_UNPOOL_ATTRIBUTES = ['kernel_shape', 'strides', 'pads'];

/**
 * What a refusal names besides its message, for reports that list refusals (inspect.ts): the
 * attribute or input at fault, its value as written, and what to change.
 */
export interface RefusalDetail {
  attribute?: string;
  value?: string;
  change?: string;
}

/** A node's refusal: a RangeError whose message names the node, with its details as fields. */
export class NodeRefusal extends RangeError {
  constructor(
    /** How the node is named: `MaxPool node "pool1"`. */
    readonly node: string,
    message: string,
    readonly detail: RefusalDetail = {},
  ) {
    super(`${node}: ${message}`);
    this.name = 'RangeError';
  }
}

function fail(what: string, message: string, detail?: RefusalDetail): never {
  throw new NodeRefusal(what, message, detail);
}

function show(values: readonly number[]): string {
  return `[${values.join(', ')}]`;
}

function perAxis(what: string, name: string, values: number[] | undefined, count: number, fallback: number, min: number): number[] {
  if (values === undefined || values.length === 0) return new Array<number>(count).fill(fallback);
  if (values.length !== count) fail(what, `${name} must have ${count} values, got ${show(values)}`, { attribute: name, value: show(values), change: `give ${name} ${count} values (one per spatial axis${name === 'pads' ? ', begin then end' : ''})` });
  if (values.some((v) => !Number.isInteger(v) || v < min)) fail(what, `${name} must hold integers >= ${min}, got ${show(values)}`, { attribute: name, value: show(values), change: `use integers of at least ${min} in ${name}` });
  return values;
}

function kernelOf(what: string, attributes: Attributes): number[] {
  const kernel = attributes.ints('kernel_shape');
  if (!kernel) fail(what, 'attribute kernel_shape is required', { attribute: 'kernel_shape', change: 'add kernel_shape, one window size per spatial axis' });
  if (kernel.length < 1 || kernel.length > 3) {
    fail(what, `argpool runs 1-D, 2-D and 3-D pooling; kernel_shape ${show(kernel)} has ${kernel.length} spatial axes`, { attribute: 'kernel_shape', value: show(kernel), change: 'pool over 1 to 3 spatial axes (reshape the tensor around the node)' });
  }
  if (kernel.some((k) => !Number.isInteger(k) || k < 1)) fail(what, `kernel_shape must hold positive integers, got ${show(kernel)}`, { attribute: 'kernel_shape', value: show(kernel), change: 'use positive integers in kernel_shape' });
  return kernel;
}

function refuseUnknown(what: string, attributes: Attributes, known: readonly string[]): void {
  const unknown = attributes.unknown(known);
  if (unknown.length > 0) fail(what, `unknown attribute ${unknown.map((n) => JSON.stringify(n)).join(', ')} (known: ${known.join(', ')})`, { attribute: unknown[0], change: `remove ${unknown.join(', ')} from the node (it reads ${known.join(', ')})` });
}

export function readMaxPool(node: NodeProto, position: number): MaxPoolAttributes {
  const what = describeNode(node, position);
  const a = new Attributes(node, what);
  refuseUnknown(what, a, MAX_POOL_ATTRIBUTES);
  const kernel = kernelOf(what, a);
  const rank = kernel.length;
  // Exporters and ONNX Runtime's own tests write auto_pad="", which ONNX and ORT read as NOTSET.
  const autoPad = a.string('auto_pad', 'NOTSET') || 'NOTSET';
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(autoPad)) {
    fail(what, `auto_pad must be NOTSET (or ""), SAME_UPPER, SAME_LOWER or VALID, got ${JSON.stringify(autoPad)}`, { attribute: 'auto_pad', value: JSON.stringify(autoPad), change: 'set auto_pad to NOTSET, SAME_UPPER, SAME_LOWER or VALID' });
  }
  const pads = perAxis(what, 'pads', a.ints('pads'), 2 * rank, 0, 0);
  for (let i = 0; i < rank; i++) {
    if (pads[i] >= kernel[i] || pads[i + rank] >= kernel[i]) fail(what, `pads ${show(pads)} must be smaller than kernel_shape ${show(kernel)} (as ONNX Runtime requires)`, { attribute: 'pads', value: show(pads), change: `use pads smaller than kernel_shape ${show(kernel)} on every axis` });
  }
  const ceilMode = a.int('ceil_mode', 0);
  if (ceilMode !== 0 && ceilMode !== 1) fail(what, `ceil_mode must be 0 or 1, got ${ceilMode}`, { attribute: 'ceil_mode', value: String(ceilMode), change: 'set ceil_mode to 0 or 1' });
  const storageOrder = a.int('storage_order', 0);
  if (storageOrder !== 0 && storageOrder !== 1) fail(what, `storage_order must be 0 (row-major) or 1 (column-major), got ${storageOrder}`, { attribute: 'storage_order', value: String(storageOrder), change: 'set storage_order to 0 or 1' });
  return {
    what,
    kernel,
    strides: perAxis(what, 'strides', a.ints('strides'), rank, 1, 1),
    pads,
    autoPad: autoPad as AutoPad,
    dilations: perAxis(what, 'dilations', a.ints('dilations'), rank, 1, 1),
    ceilMode: ceilMode === 1,
    storageOrder: storageOrder as 0 | 1,
  };
}

/**
 * Whether explicit pads exceed half the kernel: ONNX Runtime pools such windows, argpool (like PyTorch)
 * takes padding up to half the kernel only, so the adapter runs such a node on ORT's CPU provider.
 */
export function padsAboveHalfKernel(a: MaxPoolAttributes): boolean {
  const rank = a.kernel.length;
  return a.autoPad === 'NOTSET' && a.kernel.some((k, i) => 2 * Math.max(a.pads[i], a.pads[i + rank]) > k);
}

export function readMaxUnpool(node: NodeProto, position: number): MaxUnpoolAttributes {
  const what = describeNode(node, position);
  const a = new Attributes(node, what);
  refuseUnknown(what, a, MAX_UNPOOL_ATTRIBUTES);
  const kernel = kernelOf(what, a);
  const rank = kernel.length;
  const pads = perAxis(what, 'pads', a.ints('pads'), 2 * rank, 0, 0);
  for (let i = 0; i < rank; i++) {
    if (pads[i] >= kernel[i] || pads[i + rank] >= kernel[i]) fail(what, `pads ${show(pads)} must be smaller than kernel_shape ${show(kernel)} (as ONNX Runtime requires)`, { attribute: 'pads', value: show(pads), change: `use pads smaller than kernel_shape ${show(kernel)} on every axis` });
  }
  return { what, kernel, strides: perAxis(what, 'strides', a.ints('strides'), rank, 1, 1), pads };
}

/** ONNX Runtime's output size (ComputeOutputSize): float division truncated, or its ceiling in ceil mode. */
function ortOutputSize(inSize: number, stride: number, kernel: number, padTotal: number, dilation: number, ceilMode: boolean): number {
  const quotient = Math.fround(inSize + padTotal - dilation * (kernel - 1) - 1) / stride + 1;
  return ceilMode ? Math.ceil(quotient) : Math.trunc(quotient);
}

export interface ResolvedMaxPool {
  options: PoolOptions;
  /** The pooled shape ONNX Runtime gives, [N, C, ...spatial]. */
  outShape: number[];
}

/** Padding and output size for an input shape [N, C, ...spatial], as ONNX Runtime computes them. */
export function resolveMaxPool(a: MaxPoolAttributes, inputShape: readonly number[]): ResolvedMaxPool {
  const rank = a.kernel.length;
  if (inputShape.length !== rank + 2) {
    fail(a.what, `input X has shape ${show([...inputShape])}, but kernel_shape ${show(a.kernel)} needs ${rank + 2} dimensions (N, C and ${rank} spatial)`, { attribute: 'kernel_shape', value: show(a.kernel), change: `give kernel_shape one value per spatial axis of X (${inputShape.length - 2})` });
  }
  const spatial = inputShape.slice(2);
  const begin: number[] = [];
  const end: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const [n, s, k, d] = [spatial[i], a.strides[i], a.kernel[i], a.dilations[i]];
    let head = a.pads[i];
    let tail = a.pads[i + rank];
    if (a.autoPad === 'VALID') {
      head = tail = 0;
    } else if (a.autoPad === 'SAME_UPPER' || a.autoPad === 'SAME_LOWER') {
      // ONNX Runtime's legacy rule: the pad total uses the undilated kernel.
      const needed = (Math.ceil(n / s) - 1) * s + k - n;
      if (needed < 0) {
        fail(a.what, `auto_pad ${a.autoPad} with kernel_shape ${show(a.kernel)} and strides ${show(a.strides)} on input size ${n} needs negative padding (${needed}), which argpool does not run`, { attribute: 'auto_pad', value: a.autoPad, change: 'use strides no larger than kernel_shape, or auto_pad VALID' });
      }
      head = a.autoPad === 'SAME_UPPER' ? Math.floor(needed / 2) : Math.floor((needed + 1) / 2);
      tail = needed - head;
    }
    const size = ortOutputSize(n, s, k, head + tail, d, a.ceilMode);
    if (size < 1) fail(a.what, `output would be empty: input spatial size ${show(spatial)} gives ${size} along axis ${i + 2}`, { attribute: 'kernel_shape', value: show(a.kernel), change: `use a window no larger than the padded input along axis ${i + 2}, or a larger input` });
    if (a.ceilMode && (size - 1) * s >= n + head) {
      fail(
        a.what,
        `with ceil_mode the last window along axis ${i + 2} starts in the end padding (input size ${n}, kernel ${k}, stride ${s}, pads ${head}/${tail}); ` +
          'ONNX Runtime outputs the lowest float and index -1 there, which argpool does not reproduce',
        { attribute: 'ceil_mode', value: '1', change: `set ceil_mode to 0, or reduce the end pads along axis ${i + 2}` },
      );
    }
    begin.push(head);
    end.push(tail);
    out.push(size);
  }
  return {
    options: { kernelSize: a.kernel, stride: a.strides, padding: [...begin, ...end], dilation: a.dilations, ceilMode: a.ceilMode, indexFormat: 'flat' },
    outShape: [inputShape[0], inputShape[1], ...out],
  };
}

export interface ResolvedMaxUnpool {
  /** argpool options for an unpooling of X's shape to `outShape`. */
  options: UnpoolOptions;
  /** [N, C, ...spatial]: output_shape when given, else the size inferred from the attributes. */
  outShape: number[];
}

/**
 * argpool options for a MaxUnpool of values of shape [N, C, ...spatial], with the optional output_shape
 * input's values (the full [N, C, ...spatial] shape), checked as ONNX Runtime checks them.
 */
export function resolveMaxUnpool(a: MaxUnpoolAttributes, valuesShape: readonly number[], outputShape?: readonly number[]): ResolvedMaxUnpool {
  const rank = a.kernel.length;
  if (valuesShape.length < 3) fail(a.what, `input X must have at least 3 dimensions (N, C and spatial), got shape ${show([...valuesShape])}`, { attribute: 'X', value: show([...valuesShape]), change: 'feed X as [N, C, ...spatial]' });
  if (valuesShape.length !== rank + 2) {
    fail(a.what, `input X has shape ${show([...valuesShape])}, but kernel_shape ${show(a.kernel)} needs ${rank + 2} dimensions (N, C and ${rank} spatial)`, { attribute: 'kernel_shape', value: show(a.kernel), change: `give kernel_shape one value per spatial axis of X (${valuesShape.length - 2})` });
  }
  const volume = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);
  const inferred = valuesShape.slice(2).map((n, i) => (n - 1) * a.strides[i] - a.pads[i] - a.pads[i + rank] + a.kernel[i]);
  inferred.forEach((n, i) => {
    if (n < 1) fail(a.what, `the output size along axis ${i + 2} is ${n}, not positive: check kernel_shape ${show(a.kernel)}, strides ${show(a.strides)} and pads ${show(a.pads)} against X ${show([...valuesShape])}`, { attribute: 'pads', value: show(a.pads), change: 'make (size - 1) * stride - pads + kernel positive on every axis' });
  });
  const inferredShape = [valuesShape[0], valuesShape[1], ...inferred];
  const options: UnpoolOptions = { kernelSize: a.kernel, stride: a.strides, padding: a.pads, outputSize: inferred, indexFormat: 'flat' };
  if (outputShape === undefined) return { options, outShape: inferredShape };
  if (outputShape.length !== valuesShape.length) {
    fail(a.what, `output_shape must have as many values as X has dimensions (${valuesShape.length}), got ${show([...outputShape])}`, { attribute: 'output_shape', value: show([...outputShape]), change: `give output_shape ${valuesShape.length} values, [N, C, ...spatial]` });
  }
  if (outputShape[0] !== valuesShape[0] || outputShape[1] !== valuesShape[1]) {
    fail(
      a.what,
      `output_shape ${show([...outputShape])} must keep X's batch and channels [${valuesShape[0]}, ${valuesShape[1]}] ` +
        '(ONNX Runtime 1.27 and later refuse it too: "output_shape batch and channel dimensions must match input")',
    );
  }
  if (outputShape.some((d) => !Number.isInteger(d) || d < 0) || volume(outputShape) < volume(inferredShape)) {
    fail(a.what, `output_shape ${show([...outputShape])} is smaller than the minimum, the inferred output shape ${show(inferredShape)} (ONNX Runtime refuses it too)`, { attribute: 'output_shape', value: show([...outputShape]), change: `use an output_shape with at least as many elements as ${show(inferredShape)}` });
  }
  return { options: { ...options, outputSize: outputShape.slice(2) }, outShape: [...outputShape] };
}

/**
 * ONNX's MaxUnpool is a flat scatter over the whole output tensor, Y.flat[I[i]] = X.flat[i]. argpool
 * runs it as a 1-D unpooling of one plane of `inCount` elements into `outCount`: 'spatial' indices
 * are then flat positions, and a kernel and stride are chosen so that argpool's default output size
 * is exactly `outCount`.
 */
export function flatScatterOptions(what: string, inCount: number, outCount: number): UnpoolOptions {
  if (outCount < inCount) fail(what, `the output (${outCount} elements) is smaller than X (${inCount} elements)`);
  const stride = inCount === 1 ? 1 : Math.floor((outCount - 1) / (inCount - 1));
  const kernel = outCount - (inCount - 1) * stride;
  return { kernelSize: [kernel], stride: [stride], padding: [0], outputSize: [outCount], indexFormat: 'spatial' };
}
