"""The "shapes" segmentation data: a generator that Python (training, evaluation) and the demo page
(demo/segmentation/shapes.ts) share bit for bit, up to the last bit of the noise.

Usage:
    from shapes import generate
    image, labels, scene = generate(seed)   # image float32 [3,128,128] in [0,1], labels uint8 [128,128]
    python3 models/training/shapes.py 7     # prints the scene drawn for seed 7

The scene:
- background: a linear gradient between colours c0 and c1 (each channel uniform in [0,1]) along a
  random direction: t runs from 0 to 1 across the image's extent along that direction;
- 2 to 6 shapes drawn in turn (later ones cover earlier ones), each a flat colour uniform in [0,1]^3,
  redrawn until its largest channel difference from both c0 and c1 is at least 0.3; centre uniform in
  [0,128)^2 (shapes may leave the image); kind uniform over
    disc (label 1):      radius uniform in [8, 24]
    rectangle (label 2): axis-aligned, width and height uniform in [12, 40]
    triangle (label 3):  vertices uniform within +-24 px of the centre, redrawn until the area >= 150 px^2
- a pixel (x, y) belongs to a shape when its centre (x + 0.5, y + 0.5) does (edges included);
- Gaussian noise of standard deviation 0.04 on every channel of every pixel, then clipped to [0, 1].

Random numbers come from a counter-based hash (lowbias32), so the same seed gives the same image in
NumPy and in JavaScript: uniform(seed, stream, k) = (hash(hash(k ^ key) + key) + 0.5) / 2^32 with
key = hash(seed ^ hash(stream)) -- all arithmetic on uint32. The scene takes draws k = 0, 1, 2, ... of
stream 1; the noise takes draws 2i and 2i+1 of stream 2 for value i (channel-major, then row, then
column) and turns them into a normal deviate with Box-Muller: sqrt(-2 ln u1) cos(2 pi u2).
"""
import math
import sys

import numpy as np

SIZE = 128
NOISE_SD = 0.04
MIN_COLOUR_DISTANCE = 0.3
MIN_TRIANGLE_AREA = 150.0
CLASSES = ("background", "disc", "rectangle", "triangle")
SCENE_STREAM = 1
NOISE_STREAM = 2
MASK = 0xFFFFFFFF


def hash32(x):
    """lowbias32 (Chris Wellons) on Python ints or uint64 arrays holding uint32 values."""
    x = x & MASK
    x ^= x >> 16
    x = (x * 0x7FEB352D) & MASK
    x ^= x >> 15
    x = (x * 0x846CA68B) & MASK
    x ^= x >> 16
    return x


def stream_key(seed, stream):
    return hash32((seed & MASK) ^ hash32(stream))


def uniforms(key, first, count):
    """Draws first .. first+count-1 of a stream as float64 in (0, 1)."""
    k = np.arange(first, first + count, dtype=np.uint64)
    key64 = np.uint64(key)
    h = hash32((hash32(k ^ key64) + key64) & np.uint64(MASK))
    return (h.astype(np.float64) + 0.5) / 4294967296.0


class SceneRandom:
    """Sequential uniform draws from the scene stream of one seed."""

    def __init__(self, seed):
        self.key = stream_key(seed, SCENE_STREAM)
        self.counter = 0

    def uniform(self):
        h = hash32(hash32(self.counter ^ self.key) + self.key)
        self.counter += 1
        return (h + 0.5) / 4294967296.0


def colour_distance(a, b):
    return max(abs(a[i] - b[i]) for i in range(3))


def draw_scene(seed):
    """The scene's parameters for a seed, as plain Python data (also written into sample metadata)."""
    rnd = SceneRandom(seed)
    c0 = [rnd.uniform() for _ in range(3)]
    c1 = [rnd.uniform() for _ in range(3)]
    angle = 2.0 * math.pi * rnd.uniform()
    count = 2 + min(4, int(rnd.uniform() * 5))
    shapes = []
    for _ in range(count):
        kind = min(2, int(rnd.uniform() * 3))
        for _ in range(10000):
            colour = [rnd.uniform() for _ in range(3)]
            if colour_distance(colour, c0) >= MIN_COLOUR_DISTANCE and colour_distance(colour, c1) >= MIN_COLOUR_DISTANCE:
                break
        else:
            raise RuntimeError(f"shapes: no colour found for seed {seed}")
        cx = SIZE * rnd.uniform()
        cy = SIZE * rnd.uniform()
        if kind == 0:
            shape = {"kind": "disc", "centre": [cx, cy], "radius": 8.0 + 16.0 * rnd.uniform()}
        elif kind == 1:
            width = 12.0 + 28.0 * rnd.uniform()
            height = 12.0 + 28.0 * rnd.uniform()
            shape = {"kind": "rectangle", "centre": [cx, cy], "size": [width, height]}
        else:
            for _ in range(10000):
                vertices = [[cx + 48.0 * rnd.uniform() - 24.0, cy + 48.0 * rnd.uniform() - 24.0] for _ in range(3)]
                if triangle_area(vertices) >= MIN_TRIANGLE_AREA:
                    break
            else:
                raise RuntimeError(f"shapes: no triangle found for seed {seed}")
            shape = {"kind": "triangle", "centre": [cx, cy], "vertices": vertices}
        shape["label"] = kind + 1
        shape["colour"] = colour
        shapes.append(shape)
    return {"seed": seed, "colours": [c0, c1], "angle": angle, "shapes": shapes}


def triangle_area(v):
    return abs((v[1][0] - v[0][0]) * (v[2][1] - v[0][1]) - (v[2][0] - v[0][0]) * (v[1][1] - v[0][1])) / 2.0


def shape_mask(shape, px, py):
    """Whether pixel centres (px, py) lie in the shape, edges included."""
    kind = shape["kind"]
    cx, cy = shape["centre"]
    if kind == "disc":
        dx = px - cx
        dy = py - cy
        r = shape["radius"]
        return dx * dx + dy * dy <= r * r
    if kind == "rectangle":
        w, h = shape["size"]
        return (np.abs(px - cx) <= w / 2.0) & (np.abs(py - cy) <= h / 2.0)
    (x0, y0), (x1, y1), (x2, y2) = shape["vertices"]
    e0 = (x1 - x0) * (py - y0) - (y1 - y0) * (px - x0)
    e1 = (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)
    e2 = (x0 - x2) * (py - y2) - (y0 - y2) * (px - x2)
    return ((e0 >= 0) & (e1 >= 0) & (e2 >= 0)) | ((e0 <= 0) & (e1 <= 0) & (e2 <= 0))


def render(scene, noise=True):
    """The image (float32 [3,128,128]) and labels (uint8 [128,128]) of a scene."""
    centres = np.arange(SIZE, dtype=np.float64) + 0.5
    px = centres[None, :]
    py = centres[:, None]
    c0 = np.array(scene["colours"][0])
    c1 = np.array(scene["colours"][1])
    dx = math.cos(scene["angle"])
    dy = math.sin(scene["angle"])
    half_extent = (SIZE / 2.0) * (abs(dx) + abs(dy))
    t = 0.5 + ((px - SIZE / 2.0) * dx + (py - SIZE / 2.0) * dy) / (2.0 * half_extent)
    image = c0[:, None, None] + (c1 - c0)[:, None, None] * t[None, :, :]
    labels = np.zeros((SIZE, SIZE), dtype=np.uint8)
    for shape in scene["shapes"]:
        inside = shape_mask(shape, px, py)
        labels[inside] = shape["label"]
        image[:, inside] = np.array(shape["colour"])[:, None]
    if noise:
        count = 3 * SIZE * SIZE
        u = uniforms(stream_key(scene["seed"], NOISE_STREAM), 0, 2 * count)
        normal = np.sqrt(-2.0 * np.log(u[0::2])) * np.cos(2.0 * math.pi * u[1::2])
        image = np.clip(image + NOISE_SD * normal.reshape(3, SIZE, SIZE), 0.0, 1.0)
    return image.astype(np.float32), labels


def generate(seed, noise=True):
    scene = draw_scene(seed)
    image, labels = render(scene, noise)
    return image, labels, scene


def image_seed(base, index):
    """The seed of image `index` of a data set: distinct data sets for distinct bases."""
    return hash32((hash32(base) + index * 0x9E3779B9) & MASK)


if __name__ == "__main__":
    import json

    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    image, labels, scene = generate(seed)
    print(json.dumps(scene, indent=1))
    print("label counts:", np.bincount(labels.ravel(), minlength=4).tolist())
