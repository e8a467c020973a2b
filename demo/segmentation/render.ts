/**
 * Drawing for the segmentation view: the input image, the class map blended over it, a plain class
 * map, and each encoder level's argmax map (which tap of its 2x2 window each pooled pixel took).
 * Canvases hold the maps at their own size; CSS scales them up, pixelated.
 */
import { PLANE, SIZE } from './image';

/** Class colours (0 background, 1 disc, 2 rectangle, 3 triangle), as CSS hex and bytes. */
export const CLASS_COLOURS = ['#3b3b45', '#ff4d5e', '#2f9bff', '#ffd23f'] as const;

/** Window tap colours, top-left, top-right, bottom-left, bottom-right. */
export const TAP_COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f5a623'] as const;
export const TAP_NAMES = ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const;
const OUTSIDE: [number, number, number] = [128, 128, 128];
/** A pooled pixel where no channel (or not the chosen one) responded: every tap was 0. */
export const SILENT_COLOUR = '#15151a';
const SILENT: [number, number, number] = [21, 21, 26];

function bytes(hex: string): [number, number, number] {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}
const CLASS_BYTES = CLASS_COLOURS.map(bytes);
const TAP_BYTES = TAP_COLOURS.map(bytes);

function context(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser cannot draw on a 2D canvas');
  return ctx;
}

const toByte = (v: number): number => Math.round(Math.min(1, Math.max(0, v)) * 255);

export function drawImage(canvas: HTMLCanvasElement, image: Float32Array): void {
  const ctx = context(canvas, SIZE, SIZE);
  const out = ctx.createImageData(SIZE, SIZE);
  for (let p = 0; p < PLANE; p++) {
    out.data[4 * p] = toByte(image[p]);
    out.data[4 * p + 1] = toByte(image[PLANE + p]);
    out.data[4 * p + 2] = toByte(image[2 * PLANE + p]);
    out.data[4 * p + 3] = 255;
  }
  ctx.putImageData(out, 0, 0);
}

/**
 * The class map over the image: shape classes blended in at `opacity`, background pixels dimmed a
 * little so the classes stand out, and class borders drawn solid.
 */
export function drawOverlay(canvas: HTMLCanvasElement, image: Float32Array, labels: Uint8Array, opacity: number): void {
  const ctx = context(canvas, SIZE, SIZE);
  const out = ctx.createImageData(SIZE, SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const p = y * SIZE + x;
      const label = labels[p];
      const border =
        label !== 0 &&
        ((x > 0 && labels[p - 1] !== label) || (x < SIZE - 1 && labels[p + 1] !== label) || (y > 0 && labels[p - SIZE] !== label) || (y < SIZE - 1 && labels[p + SIZE] !== label));
      for (let c = 0; c < 3; c++) {
        const v = image[c * PLANE + p] * 255;
        const tint = CLASS_BYTES[label][c];
        const blended = label === 0 ? v * (1 - 0.35 * opacity) : border ? tint : v * (1 - opacity) + tint * opacity;
        out.data[4 * p + c] = Math.round(blended);
      }
      out.data[4 * p + 3] = 255;
    }
  }
  ctx.putImageData(out, 0, 0);
}

export function drawClassMap(canvas: HTMLCanvasElement, labels: Uint8Array): void {
  const ctx = context(canvas, SIZE, SIZE);
  const out = ctx.createImageData(SIZE, SIZE);
  for (let p = 0; p < PLANE; p++) out.data.set([...CLASS_BYTES[labels[p]], 255], 4 * p);
  ctx.putImageData(out, 0, 0);
}

/**
 * How an argmax map picks one tap per pooled pixel from the level's channels: the tap most of the
 * channels that responded there took (a channel whose whole window is 0 after the ReLU is a tie,
 * which the first tap wins, and says nothing), or one channel's tap.
 */
export type ArgmaxMode = { kind: 'majority' } | { kind: 'channel'; channel: number };

export interface ArgmaxGeometry {
  /** The pooling input's spatial size. */
  inH: number;
  inW: number;
  kernel: [number, number];
  stride: [number, number];
}

/**
 * Draws one level's argmax map from ONNX MaxPool indices ([1, C, h, w], flat over the pooling
 * input, batch and channel offsets included) and the pooled values: the in-plane position (row, col)
 * of each maximum, less its window's origin (oh * stride, ow * stride), names the tap. Channels whose
 * pooled value is not above 0 are left out ('majority' takes the tap most of the others chose, the
 * first of equals). Brightness follows the strongest pooled value at the pixel (of the chosen
 * channel), relative to the level's largest, so the image's structure shows through the taps.
 * Returns each tap's share of the pooled pixels, and the share with no response.
 */
export function drawArgmax(
  canvas: HTMLCanvasElement,
  indices: { data: Float64Array; dims: number[] },
  pooled: Float32Array,
  geometry: ArgmaxGeometry,
  mode: ArgmaxMode,
): { taps: number[]; silent: number } {
  const [, channels, outH, outW] = indices.dims;
  const { inH, inW, kernel, stride } = geometry;
  const inPlane = inH * inW;
  const outPlane = outH * outW;
  const taps = kernel[0] * kernel[1];
  const tapOf = (c: number, p: number): number => {
    const index = indices.data[c * outPlane + p] % inPlane;
    const oh = Math.floor(p / outW);
    const ow = p % outW;
    const dy = Math.floor(index / inW) - oh * stride[0];
    const dx = (index % inW) - ow * stride[1];
    return dy >= 0 && dy < kernel[0] && dx >= 0 && dx < kernel[1] ? dy * kernel[1] + dx : -1;
  };
  const ctx = context(canvas, outW, outH);
  const out = ctx.createImageData(outW, outH);
  const share = new Array<number>(taps).fill(0);
  const counts = new Array<number>(taps).fill(0);
  let silent = 0;
  const strength = new Float32Array(outPlane);
  for (let p = 0; p < outPlane; p++) {
    if (mode.kind === 'channel') strength[p] = Math.max(0, pooled[Math.min(mode.channel, channels - 1) * outPlane + p]);
    else for (let c = 0; c < channels; c++) strength[p] = Math.max(strength[p], pooled[c * outPlane + p]);
  }
  const strongest = strength.reduce((a, b) => Math.max(a, b), 0) || 1;
  for (let p = 0; p < outPlane; p++) {
    // -1: outside its window; -2: no responding channel.
    let tap = -2;
    if (mode.kind === 'channel') {
      const c = Math.min(mode.channel, channels - 1);
      if (pooled[c * outPlane + p] > 0) tap = tapOf(c, p);
    } else {
      counts.fill(0);
      let outside = 0;
      for (let c = 0; c < channels; c++) {
        if (!(pooled[c * outPlane + p] > 0)) continue;
        const t = tapOf(c, p);
        if (t >= 0) counts[t]++;
        else outside++;
      }
      const most = Math.max(...counts);
      if (most > 0) tap = counts.indexOf(most);
      else if (outside > 0) tap = -1;
    }
    if (tap >= 0) share[tap]++;
    if (tap === -2) silent++;
    const colour = tap === -2 ? SILENT : tap >= 0 && tap < TAP_BYTES.length ? TAP_BYTES[tap] : OUTSIDE;
    const light = tap === -2 ? 1 : 0.25 + 0.75 * Math.sqrt(strength[p] / strongest);
    out.data.set([colour[0] * light, colour[1] * light, colour[2] * light, 255], 4 * p);
  }
  ctx.putImageData(out, 0, 0);
  return { taps: share.map((n) => n / outPlane), silent: silent / outPlane };
}
