"""2-D point data: the standard Gaussian-mixture benchmarks and any user point file.

ring8:  8 Gaussians on the unit circle at angles 2*pi*i/8, std 0.01 (Metz et al. 2017 protocol
        as used by VEEGAN and PacGAN).
grid25: 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from ..config import DataConfig
from ..errors import DataError
from ..registry import DATASETS
from .dataset import DataReport, InMemoryDataset

POINT_SUFFIXES = (".npy", ".csv")


def ring8_means() -> np.ndarray:
    angles = 2 * math.pi * np.arange(8) / 8
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid25_means() -> np.ndarray:
    axis = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    return np.array([(x, y) for x in axis for y in axis])


MIXTURES = {"ring8": (ring8_means, 0.01), "grid25": (grid25_means, 0.05)}


def mixture_points(name: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    means_fn, std = MIXTURES[name]
    means = means_fn()
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(means), size=n)
    points = means[labels] + std * rng.standard_normal((n, 2))
    return points.astype(np.float32), labels


def _mixture(name: str):
    def load(config: DataConfig, image_size: int | None = None) -> InMemoryDataset:
        n = config.size or 100_000
        seed = config.seed + (1 if config.split == "test" else 0)
        points, labels = mixture_points(name, n, seed)
        report = DataReport(name=name, count=n)
        return InMemoryDataset(torch.from_numpy(points), torch.from_numpy(labels), [], report)

    return load


DATASETS.register("ring8")(_mixture("ring8"))
DATASETS.register("grid25")(_mixture("grid25"))


def load_point_file(path: Path, config: DataConfig) -> InMemoryDataset:
    """A (N, D) array from .npy, or a CSV of numbers (a header line is allowed)."""
    try:
        if path.suffix.lower() == ".npy":
            array = np.load(path, allow_pickle=False)
        else:
            try:
                array = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
            except ValueError:
                array = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2, skiprows=1)
    except (OSError, ValueError) as error:
        raise DataError(f"cannot read points from {path}: {error}") from None
    if array.ndim != 2 or array.shape[0] < 2 or not np.issubdtype(array.dtype, np.number):
        raise DataError(f"{path} must hold an (N, D) numeric array of points, got {array.shape}")
    if array.shape[1] != 2:  # the 2-D models, plots and mode-coverage metrics take (x, y)
        raise DataError(
            f"{path} holds points with {array.shape[1]} columns; a points file has 2 (x, y)"
        )
    finite = np.isfinite(array).all(axis=1)
    skipped = int((~finite).sum())
    array = array[finite]
    if len(array) < 2:
        raise DataError(
            f"{path} has {len(array)} usable point(s): {skipped} of {len(finite)} rows hold NaN "
            "or infinite values"
        )
    if config.limit:
        array = array[: config.limit]
    report = DataReport(name=path.name, count=len(array), skipped=skipped)
    if skipped:
        report.notes.append(f"{skipped} rows with NaN or infinite values skipped")
    return InMemoryDataset(torch.from_numpy(array.astype(np.float32)), None, [], report)
