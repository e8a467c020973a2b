"""Writes the committed sample images and their golden outputs from ONNX Runtime's CPU provider.

Usage (from the repository root, after export.py; needs node and onnxruntime-node:
`npm install --no-save --ignore-scripts onnxruntime-node@1.30.0`):
    python3 models/training/golden.py [--model models/segnet-shapes.onnx] [--count 4]

For sample i (seed image_seed(SAMPLE_BASE, i), shapes.py) it writes into models/samples/:
    sample-i.image.f32    float32 little-endian [1, 3, 128, 128], the model input `image`
    sample-i.truth.u8     uint8 [128, 128], the generator's labels
    sample-i.logits.f32   float32 little-endian [1, 4, 128, 128], ONNX Runtime's `logits`
    sample-i.labels.u8    uint8 [128, 128], argmax over the classes of those logits (first maximum)
and models/samples/samples.json with each sample's seed, scene, files, per-class pixel counts and the
agreement of the golden labels with the truth, plus the PyTorch check (largest logit difference).
"""
import argparse
import json
import os

import numpy as np
import torch

from common import SAMPLE_BASE, confusion, iou_report
from export import HERE, ROOT, load, run_ort
from shapes import CLASSES, generate, image_seed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "segnet-shapes.onnx"))
    parser.add_argument("--checkpoint", default=os.path.join(HERE, "segnet-shapes.pt"))
    parser.add_argument("--out", default=os.path.join(ROOT, "models", "samples"))
    parser.add_argument("--count", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)

    seeds = [image_seed(SAMPLE_BASE, i) for i in range(args.count)]
    generated = [generate(seed) for seed in seeds]
    images = np.stack([g[0] for g in generated])
    logits = run_ort(args.model, images)
    with torch.no_grad():
        torch_logits = load(args.checkpoint)(torch.from_numpy(images)).numpy()
    samples = []
    for i, (seed, (image, truth, scene)) in enumerate(zip(seeds, generated)):
        name = f"sample-{i}"
        labels = logits[i].argmax(0).astype(np.uint8)
        files = {
            "image": f"{name}.image.f32",
            "truth": f"{name}.truth.u8",
            "logits": f"{name}.logits.f32",
            "labels": f"{name}.labels.u8",
        }
        image[None].astype("<f4").tofile(os.path.join(args.out, files["image"]))
        truth.tofile(os.path.join(args.out, files["truth"]))
        logits[i][None].astype("<f4").tofile(os.path.join(args.out, files["logits"]))
        labels.tofile(os.path.join(args.out, files["labels"]))
        report = iou_report(confusion(labels, truth))
        samples.append({
            "name": name,
            "seed": seed,
            "files": files,
            "pixel_counts": {"truth": np.bincount(truth.ravel(), minlength=4).tolist(),
                             "labels": np.bincount(labels.ravel(), minlength=4).tolist()},
            "pixel_accuracy_vs_truth": report["pixel_accuracy"],
            "max_abs_logit_difference_vs_pytorch": float(np.abs(logits[i] - torch_logits[i]).max()),
            "scene": scene,
        })
        print(f"{name}: seed {seed}, accuracy {report['pixel_accuracy']:.4f}, "
              f"|ORT - PyTorch| <= {samples[-1]['max_abs_logit_difference_vs_pytorch']:.2e}")
    manifest = {
        "model": "models/segnet-shapes.onnx",
        "runtime": "onnxruntime-node 1.30.0, CPU execution provider",
        "classes": list(CLASSES),
        "input": {"name": "image", "dims": [1, 3, 128, 128], "type": "float32"},
        "output": {"name": "logits", "dims": [1, 4, 128, 128], "type": "float32"},
        "samples": samples,
    }
    with open(os.path.join(args.out, "samples.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
