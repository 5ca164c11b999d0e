"""Dataset consent: what a folder of images is, under which licence, and what must not be
trained on.

For every image the manifest records its SHA-256, size in bytes, pixel dimensions, licence,
source (if known) and whether it is marked do-not-train. A file is do-not-train when

* its sidecar says so: ``<file>.json`` (e.g. ``cat.png.json``) or ``<stem>.json``, a JSON
  object with ``"do_not_train": true``, ``"train": false`` or ``"ai_training": "notAllowed"``;
  the sidecar may also give ``"licence"`` (or ``"license"``) and ``"source"`` (or ``"url"``);
* or the image carries a C2PA training-and-data-mining assertion (``c2pa.training-mining``,
  or its CAWG successor ``cawg.training-mining``) saying ``notAllowed`` for AI training,
  generative AI training or data mining.

A file's licence comes from its sidecar, else from the nearest ``LICENSE`` / ``LICENCE`` /
``COPYING`` file in its folder or a parent folder up to the scanned root (its
``SPDX-License-Identifier`` line, else its first line), else "unknown".

The manifest's hash is the SHA-256 of its canonical JSON (the file entries, sorted keys, no
timestamps), so the same files with the same marks always give the same hash: it identifies
the training data in the model's config, its card and the C2PA manifest of everything the
model makes.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PIL import Image

from ..atomic import atomic_write_text
from ..c2pa_formats import EMBEDDABLE, OFFLINE_SETTINGS
from ..errors import DataError
from .files import find_images
from .image_limits import sizes_checked_here

MANIFEST_FILE = "artgan-dataset.json"
MANIFEST_FORMAT = 1
LICENCE_FILES = ("LICENSE", "LICENCE", "COPYING")
LICENCE_SUFFIXES = ("", ".txt", ".md")
TDM_LABELS = ("c2pa.training-mining", "cawg.training-mining")
TDM_USES = ("ai_training", "ai_generative_training", "data_mining")  # inference is allowed
TRAINED_ALGORITHMIC_MEDIA = "trainedAlgorithmicMedia"
UNKNOWN = "unknown"


@dataclass
class FileEntry:
    path: str  # relative to the scanned root, POSIX separators
    sha256: str
    bytes: int
    width: int | None
    height: int | None
    licence: str
    licence_from: str  # "sidecar", "LICENSE file <path>" or "none"
    source: str = ""
    do_not_train: bool = False
    reason: str = ""  # why it is do-not-train
    generated: bool = False  # its C2PA manifest says a trained model made it


@dataclass
class DatasetManifest:
    root: str
    files: list[FileEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def excluded(self) -> list[FileEntry]:
        return [f for f in self.files if f.do_not_train]

    @property
    def sha256(self) -> str:
        return manifest_sha256(self.files)

    def trainable(self, root: Path) -> list[Path]:
        """The files that may be trained on; an error when none may."""
        allowed = [Path(root) / f.path for f in self.files if not f.do_not_train]
        if not allowed:
            raise DataError(
                f"every one of the {len(self.files)} images in {root} is marked do-not-train "
                "(sidecar or C2PA training-mining assertion); nothing is left to train on"
            )
        return allowed

    def licences(self) -> dict[str, int]:
        """Licence name -> number of trainable files under it."""
        counts: dict[str, int] = {}
        for entry in self.files:
            if not entry.do_not_train:
                counts[entry.licence] = counts.get(entry.licence, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def to_dict(self) -> dict:
        return {
            "format": MANIFEST_FORMAT,
            "generator": "artgan",
            "root": self.root,
            "manifest_sha256": self.sha256,
            "count": len(self.files),
            "excluded": len(self.excluded),
            "licences": self.licences(),
            "notes": self.notes,
            "files": [asdict(f) for f in self.files],
        }


def manifest_sha256(files: list[FileEntry]) -> str:
    canonical = json.dumps([asdict(f) for f in files], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- sidecars


def sidecar_for(path: Path) -> Path | None:
    for candidate in (path.with_name(path.name + ".json"), path.with_suffix(".json")):
        if candidate.is_file():
            return candidate
    return None


def read_sidecar(path: Path) -> dict:
    """The per-file sidecar's fields ({} when there is none)."""
    side = sidecar_for(path)
    if side is None:
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(
            f"the sidecar {side} is not valid JSON ({error}); fix it or remove it"
        ) from error
    if not isinstance(data, dict):
        raise DataError(f'the sidecar {side} must hold a JSON object, e.g. {{"licence": ...}}')
    return data


def sidecar_forbids(data: dict) -> bool:
    use = str(data.get("ai_training", "")).lower()
    return bool(data.get("do_not_train")) or data.get("train") is False or use == "notallowed"


# ----------------------------------------------------------------------------- licences


def _licence_text(path: Path) -> str:
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    for line in lines:
        if line.upper().startswith("SPDX-LICENSE-IDENTIFIER:"):
            return line.split(":", 1)[1].strip()
    first = next((ln for ln in lines if ln), "")
    return first[:100] or UNKNOWN


def licence_file(folder: Path, root: Path) -> Path | None:
    """The nearest licence file in ``folder`` or its parents up to ``root``."""
    while True:
        for name in LICENCE_FILES:
            for suffix in LICENCE_SUFFIXES:
                candidate = folder / f"{name}{suffix}"
                if candidate.is_file():
                    return candidate
        if folder == root or root not in folder.parents:
            return None
        folder = folder.parent


# ----------------------------------------------------------------------------- C2PA


def c2pa_training_marks(data: bytes, suffix: str) -> tuple[str, bool, str]:
    """(do-not-train reason or "", generated by a trained model?, note) from the C2PA
    manifests embedded in an image's bytes."""
    if b"c2pa" not in data:  # no JUMBF manifest store: nothing to read (and fast)
        return "", False, ""
    try:
        import c2pa
    except ImportError:
        return "", False, "C2PA manifests not read (c2pa-python, an artgan dependency, is missing)"

    fmt = EMBEDDABLE.get(suffix.lower())
    if fmt is None:
        return "", False, ""
    try:
        with c2pa.Reader(
            fmt, io.BytesIO(data), context=c2pa.Context.from_dict(OFFLINE_SETTINGS)
        ) as r:
            store = json.loads(r.json())
    except c2pa.C2paError:
        return "", False, ""
    reasons, generated = [], False
    for manifest in (store.get("manifests") or {}).values():
        for assertion in manifest.get("assertions", []):
            label, body = assertion.get("label", ""), assertion.get("data") or {}
            if label in TDM_LABELS:
                for name, entry in (body.get("entries") or {}).items():
                    use = (entry or {}).get("use", "")
                    if name.split(".")[-1] in TDM_USES and use == "notAllowed":
                        reasons.append(f"C2PA {label}: {name} notAllowed")
            if label.startswith("c2pa.actions"):
                for action in body.get("actions", []):
                    generated |= TRAINED_ALGORITHMIC_MEDIA in str(action.get("digitalSourceType"))
    return "; ".join(sorted(set(reasons))), generated, ""


# ----------------------------------------------------------------------------- scanning


def _dimensions(data: bytes) -> tuple[int | None, int | None]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:  # noqa: BLE001  unreadable images are listed, the loader skips them
        return None, None


def scan_file(path: Path, root: Path) -> tuple[FileEntry, str]:
    """One file's entry, and a note ("" when none)."""
    data = path.read_bytes()
    width, height = _dimensions(data)
    side = read_sidecar(path)
    licence, licence_from = side.get("licence") or side.get("license"), "sidecar"
    if not licence:
        found = licence_file(path.parent, root)
        licence = _licence_text(found) if found else UNKNOWN
        licence_from = f"LICENSE file {found.relative_to(root).as_posix()}" if found else "none"
    reasons = ["sidecar marks it do-not-train"] if sidecar_forbids(side) else []
    c2pa_reason, generated, note = c2pa_training_marks(data, path.suffix)
    if c2pa_reason:
        reasons.append(c2pa_reason)
    entry = FileEntry(
        path=path.relative_to(root).as_posix(),
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        width=width,
        height=height,
        licence=str(licence),
        licence_from=licence_from,
        source=str(side.get("source") or side.get("url") or ""),
        do_not_train=bool(reasons),
        reason="; ".join(reasons),
        generated=generated,
    )
    return entry, (f"{entry.path}: {note}" if note else "")


@sizes_checked_here()  # a huge image is listed with its size; the loader skips and counts it
def scan_files(root: Path, files: list[Path]) -> DatasetManifest:
    root = Path(root)
    manifest = DatasetManifest(root=str(root))
    for path in files:
        entry, note = scan_file(path, root)
        manifest.files.append(entry)
        if note:
            manifest.notes.append(note)
    return manifest


def scan_folder(root: str | Path) -> DatasetManifest:
    """The manifest of every image under ``root`` (the files the folder loader would see)."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"dataset folder not found: {root}")
    files = find_images(root)
    if not files:
        raise DataError(f"no images in {root} or its subfolders")
    return scan_files(root, files)


def write_manifest(manifest: DatasetManifest, path: str | Path) -> Path:
    path = Path(path)
    atomic_write_text(path, json.dumps(manifest.to_dict(), indent=2) + "\n")
    return path


def excluded_message(manifest: DatasetManifest, shown: int = 5) -> str:
    excluded = manifest.excluded
    listed = "; ".join(f"{e.path} ({e.reason})" for e in excluded[:shown])
    more = f" and {len(excluded) - shown} more" if len(excluded) > shown else ""
    return (
        f"excluded {len(excluded)} file(s) marked do-not-train in {manifest.root}: {listed}{more}"
    )


def with_consent(dataset, manifest: DatasetManifest):
    """Put the manifest's hash, licences and exclusions into ``dataset.report`` (and warn
    about the exclusions once)."""
    report = dataset.report
    report.manifest_sha256 = manifest.sha256
    report.licences = manifest.licences()
    report.excluded = len(manifest.excluded)
    report.excluded_files = [f"{e.path} ({e.reason})" for e in manifest.excluded]
    report.notes.extend(manifest.notes)
    if manifest.excluded:
        warnings.warn(excluded_message(manifest), stacklevel=3)
    return dataset
