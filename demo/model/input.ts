/**
 * A picture as a model input: resized to the input's height and width, its colours normalised as the
 * user sets them (pixel / 255 × scale, or (pixel / 255 − mean) / std per channel), laid out as the
 * model wants it: [N, C, H, W] for ONNX models, [N, H, W, C] for TF.js layers models.
 */
import type { ModelReport, TensorInfo } from '../../src/model/report';
import type { HostTensor } from '../../src/model/run';

export type Normalisation = { kind: 'scale'; scale: number } | { kind: 'mean-std'; mean: number[]; std: number[] };

/** Where an image input's axes are: channels first for ONNX, last for TF.js. */
export function imageAxes(report: ModelReport): { channel: number; height: number; width: number } {
  return report.format === 'onnx' ? { channel: 1, height: 2, width: 3 } : { channel: 3, height: 1, width: 2 };
}

/** The input an image goes to: the first of rank 4 with 1, 3 or 4 channels (or a symbolic count). */
export function imageInput(report: ModelReport): TensorInfo | null {
  const { channel } = imageAxes(report);
  return report.inputs.find((i) => i.shape?.length === 4 && (typeof i.shape[channel] !== 'number' || [1, 3, 4].includes(i.shape[channel] as number))) ?? null;
}

/** Numbers from text such as "0.485, 0.456, 0.406"; throws, naming the field, on anything else. */
export function parseList(text: string, field: string): number[] {
  const values = text.split(/[\s,]+/).filter(Boolean).map(Number);
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) throw new RangeError(`${field} must be numbers separated by commas, got "${text}"`);
  return values;
}

/** The picture's pixels resized to `width` × `height`, as RGBA bytes. */
export function pixels(picture: ImageBitmap, width: number, height: number): Uint8ClampedArray {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('This browser cannot draw on a 2D canvas');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(picture, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height).data;
}

/** The input tensor of an image for `input`, whose shape must be known (`resolvedShape`). */
export function tensorFromImage(report: ModelReport, input: TensorInfo, rgba: Uint8ClampedArray, normalisation: Normalisation): HostTensor {
  const shape = input.resolvedShape;
  if (!shape) throw new RangeError(`input "${input.name}" has shape [${(input.shape ?? []).join(', ')}]: set its dimensions first`);
  const axes = imageAxes(report);
  const [batch, channels, height, width] = [shape[0], shape[axes.channel], shape[axes.height], shape[axes.width]];
  const plane = height * width;
  const data = new Float32Array(batch * channels * plane);
  const per = (list: number[], c: number) => list[Math.min(c, list.length - 1)];
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) {
      // One channel: the mean of red, green and blue.
      const raw = channels === 1 ? (rgba[4 * p] + rgba[4 * p + 1] + rgba[4 * p + 2]) / 3 : rgba[4 * p + c];
      const unit = raw / 255;
      const value = normalisation.kind === 'scale' ? unit * normalisation.scale : (unit - per(normalisation.mean, c)) / per(normalisation.std, c);
      for (let n = 0; n < batch; n++) {
        const index = report.format === 'onnx' ? (n * channels + c) * plane + p : (n * plane + p) * channels + c;
        data[index] = value;
      }
    }
  }
  return { name: input.name, dtype: 'float32', shape, data };
}
