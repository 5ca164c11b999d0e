"""The originality guard: never hand out a near-copy of a training image.

At sampling time each generated image is compared with every training image in pixels
(root-mean-square difference in 0-255 levels, :mod:`artgan.metrics.memorization`). A sample
closer to its nearest training image than the calibrated near-copy threshold is rejected and
redrawn from fresh latents. The threshold is the evaluation's memorization threshold: the
distance that only ``quantile`` (1 %) of real held-out images come within (the data's test
split; without one, half the training data is held out for calibration, and samples are still
compared with all of it). Every written file's record says the guard ran, its distance, the
threshold, and how many redraws its slot took.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .errors import ArtganError, DataError
from .metrics.evaluate import data_config, load_real
from .metrics.memorization import DEFAULT_QUANTILE, calibrate_threshold, nearest_neighbours
from .sample import quantize

MAX_ROUNDS = 10  # redraw rounds before giving up on a slot
REDRAW_SEED_STRIDE = 1_000_003  # round r draws with seed + r * stride


@dataclass(frozen=True)
class NearCopyGuard:
    train: torch.Tensor  # (N, C, H, W) uint8: every training image
    threshold: float  # RMS levels: a sample at or below this distance is a near-copy
    quantile: float
    held_out: str  # where the calibration images came from

    def distances(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """RMS distance (levels) of uint8 images (B, C, H, W) to their nearest training image,
        and that image's index."""
        if tuple(images.shape[1:]) != tuple(self.train.shape[1:]):
            raise DataError(
                f"generated images {tuple(images.shape[1:])} and training images "
                f"{tuple(self.train.shape[1:])} differ in shape"
            )
        query = images.reshape(len(images), -1)  # (B, C*H*W)
        reference = self.train.reshape(len(self.train), -1)  # (N, C*H*W)
        nearest = nearest_neighbours(query, reference)
        return nearest.distance / float(query.shape[1]) ** 0.5, nearest.index

    def describe(self) -> dict:
        return {
            "space": "pixels (RMS levels)",
            "threshold": round(self.threshold, 4),
            "quantile": self.quantile,
            "held_out": self.held_out,
            "training_images": len(self.train),
        }


def calibrate(
    train: torch.Tensor,
    held_out: torch.Tensor,
    quantile: float = DEFAULT_QUANTILE,
    reference: torch.Tensor | None = None,
    held_out_kind: str = "held-out images",
) -> NearCopyGuard:
    """A guard whose threshold is the ``quantile`` of held-out-to-``train`` distances; samples
    are later compared with ``reference`` (default: ``train``). uint8 (N, C, H, W)."""
    scale = float(train[0].numel()) ** 0.5
    rows = train.reshape(len(train), -1)  # (N, C*H*W)
    threshold = calibrate_threshold(rows, held_out.reshape(len(held_out), -1), quantile) / scale
    return NearCopyGuard(
        reference if reference is not None else train, threshold, quantile, held_out_kind
    )


def guard_for_model(model, quantile: float = DEFAULT_QUANTILE) -> NearCopyGuard:
    """The guard for an image model, from the data its run was trained on."""
    if model.output_kind != "image":
        raise ArtganError(
            f"--originality-guard compares images with training images; {model.name} makes "
            f"{model.output_kind}"
        )
    config = data_config(model, None)
    train, held, kind, halves = load_real(model, config)
    if halves is not None:  # no held-out split: ``train`` and ``held`` are the two halves
        return calibrate(train, held, quantile, torch.cat([train, held]), kind)
    return calibrate(train, held, quantile, None, kind)


@dataclass
class GuardedSample:
    image: torch.Tensor  # (C, H, W) uint8
    seed: int  # the seed of the batch it came from
    index: int  # its index in that batch
    distance: float  # RMS levels to the nearest training image
    nearest: int  # that training image's index
    redraws: int  # rounds this slot was redrawn


def guarded_sample(
    draw: Callable[[int], torch.Tensor], n: int, seed: int, guard: NearCopyGuard
) -> tuple[list[GuardedSample | None], int]:
    """Draw ``n`` uint8 images with ``draw(seed) -> (n, C, H, W)``; redraw every slot holding
    a near-copy, from seed + r * stride in round r, keeping slot i at batch index i (so a
    class-conditional slot keeps its class). Returns the samples (None for a slot still a
    near-copy after MAX_ROUNDS) and the number of rejected draws."""
    slots: list[GuardedSample | None] = [None] * n
    rejected = 0
    for round_ in range(MAX_ROUNDS + 1):
        todo = [i for i in range(n) if slots[i] is None]
        if not todo:
            break
        round_seed = seed + round_ * REDRAW_SEED_STRIDE
        images = draw(round_seed)
        distance, nearest = guard.distances(images[todo])
        for k, i in enumerate(todo):
            if float(distance[k]) <= guard.threshold:
                rejected += 1
                continue
            slots[i] = GuardedSample(
                images[i], round_seed, i, float(distance[k]), int(nearest[k]), round_
            )
    return slots, rejected


def guard_params(guard: NearCopyGuard, sample: GuardedSample) -> dict:
    """What a file's record says about the guard."""
    return {
        "originality_guard": {
            "ran": True,
            **guard.describe(),
            "distance": round(sample.distance, 4),
            "redraws": sample.redraws,
            "drawn_with_seed": sample.seed,
            "batch_index": sample.index,
        }
    }


def sample_originals(model, n: int, seed: int, guard: NearCopyGuard, **options):
    """``n`` images from ``model`` none of which is a near-copy: (uint8 (m, C, H, W) with
    m <= n, the record parameters of each, the number of rejected draws). m < n only when some
    slots stayed near-copies through every redraw."""
    slots, rejected = guarded_sample(
        lambda s: quantize(model.sample(n, seed=s, **options)), n, seed, guard
    )
    kept = [s for s in slots if s is not None]
    if not kept:
        return torch.empty((0, *guard.train.shape[1:]), dtype=torch.uint8), [], rejected
    return torch.stack([s.image for s in kept]), [guard_params(guard, s) for s in kept], rejected


def summary_params(guard: NearCopyGuard, params: list[dict], rejected: int) -> dict:
    """The guard's record for a file holding several samples (a grid)."""
    distances = [p["originality_guard"]["distance"] for p in params]
    return {
        "originality_guard": {
            "ran": True,
            **guard.describe(),
            "distance": min(distances) if distances else None,  # the closest sample's
            "rejected": rejected,
        }
    }
