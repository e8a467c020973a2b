"""Trains the "shapes" SegNet on the CPU from freshly generated images, then evaluates it.

Usage (from the repository root; 10-30 minutes on two CPU cores, depending on their load):
    python3 models/training/train.py                       # writes models/training/segnet-shapes.pt
    python3 models/training/train.py --steps 300 --out /tmp/quick.pt   # a quick smoke run

Every step draws a new batch (image_seed(TRAIN_BASE, i), shapes.py), so there is no epoch and no
over-fitting to a fixed set. Loss: cross-entropy weighted by median frequency balancing (as in the
SegNet paper) softened by an exponent (--balance, 0.25): full balancing (1) gives rare classes a
weight so large that the model paints them over the background at every edge, which costs IoU.
Class frequencies are measured on the first 512 training images. Adam with a one-cycle
learning rate. Seeded: the same arguments give the same weights on the same PyTorch build and thread
count. At the end the model is evaluated on EVAL_IMAGES images of a different base seed and the
metrics are written next to the checkpoint (metrics.json), unless --no-eval.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import EVAL_BASE, EVAL_IMAGES, TRAIN_BASE, batch, confusion, iou_report
from model import SegNet

HERE = os.path.dirname(os.path.abspath(__file__))


def class_weights(exponent, num_images=512):
    """Median frequency balancing (median frequency / class frequency), raised to `exponent`."""
    _, labels = batch(TRAIN_BASE, 0, num_images)
    freq = np.bincount(labels.ravel(), minlength=4) / labels.size
    return torch.tensor((np.median(freq) / freq) ** exponent, dtype=torch.float32), freq


@torch.no_grad()
def evaluate(net, base=EVAL_BASE, count=EVAL_IMAGES, chunk=20):
    net.eval()
    conf = np.zeros((4, 4), dtype=np.int64)
    for first in range(0, count, chunk):
        images, labels = batch(base, first, min(chunk, count - first))
        pred = net(torch.from_numpy(images)).argmax(1).numpy()
        conf += confusion(pred, labels)
    return iou_report(conf), conf


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1600)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--balance", type=float, default=0.25, help="exponent of median frequency balancing")
    parser.add_argument("--seed", type=int, default=0, help="seeds the weight initialisation")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=os.path.join(HERE, "segnet-shapes.pt"))
    parser.add_argument("--no-eval", action="store_true")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    net = SegNet()
    weights, freq = class_weights(args.balance)
    print(f"class frequencies {np.round(freq, 4).tolist()}, loss weights {np.round(weights.numpy().astype(float), 3).tolist()}")
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.15)
    start = time.time()
    running = None
    for step in range(args.steps):
        net.train()
        images, labels = batch(TRAIN_BASE, step * args.batch, args.batch)
        logits = net(torch.from_numpy(images))
        loss = F.cross_entropy(logits, torch.from_numpy(labels), weight=weights)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if (step + 1) % 100 == 0 or step + 1 == args.steps:
            print(f"step {step + 1}/{args.steps} loss {running:.4f} lr {sched.get_last_lr()[0]:.2e} {time.time() - start:.0f}s", flush=True)
    train_seconds = time.time() - start
    torch.save({"state_dict": net.state_dict(), "channels": list(net.channels),
                "convs_per_level": net.convs_per_level, "args": vars(args)}, args.out)
    print(f"saved {args.out} after {train_seconds:.0f}s")
    if args.no_eval:
        return
    report, conf = evaluate(net)
    report.update({
        "evaluated_on": f"{EVAL_IMAGES} images, seeds image_seed({EVAL_BASE}, 0..{EVAL_IMAGES - 1}); training used base {TRAIN_BASE}",
        "framework": f"PyTorch {torch.__version__}",
        "confusion_true_by_predicted": conf.tolist(),
        "training": {"steps": args.steps, "batch": args.batch, "images_seen": args.steps * args.batch,
                     "lr": args.lr, "seed": args.seed, "threads": args.threads,
                     "seconds": round(train_seconds), "parameters": sum(p.numel() for p in net.parameters())},
    })
    print(json.dumps(report, indent=1))
    with open(os.path.join(os.path.dirname(args.out), "metrics.json" if args.out.endswith("segnet-shapes.pt") else os.path.basename(args.out) + ".metrics.json"), "w") as f:
        json.dump({"pytorch": report}, f, indent=1)


if __name__ == "__main__":
    main()
