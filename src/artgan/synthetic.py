"""Synthetic labelled data from a class-conditional model: an image folder with one subfolder
per class, the layout artgan (and most tools) read as labelled data, every file written through
the output point with its provenance record. ``labels.json`` maps folder names back to the
model's class names (a name like "T-shirt/top" cannot be a folder name as it is).

With a ``judge`` (synthetic_selection.ConfidenceJudge: a classifier trained on the real images),
``oversample`` times as many candidates are drawn per class and the most confident for their
asked class are kept; each file's provenance records its confidence."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from .atomic import atomic_write_text
from .data.files import LABELS_FILE, folder_names
from .errors import ArtganError
from .models.conditioning import class_index, require_conditional
from .provenance import write_image
from .provenance.record import record_for_model
from .sample import quantize

# uint8 images (N, C, H, W) of asked class k -> (N,) confidence that they show class k
Judge = Callable[[torch.Tensor, int], torch.Tensor]


@dataclass
class LabelledExport:
    """What :func:`write_labelled_folder` wrote: counts per class folder, and the kept images
    (uint8 (N, C, H, W)) with their model class indices (N,), for choosing a mixing ratio."""

    counts: dict[str, int]
    images: torch.Tensor
    labels: torch.Tensor
    candidates_per_class: int


def write_labelled_folder(
    model,
    out: str | Path,
    per_class: int,
    seed: int = 0,
    truncation: float = 0.0,
    classes: list[str] | None = None,
    batch_size: int = 256,
    judge: Judge | None = None,
    oversample: int = 1,
) -> LabelledExport:
    """Write ``per_class`` samples of each class (or of ``classes``) into ``out/<class>/``.
    Sample i of class k is drawn with seed ``seed * 1_000_003 + k``, so a class's images do not
    depend on which others are asked. With ``judge``, ``oversample * per_class`` candidates are
    drawn per class and the ``per_class`` that ``judge`` is most confident of are written, most
    confident first."""
    require_conditional(model, "augment")
    if per_class < 1:
        raise ArtganError("--per-class must be at least 1")
    if oversample < 1 or (oversample > 1 and judge is None):
        raise ArtganError("--oversample must be at least 1, and above 1 only with a filter")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ArtganError(f"{out} exists and is not an empty folder; choose a new folder")
    all_names = model.class_names
    wanted = [all_names[model_class_index(model, c)] for c in classes] if classes else all_names
    folders = dict(zip(all_names, folder_names(all_names)))
    n_candidates = per_class * oversample
    record = record_for_model(
        model,
        seed=seed,
        command="augment",
        per_class=per_class,
        truncation=truncation,
        candidates_per_class=n_candidates,
    )
    width = max(5, len(str(per_class - 1)))
    counts: dict[str, int] = {}
    kept_images, kept_labels = [], []
    for name in wanted:
        k = all_names.index(name)
        class_seed = seed * 1_000_003 + k
        drawn = model.sample(
            n_candidates, seed=class_seed, truncation=truncation, classes=k, batch_size=batch_size
        )
        images = quantize(drawn)  # (N, C, H, W) uint8
        order, confidence = torch.arange(len(images)), None
        if judge is not None:
            confidence = judge(images, k)
            order = confidence.argsort(descending=True, stable=True)[:per_class]
        folder = out / folders[name]
        folder.mkdir(parents=True, exist_ok=True)
        for i, j in enumerate(order.tolist()):
            params = {"class": name, "index": i, "class_seed": class_seed, "candidate": j}
            if confidence is not None:
                params["confidence"] = round(float(confidence[j]), 4)
            pixels = images[j].permute(1, 2, 0).contiguous().numpy()  # (H, W, C)
            write_image(pixels, folder / f"{i:0{width}d}.png", record.with_params(**params))
        counts[folders[name]] = len(order)
        kept_images.append(images[order])
        kept_labels.append(torch.full((len(order),), k))
    labels = {
        "classes": {folders[n]: n for n in wanted},
        "per_class": per_class,
        "seed": seed,
        "truncation": truncation,
        "candidates_per_class": n_candidates,
        "filtered": judge is not None,
        "run_id": record.run_id,
        "weights_sha256": record.weights_sha256,
    }
    atomic_write_text(out / LABELS_FILE, json.dumps(labels, indent=2) + "\n")
    return LabelledExport(counts, torch.cat(kept_images), torch.cat(kept_labels), n_candidates)


def add_to_labels(out: str | Path, **fields) -> None:
    """Add ``fields`` (JSON-safe) to the folder's labels.json, e.g. the chosen mixing ratio."""
    path = Path(out) / LABELS_FILE
    labels = json.loads(path.read_text(encoding="utf-8"))
    labels.update(fields)
    atomic_write_text(path, json.dumps(labels, indent=2) + "\n")


def model_class_index(model, name: str) -> int:
    return class_index(name, model.class_names)
