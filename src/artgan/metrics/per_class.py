"""Does style X look like X? Metrics of class-conditional generators, over features and labels.

- Intra-FID (Miyato & Koyama 2018, "cGANs with Projection Discriminator", section 5): the FID
  between real and generated images *of each class* (features of both, split by label), and
  its mean over classes. A generator that draws good images of the wrong class has a low FID
  but a high intra-FID.
- Class accuracy ("classification accuracy score"-style, Ravuri & Vinyals 2019 measure the
  reverse direction): the share of generated images that a classifier trained on real data
  assigns to the class they were asked for, overall and per class, with the confusion matrix.

Pure functions of arrays: features (N, D) from any extractor, labels (N,) ints, classifier
outputs as labels (N,) or scores (N, K). The caller names the extractor and classifier.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from ..errors import DataError
from .functional import fid_from_features

MIN_PER_CLASS = 2  # a covariance needs two samples; use hundreds for a trustworthy FID


class IntraFID(NamedTuple):
    per_class: dict[str, float]  # class name -> FID within the class
    mean: float  # mean over classes (the intra-FID)
    counts: dict[str, tuple[int, int]]  # class name -> (real, generated) samples used


class ClassAccuracy(NamedTuple):
    accuracy: float  # share of samples classified as the class they were asked for
    per_class: dict[str, float]
    confusion: np.ndarray  # (K, K): row = requested class, column = predicted class


def _labels(y, name: str, n: int) -> np.ndarray:
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise DataError(f"{name} must be a vector of {n} class labels, got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{name} must be integer class labels, got {y.dtype}")
    return y.astype(np.int64)


def _names(class_names, labels: list[np.ndarray]) -> list[str]:
    if class_names is not None:
        return [str(c) for c in class_names]
    k = max((int(y.max()) + 1 for y in labels if len(y)), default=0)
    return [str(i) for i in range(k)]


def intra_fid(real_features, real_labels, fake_features, fake_labels, class_names=None) -> IntraFID:
    """FID per class between real and generated features, and the mean over classes. Every
    class (all of ``class_names``, or every label present) needs at least two samples of each."""
    real = np.asarray(
        real_features.cpu() if isinstance(real_features, torch.Tensor) else real_features
    )
    fake = np.asarray(
        fake_features.cpu() if isinstance(fake_features, torch.Tensor) else fake_features
    )
    if real.ndim != 2 or fake.ndim != 2:
        raise DataError("features must be 2-D arrays (N, D)")
    yr = _labels(real_labels, "real labels", len(real))
    yf = _labels(fake_labels, "generated labels", len(fake))
    names = _names(class_names, [yr, yf])
    per_class, counts = {}, {}
    for k, name in enumerate(names):
        a, b = real[yr == k], fake[yf == k]
        if len(a) < MIN_PER_CLASS or len(b) < MIN_PER_CLASS:
            raise DataError(
                f"class {name!r} has {len(a)} real and {len(b)} generated samples; intra-FID "
                f"needs at least {MIN_PER_CLASS} of each per class (hundreds for a stable value)"
            )
        per_class[name] = fid_from_features(a, b)
        counts[name] = (len(a), len(b))
    if not per_class:
        raise DataError("intra-FID needs at least one class")
    return IntraFID(per_class, float(np.mean(list(per_class.values()))), counts)


def class_accuracy(predicted, requested, class_names=None, num_classes: int = 0) -> ClassAccuracy:
    """How often the classifier's prediction for a generated sample is the requested class.
    ``predicted``: labels (N,) or scores/logits/probabilities (N, K) (argmax is taken)."""
    if isinstance(predicted, torch.Tensor):
        predicted = predicted.detach().cpu().numpy()
    predicted = np.asarray(predicted)
    if predicted.ndim == 2:
        num_classes = max(num_classes, predicted.shape[1])
        predicted = predicted.argmax(axis=1)
    n = len(predicted)
    if n == 0:
        raise DataError("class accuracy needs at least one sample")
    pred = _labels(predicted, "predicted labels", n)
    want = _labels(requested, "requested labels", n)
    names = _names(class_names, [pred, want])
    k = max(len(names), num_classes, int(pred.max()) + 1, int(want.max()) + 1)
    names += [str(i) for i in range(len(names), k)]
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (want, pred), 1)
    per_class = {
        names[c]: float(confusion[c, c] / confusion[c].sum())
        for c in range(k)
        if confusion[c].sum()
    }
    return ClassAccuracy(float((pred == want).mean()), per_class, confusion)
