/**
 * Input images: built-in samples drawn procedurally (no network), and any image the user picks or
 * drops, turned into a float32 tensor [1, 3, H, W] with RGB in 0..1, channels first.
 */
import { rng } from '../src/check/values';

/** Longest side of the tensor the page works on; larger images are scaled down to it. */
export const MAX_SIDE = 256;

const SAMPLE_WIDTH = 192;
const SAMPLE_HEIGHT = 144;

export interface Sample {
  id: string;
  label: string;
  draw(ctx: CanvasRenderingContext2D, width: number, height: number): void;
}

/** A host tensor in the layout the pooling calls take. */
export interface ImageTensor {
  data: Float32Array<ArrayBuffer>;
  shape: [1, 3, number, number];
}


function drawShapes(ctx: CanvasRenderingContext2D, w: number, h: number): void {
  const sky = ctx.createLinearGradient(0, 0, w, h);
  sky.addColorStop(0, '#1b3b6f');
  sky.addColorStop(0.55, '#7a4fa3');
  sky.addColorStop(1, '#f4a259');
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = '#f6d55c';
  ctx.beginPath();
  ctx.arc(w * 0.72, h * 0.32, h * 0.2, 0, 2 * Math.PI);
  ctx.fill();
  ctx.fillStyle = '#3caea3';
  ctx.fillRect(w * 0.1, h * 0.55, w * 0.3, h * 0.3);
  ctx.fillStyle = '#ed553b';
  ctx.beginPath();
  ctx.moveTo(w * 0.45, h * 0.9);
  ctx.lineTo(w * 0.62, h * 0.5);
  ctx.lineTo(w * 0.8, h * 0.9);
  ctx.closePath();
  ctx.fill();
  ctx.strokeStyle = '#ffffff';
  ctx.lineWidth = 1;
  for (let i = 0; i < 6; i++) {
    ctx.beginPath();
    ctx.moveTo(w * 0.05, h * (0.08 + 0.05 * i));
    ctx.lineTo(w * 0.45, h * (0.12 + 0.05 * i));
    ctx.stroke();
  }
}

function drawCheckerNoise(ctx: CanvasRenderingContext2D, w: number, h: number): void {
  // Seeded, so the noisy sample is the same on every load.
  const random = rng(20240611);
  const image = ctx.createImageData(w, h);
  const cell = 12;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const light = (Math.floor(x / cell) + Math.floor(y / cell)) % 2 === 0;
      const base = light ? 200 : 55;
      const o = 4 * (y * w + x);
      // Noise on most pixels, but flat runs remain, so windows with tied maxima are common.
      const noisy = random() < 0.6;
      image.data[o] = base + (noisy ? Math.round((random() - 0.5) * 80) : 0);
      image.data[o + 1] = base + (noisy ? Math.round((random() - 0.5) * 80) : 0) - (light ? 40 : 0);
      image.data[o + 2] = base + (noisy ? Math.round((random() - 0.5) * 80) : 0) + (light ? 0 : 60);
      image.data[o + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
}

function drawRings(ctx: CanvasRenderingContext2D, w: number, h: number): void {
  const image = ctx.createImageData(w, h);
  const cx = w * 0.45;
  const cy = h * 0.55;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = Math.hypot(x - cx, y - cy);
      const o = 4 * (y * w + x);
      image.data[o] = 127.5 + 127.5 * Math.sin(r * 0.45);
      image.data[o + 1] = 127.5 + 127.5 * Math.sin(r * 0.3 + 2);
      image.data[o + 2] = 127.5 + 127.5 * Math.cos(r * 0.17);
      image.data[o + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
}

function drawText(ctx: CanvasRenderingContext2D, w: number, h: number): void {
  ctx.fillStyle = '#101418';
  ctx.fillRect(0, 0, w, h);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = '#fafafa';
  ctx.font = `bold ${Math.round(h * 0.3)}px sans-serif`;
  ctx.fillText('argpool', w / 2, h * 0.36);
  ctx.fillStyle = '#ffb347';
  ctx.font = `${Math.round(h * 0.13)}px serif`;
  ctx.fillText('max · argmax · unpool', w / 2, h * 0.7);
  ctx.fillStyle = '#5ec8f2';
  ctx.font = `${Math.round(h * 0.08)}px monospace`;
  ctx.fillText('indices = h * W + w', w / 2, h * 0.88);
}

export const SAMPLES: readonly Sample[] = [
  { id: 'shapes', label: 'Gradient with shapes', draw: drawShapes },
  { id: 'checker', label: 'Checkerboard with noise', draw: drawCheckerNoise },
  { id: 'rings', label: 'Concentric rings', draw: drawRings },
  { id: 'text', label: 'Text', draw: drawText },
];

/** Draws a built-in sample on a fresh canvas. */
export function renderSample(sample: Sample): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = SAMPLE_WIDTH;
  canvas.height = SAMPLE_HEIGHT;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser cannot draw on a 2D canvas');
  sample.draw(ctx, SAMPLE_WIDTH, SAMPLE_HEIGHT);
  return canvas;
}

/** The size an image is scaled to: longest side at most MAX_SIDE, aspect ratio kept, at least 1 px. */
export function fitSize(width: number, height: number, maxSide = MAX_SIDE): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Decodes a picked or dropped file; rejects with a readable message when it is not an image. */
export async function decodeImageFile(file: File): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(file);
  } catch {
    throw new Error(`Could not read "${file.name}" as an image (type ${file.type || 'unknown'})`);
  }
}

/**
 * Scales an image into a tensor [1, 3, H, W] with RGB in 0..1. Transparent parts are composited on
 * white first, so the alpha channel can be dropped.
 */
export function imageToTensor(source: CanvasImageSource, sourceWidth: number, sourceHeight: number): ImageTensor {
  const { width, height } = fitSize(sourceWidth, sourceHeight);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('This browser cannot draw on a 2D canvas');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, 0, 0, width, height);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    data[p] = rgba[4 * p] / 255;
    data[plane + p] = rgba[4 * p + 1] / 255;
    data[2 * plane + p] = rgba[4 * p + 2] / 255;
  }
  return { data, shape: [1, 3, height, width] };
}
