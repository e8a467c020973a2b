/**
 * The "shapes" segmentation data, generated in the page: a port of models/training/shapes.py that
 * gives the same scene for the same seed, and the same pixels up to float rounding in the noise
 * (Math.log and Math.cos against NumPy's). See that file for the specification; in short:
 *
 * - 128x128 RGB in [0, 1]: a linear gradient between two random colours along a random direction,
 *   2-6 shapes drawn in turn (later ones cover earlier ones), Gaussian noise (sd 0.04) clipped to [0, 1];
 * - shapes: disc (radius 8-24 px, label 1), axis-aligned rectangle (sides 12-40 px, label 2), triangle
 *   (vertices within +-24 px of the centre, area >= 150 px^2, label 3); each a flat colour whose largest
 *   channel difference from both gradient colours is at least 0.3; a pixel belongs to a shape when its
 *   centre does;
 * - random numbers from a counter-based hash (lowbias32) keyed by the seed and a stream number.
 */

export const SHAPES_SIZE = 128;
export const NOISE_SD = 0.04;
export const MIN_COLOUR_DISTANCE = 0.3;
export const MIN_TRIANGLE_AREA = 150;
export const CLASS_NAMES = ['background', 'disc', 'rectangle', 'triangle'] as const;
const SCENE_STREAM = 1;
const NOISE_STREAM = 2;

export type Colour = [number, number, number];
export type Point = [number, number];

interface ShapeBase {
  /** Class label: 1 disc, 2 rectangle, 3 triangle. */
  label: 1 | 2 | 3;
  colour: Colour;
  centre: Point;
}
export interface Disc extends ShapeBase { kind: 'disc'; label: 1; radius: number }
export interface Rectangle extends ShapeBase { kind: 'rectangle'; label: 2; size: [number, number] }
export interface Triangle extends ShapeBase { kind: 'triangle'; label: 3; vertices: [Point, Point, Point] }
export type Shape = Disc | Rectangle | Triangle;

export interface Scene {
  seed: number;
  /** The gradient's two colours: c0 at t = 0, c1 at t = 1. */
  colours: [Colour, Colour];
  /** Direction of the gradient in radians (x right, y down). */
  angle: number;
  shapes: Shape[];
}

export interface ShapesSample {
  scene: Scene;
  /** float32 [1, 3, 128, 128], channels first, in [0, 1]. */
  image: Float32Array<ArrayBuffer>;
  /** uint8 [128, 128]: 0 background, 1 disc, 2 rectangle, 3 triangle. */
  labels: Uint8Array<ArrayBuffer>;
}

/** lowbias32 (Chris Wellons): a uint32 -> uint32 bijection with good avalanche. */
export function hash32(x: number): number {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

function streamKey(seed: number, stream: number): number {
  return hash32((seed >>> 0) ^ hash32(stream));
}

/** Draw k of the stream with this key, in (0, 1). */
function uniformAt(key: number, k: number): number {
  const h = hash32((hash32((k ^ key) >>> 0) + key) >>> 0);
  return (h + 0.5) / 4294967296;
}

/** The seed of image `index` of a data set with base seed `base` (as image_seed in shapes.py). */
export function imageSeed(base: number, index: number): number {
  return hash32((hash32(base) + Math.imul(index, 0x9e3779b9)) >>> 0);
}

export function colourDistance(a: readonly number[], b: readonly number[]): number {
  return Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2]));
}

export function triangleArea(v: readonly Point[]): number {
  return Math.abs((v[1][0] - v[0][0]) * (v[2][1] - v[0][1]) - (v[2][0] - v[0][0]) * (v[1][1] - v[0][1])) / 2;
}

/** The scene's parameters for a seed (a uint32). */
export function drawScene(seed: number): Scene {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`drawScene: seed must be an integer in [0, 2^32), got ${seed}`);
  }
  const key = streamKey(seed, SCENE_STREAM);
  let counter = 0;
  const uniform = () => uniformAt(key, counter++);
  const colour = (): Colour => [uniform(), uniform(), uniform()];
  const c0 = colour();
  const c1 = colour();
  const angle = 2 * Math.PI * uniform();
  const count = 2 + Math.min(4, Math.floor(uniform() * 5));
  const shapes: Shape[] = [];
  for (let s = 0; s < count; s++) {
    const kind = Math.min(2, Math.floor(uniform() * 3));
    let fill: Colour | undefined;
    for (let attempt = 0; attempt < 10000 && !fill; attempt++) {
      const c = colour();
      if (colourDistance(c, c0) >= MIN_COLOUR_DISTANCE && colourDistance(c, c1) >= MIN_COLOUR_DISTANCE) fill = c;
    }
    if (!fill) throw new Error(`drawScene: no shape colour found for seed ${seed}`);
    const centre: Point = [SHAPES_SIZE * uniform(), SHAPES_SIZE * uniform()];
    if (kind === 0) {
      shapes.push({ kind: 'disc', label: 1, colour: fill, centre, radius: 8 + 16 * uniform() });
    } else if (kind === 1) {
      const width = 12 + 28 * uniform();
      const height = 12 + 28 * uniform();
      shapes.push({ kind: 'rectangle', label: 2, colour: fill, centre, size: [width, height] });
    } else {
      let vertices: [Point, Point, Point] | undefined;
      for (let attempt = 0; attempt < 10000 && !vertices; attempt++) {
        const v: [Point, Point, Point] = [0, 1, 2].map(
          () => [centre[0] + 48 * uniform() - 24, centre[1] + 48 * uniform() - 24] as Point,
        ) as [Point, Point, Point];
        if (triangleArea(v) >= MIN_TRIANGLE_AREA) vertices = v;
      }
      if (!vertices) throw new Error(`drawScene: no triangle found for seed ${seed}`);
      shapes.push({ kind: 'triangle', label: 3, colour: fill, centre, vertices });
    }
  }
  return { seed, colours: [c0, c1], angle, shapes };
}

/** Whether the point (x, y) lies in the shape, edges included. */
export function shapeContains(shape: Shape, x: number, y: number): boolean {
  const [cx, cy] = shape.centre;
  switch (shape.kind) {
    case 'disc': {
      const dx = x - cx;
      const dy = y - cy;
      return dx * dx + dy * dy <= shape.radius * shape.radius;
    }
    case 'rectangle':
      return Math.abs(x - cx) <= shape.size[0] / 2 && Math.abs(y - cy) <= shape.size[1] / 2;
    case 'triangle': {
      const [[x0, y0], [x1, y1], [x2, y2]] = shape.vertices;
      const e0 = (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0);
      const e1 = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1);
      const e2 = (x0 - x2) * (y - y2) - (y0 - y2) * (x - x2);
      return (e0 >= 0 && e1 >= 0 && e2 >= 0) || (e0 <= 0 && e1 <= 0 && e2 <= 0);
    }
  }
}

/** The gradient's parameter t at a point: 0 at the image's extreme in direction -d, 1 at +d. */
export function gradientT(angle: number, x: number, y: number): number {
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  const halfExtent = (SHAPES_SIZE / 2) * (Math.abs(dx) + Math.abs(dy));
  return 0.5 + ((x - SHAPES_SIZE / 2) * dx + (y - SHAPES_SIZE / 2) * dy) / (2 * halfExtent);
}

/** The image and labels of a scene; `noise: false` gives the clean picture (for checks and display). */
export function renderScene(scene: Scene, options: { noise?: boolean } = {}): ShapesSample {
  const n = SHAPES_SIZE;
  const plane = n * n;
  const image = new Float64Array(3 * plane);
  const labels = new Uint8Array(plane);
  const [c0, c1] = scene.colours;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const t = gradientT(scene.angle, x + 0.5, y + 0.5);
      for (let c = 0; c < 3; c++) image[c * plane + y * n + x] = c0[c] + (c1[c] - c0[c]) * t;
    }
  }
  for (const shape of scene.shapes) {
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        if (!shapeContains(shape, x + 0.5, y + 0.5)) continue;
        const p = y * n + x;
        labels[p] = shape.label;
        for (let c = 0; c < 3; c++) image[c * plane + p] = shape.colour[c];
      }
    }
  }
  const out = new Float32Array(3 * plane);
  const key = streamKey(scene.seed, NOISE_STREAM);
  const noise = options.noise ?? true;
  for (let i = 0; i < 3 * plane; i++) {
    let v = image[i];
    if (noise) {
      const u1 = uniformAt(key, 2 * i);
      const u2 = uniformAt(key, 2 * i + 1);
      v += NOISE_SD * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      v = Math.min(1, Math.max(0, v));
    }
    out[i] = v;
  }
  return { scene, image: out, labels };
}

/** A seeded sample: `generateShapes(seed)` is `renderScene(drawScene(seed))`. */
export function generateShapes(seed: number, options: { noise?: boolean } = {}): ShapesSample {
  return renderScene(drawScene(seed), options);
}
