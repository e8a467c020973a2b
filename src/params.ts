/**
 * The values of the programs' params uniforms. A pooling geometry gives the pooling fields (windows
 * over the pooling input: "in" is the pooling input, "out" the pooled size), an unpooling geometry
 * the unpooling fields ("in" is the pooled size, "out" the unpooled size); 1-D and 2-D fill the
 * leading dimensions with 1 (kernel and stride 1, padding 0). Each program declares which fields its
 * `params` struct holds (src/programs/), and `packFields` writes them in that order: the struct and
 * the packing come from one list.
 */
import { indexStrides, product, type FillMode, type PoolGeometry, type UnpoolGeometry } from './options.js';

export const POOL_PARAM_FIELDS = [
  'total', 'channels', 'channels_last',
  'in_d', 'in_h', 'in_w', 'out_d', 'out_h', 'out_w',
  'kernel_d', 'kernel_h', 'kernel_w', 'stride_d', 'stride_h', 'stride_w',
  'pad_d', 'pad_h', 'pad_w', 'dilation_d', 'dilation_h', 'dilation_w',
  'index_stride_n', 'index_stride_c', 'index_stride_s',
] as const;

export const UNPOOL_PARAM_FIELDS = [
  'total', 'out_total', 'channels', 'channels_last',
  'in_d', 'in_h', 'in_w', 'out_d', 'out_h', 'out_w',
  'index_stride_n', 'index_stride_c', 'index_stride_s', 'fill', 'rank',
] as const;

export type PoolParamField = (typeof POOL_PARAM_FIELDS)[number];
export type UnpoolParamField = (typeof UNPOOL_PARAM_FIELDS)[number];

export const FILL_CODES: Record<FillMode, number> = { zero: 0, nearest: 1, bilinear: 2 };

/**
 * Writes the named u32 fields in the order given, padded to a multiple of 16 bytes. Throws when a
 * field has no value or one that is not a u32.
 */
export function packFields(fields: readonly string[], values: Readonly<Record<string, number>>): Uint32Array<ArrayBuffer> {
  const words = new Uint32Array(Math.max(4, Math.ceil(fields.length / 4) * 4));
  for (let i = 0; i < fields.length; i++) {
    const value = values[fields[i]];
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`params field ${fields[i]} must be a u32, got ${value}`);
    }
    words[i] = value;
  }
  return words;
}

/** Pads a list of 1 to 3 spatial values to depth, height, width, filling leading dimensions. */
export function toDHW(values: readonly number[], fill: number): [number, number, number] {
  const padded = [...new Array<number>(3 - values.length).fill(fill), ...values];
  return [padded[0], padded[1], padded[2]];
}

/** The pooling fields of a geometry. */
export function poolFieldValues(g: PoolGeometry): Record<PoolParamField, number> {
  const [inD, inH, inW] = toDHW(g.inSpatial, 1);
  const [outD, outH, outW] = toDHW(g.outSpatial, 1);
  const [kD, kH, kW] = toDHW(g.kernel, 1);
  const [sD, sH, sW] = toDHW(g.stride, 1);
  const [pD, pH, pW] = toDHW(g.padBegin, 0);
  const [dD, dH, dW] = toDHW(g.dilation, 1);
  const [xN, xC, xS] = indexStrides(g.indexFormat, g.layout, g.channels, product(g.inSpatial));
  return {
    total: g.batch * g.channels * product(g.outSpatial),
    channels: g.channels,
    channels_last: g.layout === 'NHWC' ? 1 : 0,
    in_d: inD, in_h: inH, in_w: inW, out_d: outD, out_h: outH, out_w: outW,
    kernel_d: kD, kernel_h: kH, kernel_w: kW, stride_d: sD, stride_h: sH, stride_w: sW,
    pad_d: pD, pad_h: pH, pad_w: pW, dilation_d: dD, dilation_h: dH, dilation_w: dW,
    index_stride_n: xN, index_stride_c: xC, index_stride_s: xS,
  };
}

/** The unpooling fields of a geometry. */
export function unpoolFieldValues(g: UnpoolGeometry): Record<UnpoolParamField, number> {
  const [inD, inH, inW] = toDHW(g.inSpatial, 1);
  const [outD, outH, outW] = toDHW(g.outSpatial, 1);
  const [xN, xC, xS] = indexStrides(g.indexFormat, g.layout, g.channels, product(g.outSpatial));
  return {
    total: g.batch * g.channels * product(g.inSpatial),
    out_total: g.batch * g.channels * product(g.outSpatial),
    channels: g.channels,
    channels_last: g.layout === 'NHWC' ? 1 : 0,
    in_d: inD, in_h: inH, in_w: inW, out_d: outD, out_h: outH, out_w: outW,
    index_stride_n: xN, index_stride_c: xC, index_stride_s: xS,
    fill: FILL_CODES[g.fill],
    rank: g.rank,
  };
}
