"""Shared pieces of the training scripts: data sets by seed, batches, and the IoU metrics.

Data sets are disjoint by construction: image i of the set with base b has seed image_seed(b, i)
(shapes.py), and the bases below are distinct.
"""
import numpy as np

from shapes import CLASSES, generate, image_seed

TRAIN_BASE = 1
EVAL_BASE = 2
SAMPLE_BASE = 3
EVAL_IMAGES = 200


def batch(base, first, count):
    images = np.empty((count, 3, 128, 128), dtype=np.float32)
    labels = np.empty((count, 128, 128), dtype=np.int64)
    for j in range(count):
        images[j], labels[j], _ = generate(image_seed(base, first + j))
    return images, labels


def confusion(pred, labels, num_classes=len(CLASSES)):
    """Confusion matrix [true, predicted] summed over all pixels."""
    return np.bincount(labels.ravel().astype(np.int64) * num_classes + pred.ravel().astype(np.int64),
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def iou_report(conf):
    """Per-class IoU over the whole data set's pixels (TP / (TP + FP + FN)) and their mean."""
    tp = np.diag(conf).astype(np.float64)
    union = conf.sum(0) + conf.sum(1) - tp
    iou = tp / np.maximum(union, 1)
    return {
        "mean_iou": float(iou.mean()),
        "per_class_iou": {name: float(v) for name, v in zip(CLASSES, iou)},
        "pixel_accuracy": float(tp.sum() / conf.sum()),
    }
