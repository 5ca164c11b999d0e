"""``artgan data export``: a labelled built-in dataset (``fashion-mnist-m``, ``fashion-mnist``,
``digits``, ``art``) written as an image folder with one sub-folder per class, the layout that
``artgan train``, ``artgan adapt --target`` and ``artgan eval --data`` read. ``labels.json``
maps the folder names back to the class names ("T-shirt/top" cannot be a folder name as it is).
Every file goes through the output point with a record of the dataset, split and index."""

from __future__ import annotations

import json
from pathlib import Path

from .atomic import atomic_write_text
from .config import DataConfig
from .data import load_dataset
from .data.dataset import InMemoryDataset
from .data.files import LABELS_FILE, folder_names
from .errors import ArtganError, DataError
from .provenance import GenerationRecord, write_image
from .registry import DATASETS
from .sample import check_folder_space


def export_labelled(
    name: str, out: str | Path, split: str = "train", limit: int = 0, seed: int = 0
) -> dict[str, int]:
    """Write ``name``'s ``split`` (at most ``limit`` images) into ``out/<class>/NNNNN.png``;
    returns the count per class folder."""
    if name not in DATASETS:
        raise DataError(f"no built-in dataset {name!r}; built-in: {', '.join(DATASETS.names())}")
    if split not in ("train", "test"):
        raise ArtganError(f"--split must be train or test, got {split!r}")
    if limit < 0:
        raise ArtganError("--limit must be >= 0")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ArtganError(f"{out} exists and is not an empty folder; choose a new folder")
    data = load_dataset(DataConfig(source=name, split=split, limit=limit, seed=seed))
    if not isinstance(data, InMemoryDataset) or data.kind != "image" or data.y is None:
        raise DataError(f"{name} is not a labelled image dataset")
    check_folder_space(len(data), out)
    folders = folder_names(data.class_names)
    record = GenerationRecord(
        model_family=f"dataset {name}",
        seed=seed,
        params={"command": "data export", "dataset": name, "split": split},
    )
    width = max(5, len(str(len(data) - 1)))
    counts = dict.fromkeys(folders, 0)
    for folder in folders:
        (out / folder).mkdir(parents=True, exist_ok=True)
    for i, (image, label) in enumerate(zip(data.x, data.y.tolist())):
        pixels = image.permute(1, 2, 0).contiguous().numpy()  # (H, W, C) uint8
        path = out / folders[label] / f"{i:0{width}d}.png"
        write_image(pixels, path, record.with_params(index=i))
        counts[folders[label]] += 1
    labels = {
        "classes": dict(zip(folders, data.class_names)),
        "dataset": name,
        "split": split,
        "seed": seed,
    }
    atomic_write_text(out / LABELS_FILE, json.dumps(labels, indent=2) + "\n")
    return counts
