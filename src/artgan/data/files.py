"""Which files of a folder are images: below folder.py and consent.py, which both list them;
and the names of a labelled folder's class sub-folders."""

from __future__ import annotations

import re
from pathlib import Path

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")


def find_images(root: Path) -> list[Path]:
    """Image files under ``root`` (any depth, case-insensitive suffix), hidden ones left out."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in IMAGE_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


# A labelled folder's map from sub-folder names back to class names, for names that cannot be
# folder names as they are ("T-shirt/top"): written by artgan augment and artgan data export.
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
