// The demo's "shapes" generator (demo/segmentation/shapes.ts) against the task's specification, checked
// with geometry written here independently of the generator, and against the Python generator that the
// model was trained on (through the committed samples in models/samples/).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  drawScene, generateShapes, imageSeed, renderScene, SHAPES_SIZE,
  type Scene, type Shape,
} from '../../demo/segmentation/shapes';

const N = SHAPES_SIZE;
const PLANE = N * N;
const SEEDS = Array.from({ length: 150 }, (_, i) => imageSeed(42, i));
const chebyshev = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

/** Point-in-shape by a different route from the generator's: distances and barycentric coordinates. */
function inside(shape: Shape, x: number, y: number): boolean {
  const [cx, cy] = shape.centre;
  if (shape.kind === 'disc') return Math.hypot(x - cx, y - cy) <= shape.radius;
  if (shape.kind === 'rectangle') {
    const [w, h] = shape.size;
    return x >= cx - w / 2 && x <= cx + w / 2 && y >= cy - h / 2 && y <= cy + h / 2;
  }
  const [[ax, ay], [bx, by], [qx, qy]] = shape.vertices;
  const det = (by - qy) * (ax - qx) + (qx - bx) * (ay - qy);
  const l1 = ((by - qy) * (x - qx) + (qx - bx) * (y - qy)) / det;
  const l2 = ((qy - ay) * (x - qx) + (ax - qx) * (y - qy)) / det;
  return l1 >= 0 && l2 >= 0 && 1 - l1 - l2 >= 0;
}

/** Index of the last shape whose region holds the pixel's centre, or -1. */
function topShape(scene: Scene, x: number, y: number): number {
  let top = -1;
  scene.shapes.forEach((shape, i) => { if (inside(shape, x + 0.5, y + 0.5)) top = i; });
  return top;
}

describe('shapes generator: scene parameters follow the specification', () => {
  const scenes = SEEDS.map(drawScene);

  it('draws 2 to 6 shapes, every count and every kind occurring', () => {
    const counts = new Set(scenes.map((s) => s.shapes.length));
    expect([...counts].sort()).toEqual([2, 3, 4, 5, 6]);
    const kinds = new Set(scenes.flatMap((s) => s.shapes.map((shape) => `${shape.kind}:${shape.label}`)));
    expect([...kinds].sort()).toEqual(['disc:1', 'rectangle:2', 'triangle:3']);
  });

  it('gradient colours in [0,1]; shape colours in [0,1] and >= 0.3 (largest channel difference) from both', () => {
    for (const scene of scenes) {
      for (const c of scene.colours) for (const v of c) expect(v >= 0 && v <= 1).toBe(true);
      for (const shape of scene.shapes) {
        for (const v of shape.colour) expect(v >= 0 && v <= 1).toBe(true);
        expect(chebyshev(shape.colour, scene.colours[0])).toBeGreaterThanOrEqual(0.3);
        expect(chebyshev(shape.colour, scene.colours[1])).toBeGreaterThanOrEqual(0.3);
      }
    }
  });

  it('sizes: disc radius 8-24, rectangle sides 12-40, triangle vertices within 24 px of the centre and area >= 150', () => {
    let minArea = Infinity;
    for (const scene of scenes) {
      for (const shape of scene.shapes) {
        const [cx, cy] = shape.centre;
        expect(cx >= 0 && cx < N && cy >= 0 && cy < N).toBe(true);
        if (shape.kind === 'disc') expect(shape.radius >= 8 && shape.radius <= 24).toBe(true);
        if (shape.kind === 'rectangle') for (const side of shape.size) expect(side >= 12 && side <= 40).toBe(true);
        if (shape.kind === 'triangle') {
          for (const [vx, vy] of shape.vertices) expect(Math.abs(vx - cx) <= 24 && Math.abs(vy - cy) <= 24).toBe(true);
          const [a, b, c] = shape.vertices;
          const area = Math.abs((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])) / 2;
          expect(area).toBeGreaterThanOrEqual(150);
          minArea = Math.min(minArea, area);
        }
      }
    }
    // The rejection step is doing something: some accepted triangles come close to the bound.
    expect(minArea).toBeLessThan(250);
  });
});

describe('shapes generator: pixels', { timeout: 60_000 }, () => {
  it('gives a float32 [1,3,128,128] image in [0,1] and uint8 [128,128] labels in 0..3', () => {
    const { image, labels } = generateShapes(SEEDS[0]);
    expect(image).toBeInstanceOf(Float32Array);
    expect(image.length).toBe(3 * PLANE);
    expect(labels).toBeInstanceOf(Uint8Array);
    expect(labels.length).toBe(PLANE);
    for (const v of image) expect(v >= 0 && v <= 1).toBe(true);
    for (const l of labels) expect(l <= 3).toBe(true);
  });

  it("labels follow the pixels' centres, and later shapes cover earlier ones (labels and colours)", () => {
    let overlaps = 0;
    let partlyOutside = 0;
    const mismatches: string[] = [];
    for (const seed of SEEDS.slice(0, 24)) {
      const scene = drawScene(seed);
      const { image, labels } = renderScene(scene, { noise: false });
      for (let y = 0; y < N; y++) {
        for (let x = 0; x < N; x++) {
          const p = y * N + x;
          const holders = scene.shapes.filter((s) => inside(s, x + 0.5, y + 0.5)).length;
          if (holders > 1) overlaps++;
          const top = topShape(scene, x, y);
          const expected = top < 0 ? 0 : scene.shapes[top].label;
          if (labels[p] !== expected) mismatches.push(`seed ${seed} (${x}, ${y}): label ${labels[p]}, expected ${expected}`);
          if (top < 0) continue;
          for (let c = 0; c < 3; c++) {
            const want = Math.fround(scene.shapes[top].colour[c]);
            if (image[c * PLANE + p] !== want) mismatches.push(`seed ${seed} (${x}, ${y}) channel ${c}: ${image[c * PLANE + p]}, expected ${want}`);
          }
        }
      }
      for (const shape of scene.shapes) {
        const [cx, cy] = shape.centre;
        const reach = shape.kind === 'disc' ? shape.radius : shape.kind === 'rectangle' ? Math.max(...shape.size) / 2 : 0;
        if (cx - reach < 0 || cy - reach < 0 || cx + reach > N || cy + reach > N) partlyOutside++;
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    // The checks above met the cases they are about: overlapping shapes, shapes leaving the image.
    expect(overlaps).toBeGreaterThan(100);
    expect(partlyOutside).toBeGreaterThan(0);
  });

  it('background is the linear gradient between the two colours along the drawn direction', () => {
    for (const seed of SEEDS.slice(0, 10)) {
      const scene = drawScene(seed);
      const { image, labels } = renderScene(scene, { noise: false });
      const [c0, c1] = scene.colours;
      const d = [Math.cos(scene.angle), Math.sin(scene.angle)];
      // t from the projection onto d, normalised by the projections of the image's corners.
      const corners = [[0, 0], [N, 0], [0, N], [N, N]].map(([x, y]) => x * d[0] + y * d[1]);
      const lo = Math.min(...corners);
      const hi = Math.max(...corners);
      let worst = 0;
      for (let y = 0; y < N; y++) {
        for (let x = 0; x < N; x++) {
          if (labels[y * N + x] !== 0) continue;
          const t = ((x + 0.5) * d[0] + (y + 0.5) * d[1] - lo) / (hi - lo);
          for (let c = 0; c < 3; c++) {
            worst = Math.max(worst, Math.abs(image[c * PLANE + y * N + x] - (c0[c] + (c1[c] - c0[c]) * t)));
          }
        }
      }
      // float32 rounding of values in [0, 1]
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it('adds Gaussian noise of standard deviation 0.04 and clips to [0,1]', () => {
    const residuals: number[] = [];
    let clipped = 0;
    for (const seed of SEEDS.slice(0, 8)) {
      const clean = generateShapes(seed, { noise: false }).image;
      const noisy = generateShapes(seed).image;
      for (let i = 0; i < clean.length; i++) {
        if (noisy[i] === 0 || noisy[i] === 1) clipped++;
        // Away from the bounds, clipping cannot have touched the value.
        if (clean[i] > 0.25 && clean[i] < 0.75) residuals.push(noisy[i] - clean[i]);
      }
    }
    const mean = residuals.reduce((a, b) => a + b, 0) / residuals.length;
    const sd = Math.sqrt(residuals.reduce((a, b) => a + (b - mean) ** 2, 0) / residuals.length);
    expect(residuals.length).toBeGreaterThan(100_000);
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(Math.abs(sd - 0.04)).toBeLessThan(0.001);
    const kurtosis = residuals.reduce((a, b) => a + ((b - mean) / sd) ** 4, 0) / residuals.length;
    expect(Math.abs(kurtosis - 3)).toBeLessThan(0.1);
    expect(clipped).toBeGreaterThan(0);
  });

  it('is deterministic per seed, and different seeds give different images', () => {
    const a = generateShapes(12345);
    const b = generateShapes(12345);
    expect(Buffer.from(a.image.buffer).equals(Buffer.from(b.image.buffer))).toBe(true);
    expect(Buffer.from(a.labels).equals(Buffer.from(b.labels))).toBe(true);
    expect(a.scene).toEqual(b.scene);
    const c = generateShapes(12346);
    expect(Buffer.from(a.image.buffer).equals(Buffer.from(c.image.buffer))).toBe(false);
  });

  it('rejects a seed that is not a uint32, naming the function and the value', () => {
    expect(() => drawScene(-1)).toThrow(/drawScene: seed .* got -1/);
    expect(() => drawScene(1.5)).toThrow(/drawScene: seed .* got 1.5/);
  });
});

describe('shapes generator: same data as the Python generator the model was trained on', () => {
  const dir = new URL('../../models/samples/', import.meta.url);
  const manifest = JSON.parse(readFileSync(new URL('samples.json', dir), 'utf8')) as {
    samples: { name: string; seed: number; scene: Scene; files: Record<string, string> }[];
  };

  it.each(manifest.samples.map((s) => [s.name, s] as const))('%s: scene, labels and image', (_, sample) => {
    const ours = generateShapes(sample.seed);
    // The Python scene has no `label` order guarantee in JSON; compare field by field.
    expect(ours.scene.colours).toEqual(sample.scene.colours);
    expect(ours.scene.angle).toBe(sample.scene.angle);
    expect(ours.scene.shapes).toEqual(sample.scene.shapes);
    const truth = new Uint8Array(readFileSync(new URL(sample.files.truth, dir)));
    expect(Buffer.from(ours.labels).equals(Buffer.from(truth))).toBe(true);
    const bytes = readFileSync(new URL(sample.files.image, dir));
    const image = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    expect(image.length).toBe(ours.image.length);
    let maxDiff = 0;
    for (let i = 0; i < image.length; i++) maxDiff = Math.max(maxDiff, Math.abs(image[i] - ours.image[i]));
    // Both round the same float64 arithmetic to float32; only Math.log/Math.cos against libm may differ.
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
  });
});
