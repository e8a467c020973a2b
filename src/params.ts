/**
 * Packing of each kernel's params uniform. The field lists mirror the WGSL structs field for field
 * (all u32); a node test parses the shaders and checks that the two agree.
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

/** Writes named u32 fields in the order given, padded to a multiple of 16 bytes. */
export function packFields<F extends string>(fields: readonly F[], values: Record<F, number>): Uint32Array<ArrayBuffer> {
  const words = new Uint32Array(Math.ceil(fields.length / 4) * 4);
  fields.forEach((field, i) => {
    const value = values[field];
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`params field ${field} must be a u32, got ${value}`);
    }
    words[i] = value;
  });
  return words;
}

/** Pads a list of 1 to 3 spatial values to depth, height, width, filling leading dimensions. */
export function toDHW(values: readonly number[], fill: number): [number, number, number] {
  const padded = [...new Array<number>(3 - values.length).fill(fill), ...values];
  return [padded[0], padded[1], padded[2]];
}

export function packPoolParams(g: PoolGeometry): Uint32Array<ArrayBuffer> {
  const [inD, inH, inW] = toDHW(g.inSpatial, 1);
  const [outD, outH, outW] = toDHW(g.outSpatial, 1);
  const [kD, kH, kW] = toDHW(g.kernel, 1);
  const [sD, sH, sW] = toDHW(g.stride, 1);
  const [pD, pH, pW] = toDHW(g.padBegin, 0);
  const [dD, dH, dW] = toDHW(g.dilation, 1);
  const [xN, xC, xS] = indexStrides(g.indexFormat, g.layout, g.channels, product(g.inSpatial));
  return packFields(POOL_PARAM_FIELDS, {
    total: g.batch * g.channels * product(g.outSpatial),
    channels: g.channels,
    channels_last: g.layout === 'NHWC' ? 1 : 0,
    in_d: inD, in_h: inH, in_w: inW, out_d: outD, out_h: outH, out_w: outW,
    kernel_d: kD, kernel_h: kH, kernel_w: kW, stride_d: sD, stride_h: sH, stride_w: sW,
    pad_d: pD, pad_h: pH, pad_w: pW, dilation_d: dD, dilation_h: dH, dilation_w: dW,
    index_stride_n: xN, index_stride_c: xC, index_stride_s: xS,
  });
}

export function packUnpoolParams(g: UnpoolGeometry): Uint32Array<ArrayBuffer> {
  const [inD, inH, inW] = toDHW(g.inSpatial, 1);
  const [outD, outH, outW] = toDHW(g.outSpatial, 1);
  const [xN, xC, xS] = indexStrides(g.indexFormat, g.layout, g.channels, product(g.outSpatial));
  return packFields(UNPOOL_PARAM_FIELDS, {
    total: g.batch * g.channels * product(g.inSpatial),
    out_total: g.batch * g.channels * product(g.outSpatial),
    channels: g.channels,
    channels_last: g.layout === 'NHWC' ? 1 : 0,
    in_d: inD, in_h: inH, in_w: inW, out_d: outD, out_h: outH, out_w: outW,
    index_stride_n: xN, index_stride_c: xC, index_stride_s: xS,
    fill: FILL_CODES[g.fill],
    rank: g.rank,
  });
}
