"""Per-class scores of a class-conditional model for ``artgan eval``: does style X look like X?

- intra-FID (metrics/per_class.py) in the evaluation's feature space: the generated images
  (``artgan eval`` draws class ``i % K`` for sample ``i``) against the held-out real images of
  the same class; its floor is the training split against the held-out split, class by class.
- class accuracy: the share of generated images that ``classifier:<the run's data>`` assigns to
  the class they were asked for; its floor is the classifier's accuracy on held-out real images.
"""

from __future__ import annotations

import dataclasses

import torch

from ..data import load_dataset
from ..errors import DataError
from ..registry import DATASETS
from .extractors import get_extractor
from .feature_cache import cached_features
from .per_class import class_accuracy, intra_fid


def labelled_split(config, size: int, split: str):
    """uint8 images and labels of one split of the run's data."""
    data = load_dataset(dataclasses.replace(config, split=split, limit=0), size)
    if getattr(data, "y", None) is None:
        raise DataError(f"{config.source} has no labels, so per-class scores cannot be computed")
    return data.x.cpu(), data.y.cpu(), list(data.class_names)


def per_class_scores(model, config, opts: dict, extractor, fake, f_fake) -> tuple[dict, dict]:
    """(metrics, floor) entries ``intra_fid`` and ``class_accuracy`` for a conditional model.
    ``fake`` (N, C, H, W) uint8 were drawn with class ``i % K``; ``f_fake`` their features."""
    names = model.class_names
    k = len(names)
    wanted = torch.arange(len(fake)) % k
    size = model.config.image_size
    if config.source in DATASETS or config.held_out_fraction > 0:
        x_train, y_train, data_names = labelled_split(config, size, "train")
        x_held, y_held, _ = labelled_split(config, size, "test")
    else:  # no held-out part: two disjoint halves, seeded (as the rest of eval does)
        x, y, data_names = labelled_split(config, size, "train")
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(config.seed))
        half = len(order) // 2
        x_train, y_train = x[order[:half]], y[order[:half]]
        x_held, y_held = x[order[half:]], y[order[half:]]
    if data_names != names:
        raise DataError(
            f"the model's classes ({', '.join(names)}) differ from those of {config.source} "
            f"({', '.join(data_names)}); evaluate on the data it was trained on"
        )
    per_class = max(2, len(fake) // k)
    ref_idx = _per_class(y_held, k, per_class, opts["seed"])
    train_idx = _per_class(y_train, k, per_class, opts["seed"] + 1)
    f_held = cached_features(extractor, x_held[ref_idx])
    f_train = cached_features(extractor, x_train[train_idx])
    model_fid = intra_fid(f_held, y_held[ref_idx], f_fake, wanted, names)
    floor_fid = intra_fid(f_held, y_held[ref_idx], f_train, y_train[train_idx], names)

    classifier = get_extractor(f"classifier:{config.source}", device=opts["device"])
    model_acc = class_accuracy(classifier.logits(fake), wanted, names)
    floor_acc = class_accuracy(classifier.logits(x_held[ref_idx]), y_held[ref_idx], names)

    def entry(fid, acc) -> dict:
        return {
            "intra_fid": {"mean": fid.mean, "per_class": fid.per_class},
            "class_accuracy": {
                "accuracy": acc.accuracy,
                "per_class": acc.per_class,
                "classifier": classifier.name,
            },
        }

    return entry(model_fid, model_acc), entry(floor_fid, floor_acc)


def _per_class(y: torch.Tensor, k: int, n: int, seed: int) -> torch.Tensor:
    """Indices of up to ``n`` items of each of the ``k`` classes (seeded pick)."""
    g = torch.Generator().manual_seed(seed)
    picks = []
    for c in range(k):
        members = torch.nonzero(y == c)[:, 0]
        picks.append(members[torch.randperm(len(members), generator=g)[:n]])
    return torch.cat(picks)
