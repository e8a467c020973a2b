/**
 * Drawing tensors on canvases: RGB maps, argmax maps, amplified differences, and the labelled grid
 * of figures that holds them.
 */
import type { PoolGeometry } from '../src/low-level';

/** Reuses a canvas's 2D context and sizes the canvas to the map (CSS scales it, pixelated). */
function context(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser cannot draw on a 2D canvas');
  return ctx;
}

const toByte = (v: number): number => (Number.isNaN(v) ? 255 : Math.round(Math.min(1, Math.max(0, v)) * 255));

/** Draws a [1, 3, height, width] tensor with values in 0..1 (clamped). */
export function drawRgb(canvas: HTMLCanvasElement, data: Float32Array, height: number, width: number): void {
  const ctx = context(canvas, width, height);
  const image = ctx.createImageData(width, height);
  const plane = width * height;
  for (let p = 0; p < plane; p++) {
    image.data[4 * p] = toByte(data[p]);
    image.data[4 * p + 1] = toByte(data[plane + p]);
    image.data[4 * p + 2] = toByte(data[2 * plane + p]);
    image.data[4 * p + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** |a - b| * gain per channel, clamped to 0..1. */
export function drawDifference(canvas: HTMLCanvasElement, a: Float32Array, b: Float32Array, height: number, width: number, gain: number): void {
  const diff = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) diff[i] = Math.abs(a[i] - b[i]) * gain;
  drawRgb(canvas, diff, height, width);
}

/** HSL (hue in degrees, s and l in 0..1) to RGB bytes. */
function hslToRgb(hue: number, s: number, l: number): [number, number, number] {
  const k = (n: number): number => (n + hue / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number): number => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

/** The colour of kernel tap (ky, kx) in a kernel of kh × kw taps. */
function tapColour(ky: number, kx: number, kh: number, kw: number): [number, number, number] {
  const taps = kh * kw;
  const hue = taps === 1 ? 200 : (300 * (ky * kw + kx)) / (taps - 1);
  return hslToRgb(hue, 0.75, 0.55);
}

const OUTSIDE: [number, number, number] = [128, 128, 128];

/**
 * Colours each pooled position of one channel by where its maximum came from: the index names input
 * position (h, w) = (idx / W, idx % W); its offset from the window origin (o*stride - padding) is
 * (dy, dx), which is tap (dy / dilation, dx / dilation) of the kernel. An index that is not a tap of
 * its own window is drawn grey (it never is, for indices from max pooling).
 */
export function drawArgmax(canvas: HTMLCanvasElement, indices: Int32Array, geometry: PoolGeometry, channel: number): void {
  const [inH, inW] = geometry.inSpatial;
  const [outH, outW] = geometry.outSpatial;
  const [kh, kw] = geometry.kernel;
  const [sh, sw] = geometry.stride;
  const [ph, pw] = geometry.padBegin;
  const [dh, dw] = geometry.dilation;
  const ctx = context(canvas, outW, outH);
  const image = ctx.createImageData(outW, outH);
  const base = channel * outH * outW;
  for (let oh = 0; oh < outH; oh++) {
    for (let ow = 0; ow < outW; ow++) {
      const p = oh * outW + ow;
      const index = indices[base + p];
      const dy = Math.floor(index / inW) - (oh * sh - ph);
      const dx = (index % inW) - (ow * sw - pw);
      const ky = dy / dh;
      const kx = dx / dw;
      const inWindow =
        index >= 0 && index < inH * inW && Number.isInteger(ky) && Number.isInteger(kx) && ky >= 0 && ky < kh && kx >= 0 && kx < kw;
      const [r, g, b] = inWindow ? tapColour(ky, kx, kh, kw) : OUTSIDE;
      image.data.set([r, g, b, 255], 4 * p);
    }
  }
  ctx.putImageData(image, 0, 0);
}

/** The key for argmax maps: one window's taps in their colours. */
export function drawTapKey(canvas: HTMLCanvasElement, kernel: readonly number[]): void {
  const [kh, kw] = kernel;
  const ctx = context(canvas, kw, kh);
  const image = ctx.createImageData(kw, kh);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) image.data.set([...tapColour(ky, kx, kh, kw), 255], 4 * (ky * kw + kx));
  }
  ctx.putImageData(image, 0, 0);
}

export interface ViewSpec {
  /** Stable id: the figure gets data-testid `view-${id}`. */
  id: string;
  title: string;
  detail: string;
  draw(canvas: HTMLCanvasElement): void;
  /** Draws a small key next to the caption. */
  key?: { label: string; draw(canvas: HTMLCanvasElement): void };
}

/**
 * Shows the given views in order, reusing the figure (and canvas) of a view that was already there,
 * so a recompute does not make the grid flicker.
 */
export function showViews(container: HTMLElement, views: readonly ViewSpec[]): void {
  const existing = new Map<string, HTMLElement>();
  for (const figure of Array.from(container.querySelectorAll<HTMLElement>(':scope > figure'))) {
    existing.set(figure.dataset.view ?? '', figure);
  }
  const wanted = new Set(views.map((v) => v.id));
  for (const [id, figure] of existing) if (!wanted.has(id)) figure.remove();
  for (const view of views) {
    let figure = existing.get(view.id);
    if (!figure) figure = createFigure(view.id);
    container.appendChild(figure); // moves it into order
    const canvas = figure.querySelector<HTMLCanvasElement>('canvas.view')!;
    view.draw(canvas);
    canvas.setAttribute('aria-label', `${view.title}, ${view.detail}`);
    figure.querySelector('.title')!.textContent = view.title;
    figure.querySelector('.detail')!.textContent = view.detail;
    const legend = figure.querySelector<HTMLElement>('.legend')!;
    legend.hidden = !view.key;
    if (view.key) {
      view.key.draw(legend.querySelector('canvas')!);
      legend.querySelector('span')!.textContent = view.key.label;
    }
  }
}

function createFigure(id: string): HTMLElement {
  const figure = document.createElement('figure');
  figure.dataset.view = id;
  figure.dataset.testid = `view-${id}`;
  const canvas = document.createElement('canvas');
  canvas.className = 'view';
  canvas.setAttribute('role', 'img');
  const caption = document.createElement('figcaption');
  const title = document.createElement('span');
  title.className = 'title';
  const detail = document.createElement('span');
  detail.className = 'detail muted';
  const legend = document.createElement('div');
  legend.className = 'legend';
  legend.hidden = true;
  legend.append(document.createElement('canvas'), document.createElement('span'));
  caption.append(title, detail, legend);
  figure.append(canvas, caption);
  return figure;
}
