"""Synthetic labelled data from a class-conditional model: an image folder with one subfolder
per class, the layout artgan (and most tools) read as labelled data, every file written through
the output point with its provenance record. ``labels.json`` maps folder names back to the
model's class names (a name like "T-shirt/top" cannot be a folder name as it is)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .atomic import atomic_write_text
from .errors import ArtganError
from .models.conditioning import class_index, require_conditional
from .provenance import write_image
from .provenance.record import record_for_model
from .sample import to_uint8

LABELS_FILE = "labels.json"


def folder_names(class_names: list[str]) -> list[str]:
    """Safe, distinct folder names for the classes, in the same order."""
    names: list[str] = []
    for name in class_names:
        safe = re.sub(r"[^A-Za-z0-9._ -]+", "_", name).strip(" .") or "class"
        candidate, k = safe, 2
        while candidate.casefold() in (n.casefold() for n in names):
            candidate, k = f"{safe}-{k}", k + 1
        names.append(candidate)
    return names


def write_labelled_folder(
    model,
    out: str | Path,
    per_class: int,
    seed: int = 0,
    truncation: float = 0.0,
    classes: list[str] | None = None,
    batch_size: int = 256,
) -> dict[str, int]:
    """Write ``per_class`` samples of each class (or of ``classes``) into ``out/<class>/``;
    returns the count per class folder. Sample i of class k is drawn with seed
    ``seed * 1_000_003 + k``, so a class's images do not depend on which others are asked."""
    require_conditional(model, "augment")
    if per_class < 1:
        raise ArtganError("--per-class must be at least 1")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ArtganError(f"{out} exists and is not an empty folder; choose a new folder")
    all_names = model.class_names
    wanted = [all_names[model_class_index(model, c)] for c in classes] if classes else all_names
    folders = dict(zip(all_names, folder_names(all_names)))
    record = record_for_model(
        model, seed=seed, command="augment", per_class=per_class, truncation=truncation
    )
    width = max(5, len(str(per_class - 1)))
    counts: dict[str, int] = {}
    for name in wanted:
        k = all_names.index(name)
        class_seed = seed * 1_000_003 + k
        images = model.sample(
            per_class, seed=class_seed, truncation=truncation, classes=k, batch_size=batch_size
        )
        folder = out / folders[name]
        folder.mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(to_uint8(images)):
            params = {"class": name, "index": i, "class_seed": class_seed}
            write_image(image, folder / f"{i:0{width}d}.png", record.with_params(**params))
        counts[folders[name]] = len(images)
    labels = {
        "classes": {folders[n]: n for n in wanted},
        "per_class": per_class,
        "seed": seed,
        "truncation": truncation,
        "run_id": record.run_id,
        "weights_sha256": record.weights_sha256,
    }
    atomic_write_text(out / LABELS_FILE, json.dumps(labels, indent=2) + "\n")
    return counts


def model_class_index(model, name: str) -> int:
    return class_index(name, model.class_names)
