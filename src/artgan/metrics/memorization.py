"""Memorization: does a model hand back its training images?

For every generated sample, its nearest training image, in a feature space and in pixels. A
sample is a *near-copy* when it is at least as close to a training image as only a small share
(``quantile``, 1 % by default) of genuinely new images of the same data get: the threshold is
that quantile of the distances from real held-out images to their nearest training image
(:func:`calibrate_threshold`). A model that draws new images from the data distribution then
has a near-copy rate of about ``quantile``; one that replays its training set approaches 1.
The same test on features is the "authenticity" idea of Alaa et al. 2022 ("How Faithful is
your Synthetic Data?") and the copy detection of Meehan et al. 2020; calibrating on held-out
data makes the threshold mean the same thing on any dataset and extractor.

Distances are Euclidean: on feature vectors as the extractor gives them, and on pixels as the
root-mean-square difference in 0-255 levels (images of the same size and channels).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from ..errors import DataError
from ..sample import grid_pixels

DEFAULT_QUANTILE = 0.01
BLOCK_ELEMENTS = 1 << 21  # float64 elements of one block of rows (16 MiB)


class Neighbours(NamedTuple):
    index: torch.Tensor  # (N,) int64: row of the reference nearest to each query row
    distance: torch.Tensor  # (N,) float64 Euclidean distance to it


class SpaceReport(NamedTuple):
    """Near-copy analysis of one space (features or pixels)."""

    nearest: Neighbours  # of each generated sample among the training set
    threshold: float  # calibrated on held-out images
    rate: float  # fraction of generated samples with distance <= threshold
    held_out_rate: float  # the same fraction for the held-out images (about ``quantile``)
    quantile: float


def _rows(x, name: str) -> torch.Tensor:
    """(N, D) tensor of any real dtype (numpy accepted), checked; not converted (yet)."""
    t = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.asarray(x))
    if t.ndim != 2 or len(t) == 0:
        raise DataError(f"{name} must be a non-empty 2-D array (N, D), got {tuple(t.shape)}")
    if t.is_floating_point() and not torch.isfinite(t).all():
        raise DataError(f"{name} contain NaN or infinite values")
    if t.dtype == torch.bool or t.is_complex():
        raise DataError(f"{name} must be real numbers, got {t.dtype}")
    return t.detach()


def nearest_neighbours(query, reference) -> Neighbours:
    """The nearest row of ``reference`` (M, D) to every row of ``query`` (N, D): indices and
    Euclidean distances. Any real dtype (uint8 pixels too); computed in float64 on the query's
    device, in blocks of both sets, so memory stays bounded for large pixel rows."""
    q = _rows(query, "query rows")
    r = _rows(reference, "reference rows").to(q.device)
    if q.shape[1] != r.shape[1]:
        raise DataError(f"rows differ in dimension: {q.shape[1]} vs {r.shape[1]}")
    block = max(1, BLOCK_ELEMENTS // q.shape[1])  # rows per block of either set
    index = torch.empty(len(q), dtype=torch.long, device=q.device)
    dist2 = torch.empty(len(q), dtype=torch.float64, device=q.device)
    for qs in range(0, len(q), block):
        qb = q[qs : qs + block].double()  # (b, D)
        best = torch.full((len(qb),), float("inf"), dtype=torch.float64, device=q.device)
        best_i = torch.zeros(len(qb), dtype=torch.long, device=q.device)
        q_sq = (qb * qb).sum(1, keepdim=True)
        for rs in range(0, len(r), block):
            rb = r[rs : rs + block].double()
            d2 = (q_sq + (rb * rb).sum(1) - 2.0 * qb @ rb.T).clamp_(min=0.0)  # (b, b')
            value, where = d2.min(dim=1)
            closer = value < best  # ties keep the earlier reference row
            best = torch.where(closer, value, best)
            best_i = torch.where(closer, where + rs, best_i)
        index[qs : qs + len(qb)], dist2[qs : qs + len(qb)] = best_i, best
    return Neighbours(index.cpu(), dist2.sqrt().cpu())


def calibrate_threshold(train, held_out, quantile: float = DEFAULT_QUANTILE) -> float:
    """The distance to the nearest training row that only ``quantile`` of the held-out rows
    (real data the model never saw) come within: closer than this is a near-copy."""
    if not 0.0 <= quantile < 1.0:
        raise DataError(f"the near-copy quantile must be in [0, 1), got {quantile}")
    distances = nearest_neighbours(held_out, train).distance.numpy()
    return float(np.quantile(distances, quantile))


def near_copy_rate(distances, threshold: float) -> float:
    """Share of ``distances`` at or below ``threshold`` (exact copies count at threshold 0)."""
    d = torch.as_tensor(distances, dtype=torch.float64)
    if d.numel() == 0:
        raise DataError("no distances to rate")
    return float((d <= threshold).double().mean())


def analyse(fake, train, held_out, quantile: float = DEFAULT_QUANTILE, scale: float = 1.0):
    """Near-copies of ``fake`` rows among ``train`` rows, calibrated on ``held_out`` rows.
    Distances are divided by ``scale`` (see :func:`pixel_rows`). Returns a SpaceReport."""
    if not 0.0 <= quantile < 1.0:
        raise DataError(f"the near-copy quantile must be in [0, 1), got {quantile}")
    held = nearest_neighbours(held_out, train).distance / scale
    threshold = float(np.quantile(held.numpy(), quantile))
    nearest = nearest_neighbours(fake, train)
    nearest = Neighbours(nearest.index, nearest.distance / scale)
    return SpaceReport(
        nearest=nearest,
        threshold=threshold,
        rate=near_copy_rate(nearest.distance, threshold),
        held_out_rate=near_copy_rate(held, threshold),
        quantile=quantile,
    )


def pixel_rows(images: torch.Tensor) -> tuple[torch.Tensor, float]:
    """uint8 images (N, C, H, W) -> rows (N, C*H*W) (a view, still uint8) and the scale that
    turns their Euclidean distance into the root-mean-square difference in 0-255 levels."""
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.ndim != 4:
        raise DataError("pixel distances need uint8 images (N, C, H, W)")
    rows = images.reshape(len(images), -1)  # (N, C*H*W)
    return rows, float(rows.shape[1]) ** 0.5


def closest_pairs(report: SpaceReport, count: int = 16) -> list[tuple[int, int, float]]:
    """The ``count`` generated samples nearest to a training image, closest first:
    (generated index, training index, distance)."""
    order = torch.argsort(report.nearest.distance)[:count]
    return [
        (int(i), int(report.nearest.index[i]), float(report.nearest.distance[i])) for i in order
    ]


def pair_sheet(
    fake: torch.Tensor, train: torch.Tensor, pairs: list[tuple[int, int, float]], columns: int = 8
) -> np.ndarray:
    """An image (H, W, C) uint8 of generated samples (upper row of each pair of rows) above
    their nearest training images (lower row). ``fake``, ``train``: uint8 (N, C, H, W)."""
    if not pairs:
        raise DataError("no pairs to show")
    if fake.shape[1:] != train.shape[1:]:
        raise DataError(
            f"generated {tuple(fake.shape[1:])} and training {tuple(train.shape[1:])} images "
            "differ in shape"
        )
    columns = min(columns, len(pairs))
    rows = []
    for start in range(0, len(pairs), columns):
        chunk = pairs[start : start + columns]
        for source, which in ((fake, 0), (train, 1)):
            row = source[[p[which] for p in chunk]]
            if len(row) < columns:  # white padding on the last row
                row = torch.cat([row, torch.full((columns - len(row), *row.shape[1:]), 255)])
            rows.append(row.to(torch.uint8))
    tiles = torch.cat(rows).float() / 127.5 - 1.0  # (rows * columns, C, H, W) in [-1, 1]
    return grid_pixels(tiles, columns=columns)


__all__ = [
    "DEFAULT_QUANTILE",
    "Neighbours",
    "SpaceReport",
    "analyse",
    "calibrate_threshold",
    "closest_pairs",
    "near_copy_rate",
    "nearest_neighbours",
    "pair_sheet",
    "pixel_rows",
]
