"""``artgan.evaluate_folder``: score a folder of images made by any tool against real data,
with the same metrics, extractor, loader and real-vs-real floor as ``artgan eval RUN``, so a
model trained elsewhere (an anchor in a side-by-side comparison) is measured exactly alike.

The samples folder is read by the image-folder loader (header checks, unreadable files skipped,
counted and named); every image is centre-cropped square and resized to ``size`` (default: the
shorter side of the first sample), as the reference is. The reference and held-out images come
from the data as in evaluate.py (its test split, else two seeded halves).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PIL import Image

from ..config import DataConfig
from ..data import check_source, load_dataset
from ..data.dataset import InMemoryDataset
from ..data.files import find_images
from ..devices import select_device
from ..errors import ConfigError, DataError
from .evaluate import DEFAULT_N, checked_names, pick, reference_and_held_out, score_pair
from .extractors import get_extractor
from .feature_cache import cached_features

FOLDER_METRICS = ("fid", "kid", "pr", "dc")


def folder_metrics(metrics) -> list[str]:
    """The metric names asked for (comma string or list), among those a folder supports."""
    if not metrics:
        return list(FOLDER_METRICS)
    return checked_names(metrics, FOLDER_METRICS, "a samples folder")


def first_image_side(folder: Path) -> int:
    """The shorter side of the first image in ``folder`` (from its header)."""
    for path in find_images(folder):
        try:
            with Image.open(path) as image:
                return min(image.size)
        except (OSError, ValueError):
            continue  # unreadable: the loader skips and counts it
    raise DataError(f"no readable image in {folder}")


def load_images(source: str, size: int, what: str) -> InMemoryDataset:
    """An image folder (or built-in dataset) in memory as RGB, or a one-line error."""
    data = load_dataset(DataConfig(source=source, color="rgb"), size)
    if not isinstance(data, InMemoryDataset) or data.x.dim() != 4:
        raise DataError(f"{what} {source} is not a folder of images small enough to score")
    return data


def evaluate_folder(
    samples: str,
    data: str,
    metrics=None,
    n: int | None = None,
    size: int | None = None,
    features: str = "efficientnet-lite0",
    seed: int = 0,
    device: str = "cpu",
) -> dict:
    """Score the images in folder ``samples`` against the real data ``data`` (a folder or a
    built-in dataset); returns the same entry ``evaluate`` does (nothing is saved)."""
    folder = Path(samples).expanduser()
    if not folder.is_dir():
        raise DataError(f"samples folder not found: {samples}")
    if not data:
        raise ConfigError("--samples needs --data: the real images to compare with")
    if n is not None and n < 1:
        raise ConfigError(f"n must be at least 1, got {n}")
    if size is not None and size < 8:
        raise ConfigError(f"size must be at least 8 px, got {size}")
    names = folder_metrics(metrics)
    device = str(select_device(device))
    started = dt.datetime.now(dt.timezone.utc)
    check_source(data)
    size = size or first_image_side(folder)
    real = load_images(data, size, "data")  # a bad --data fails before the samples load
    fake_data = load_images(str(folder), size, "samples")
    config = DataConfig(source=data, color="rgb")
    reference_all, held_all, held_kind, _ = reference_and_held_out(real, config, size)
    n = min(n or DEFAULT_N, len(fake_data), len(reference_all), len(held_all))
    if n < 6:
        raise DataError(
            f"scoring needs at least 6 images in the samples and in each real split, got {n} "
            f"(samples {len(fake_data)}, reference {len(reference_all)}, held-out {len(held_all)})"
        )
    reference, held = pick(reference_all, n, seed), pick(held_all, n, seed + 1)
    fake = pick(fake_data.x, n, seed + 2)
    extractor = get_extractor(features, device=device)
    f_ref, f_held = cached_features(extractor, reference), cached_features(extractor, held)
    f_fake = extractor(fake)
    skipped = {"samples": fake_data.report.skipped, "data": real.report.skipped}
    notes = [f"skipped unreadable files: {k} {v}" for k, v in skipped.items() if v]
    return {
        "time": started.isoformat(timespec="seconds"),
        "seconds": round((dt.datetime.now(dt.timezone.utc) - started).total_seconds(), 1),
        "run": str(folder),
        "step": "n/a",
        "family": "images from a folder",
        "seed": seed,
        "metrics_asked": names,
        "n": {"generated": n, "reference": n, "held_out": n},
        "size": size,
        "skipped": skipped,
        "data": {"source": data, "reference": "train split", "held_out": held_kind},
        "extractor": {"name": extractor.name, "version": extractor.version, "dim": extractor.dim},
        "metrics": score_pair(f_ref, f_fake, names),
        "floor": score_pair(f_ref, f_held, names),
        "notes": notes,
    }


__all__ = ["FOLDER_METRICS", "evaluate_folder"]
