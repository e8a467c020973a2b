/**
 * The segmentation view's input: a 128x128 RGB image in [0, 1], channels first ([1, 3, 128, 128]),
 * from the shared generator, from a picture (scaled to cover 128x128, then centre-cropped), or edited
 * by drawing shapes on it. Drawn shapes follow the generator's rules where they can: a flat colour at
 * least 0.3 away (largest channel difference) from the pixels it covers, a pixel inside when its
 * centre is, and the generator's noise (sd 0.04) on the shape's pixels.
 */
import { colourDistance, MIN_COLOUR_DISTANCE, NOISE_SD, SHAPES_SIZE, shapeContains, type Colour, type Point, type Shape } from './shapes';

export const SIZE = SHAPES_SIZE;
export const PLANE = SIZE * SIZE;

export type DrawKind = Shape['kind'];

/** A picture scaled so that it covers 128x128 and centre-cropped: `[image, what was done]`. */
export function imageFromPicture(picture: ImageBitmap): { image: Float32Array<ArrayBuffer>; fit: string } {
  const { width, height } = picture;
  const scale = SIZE / Math.min(width, height);
  const cropW = SIZE / scale;
  const cropH = SIZE / scale;
  const sx = (width - cropW) / 2;
  const sy = (height - cropH) / 2;
  const canvas = new OffscreenCanvas(SIZE, SIZE);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('This browser cannot draw on a 2D canvas');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(picture, sx, sy, cropW, cropH, 0, 0, SIZE, SIZE);
  const rgba = ctx.getImageData(0, 0, SIZE, SIZE).data;
  const image = new Float32Array(3 * PLANE);
  for (let p = 0; p < PLANE; p++) for (let c = 0; c < 3; c++) image[c * PLANE + p] = rgba[4 * p + c] / 255;
  let fit = '';
  if (width !== SIZE || height !== SIZE) {
    const cropped = width !== height ? `, centre-cropped to ${Math.round(cropW)} × ${Math.round(cropH)}` : '';
    fit = `scaled to ${SIZE} × ${SIZE}${cropped}`;
  }
  return { image, fit };
}

export async function decodePicture(file: File): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(file);
  } catch {
    throw new Error(`Could not read ${file.name} as an image (${file.type || 'unknown type'})`);
  }
}

/** The seeded generator (mulberry32) for the colours and noise of drawn shapes. */
export { rng as seededRandom } from '../../src/check/values';

/**
 * The shape a drag from `from` to `to` (image pixels) draws: a disc centred on `from` through `to`,
 * a rectangle with those corners, a triangle with its apex at the top middle of their box and its
 * base along the bottom. Null when the drag is too short to give a shape.
 */
export function shapeFromDrag(kind: DrawKind, from: Point, to: Point, colour: Colour): Shape | null {
  const dx = to[0] - from[0];
  const dy = to[1] - from[1];
  if (Math.hypot(dx, dy) < 3) return null;
  const centre: Point = [(from[0] + to[0]) / 2, (from[1] + to[1]) / 2];
  switch (kind) {
    case 'disc':
      return { kind, label: 1, colour, centre: from, radius: Math.hypot(dx, dy) };
    case 'rectangle':
      return { kind, label: 2, colour, centre, size: [Math.abs(dx), Math.abs(dy)] };
    case 'triangle': {
      const top = Math.min(from[1], to[1]);
      const bottom = Math.max(from[1], to[1]);
      return { kind, label: 3, colour, centre, vertices: [[centre[0], top], [Math.min(from[0], to[0]), bottom], [Math.max(from[0], to[0]), bottom]] };
    }
  }
}

/** Pixels whose centre the shape contains. */
export function shapeMask(shape: Shape): Uint8Array {
  const mask = new Uint8Array(PLANE);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) if (shapeContains(shape, x + 0.5, y + 0.5)) mask[y * SIZE + x] = 1;
  return mask;
}

/**
 * A random colour at least 0.3 away from every pixel the mask covers (or, when no colour of the
 * tries is, the one farthest from the nearest of them), and its distance.
 */
export function pickColour(image: Float32Array, mask: Uint8Array, random: () => number): { colour: Colour; distance: number } {
  const covered: number[] = [];
  for (let p = 0; p < PLANE; p++) if (mask[p]) covered.push(p);
  // A sample of the covered pixels keeps this quick for large shapes.
  const step = Math.max(1, Math.floor(covered.length / 256));
  const pixels: Colour[] = [];
  for (let i = 0; i < covered.length; i += step) {
    const p = covered[i];
    pixels.push([image[p], image[PLANE + p], image[2 * PLANE + p]]);
  }
  let best: { colour: Colour; distance: number } = { colour: [random(), random(), random()], distance: -1 };
  for (let attempt = 0; attempt < 400; attempt++) {
    const colour: Colour = attempt === 0 ? best.colour : [random(), random(), random()];
    let nearest = Infinity;
    for (const pixel of pixels) nearest = Math.min(nearest, colourDistance(colour, pixel));
    if (nearest > best.distance) best = { colour, distance: nearest };
    if (nearest >= MIN_COLOUR_DISTANCE + 2 * NOISE_SD) break;
  }
  return best;
}

/** Paints a shape into the image (flat colour plus the generator's noise) and its label into `truth`. */
export function paintShape(image: Float32Array, truth: Uint8Array | null, shape: Shape, mask: Uint8Array, random: () => number): void {
  for (let p = 0; p < PLANE; p++) {
    if (!mask[p]) continue;
    for (let c = 0; c < 3; c++) {
      const u1 = Math.max(random(), 1e-12);
      const u2 = random();
      const noise = NOISE_SD * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      image[c * PLANE + p] = Math.min(1, Math.max(0, shape.colour[c] + noise));
    }
    if (truth) truth[p] = shape.label;
  }
}
