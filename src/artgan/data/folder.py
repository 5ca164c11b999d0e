"""Image folders: recursive, any common format and colour mode, decoded once into memory.

Each image is converted to RGB (or grey), its shorter side resized and the centre cropped square
(Pillow, Lanczos). First-level subfolders become class labels (sorted names) when every image
sits in one of at least two such subfolders. A file that fails to decode is skipped, counted and
named (the first few) in the data report and one warning; the rest trains. A folder whose decoded
tensor would pass ``data.in_memory_limit_mb`` is decoded once into a uint8 memory map in the artgan
cache (uint8_store.py), or batch by batch when the cache cannot hold it (streaming.py).
Transparent images are composited on ``data.background`` (white by default).
Files marked do-not-train (a sidecar, or a C2PA training-mining assertion; see consent.py) are
left out, counted and named in the data report and one warning; the report carries the dataset
manifest's hash.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from ..config import DataConfig, background_rgb
from ..errors import DataError
from .consent import scan_files, with_consent
from .dataset import DataReport, InMemoryDataset
from .files import IMAGE_SUFFIXES, find_images  # noqa: F401  (re-exported)
from .image_limits import open_checked, sizes_checked_here
from .streaming import StreamingImageFolder
from .uint8_store import MappedImageFolder, StoreUnavailable

DEFAULT_IMAGE_SIZE = 64
RANDOM_CROP_MARGIN = 1.125  # stored this much larger than the crop when cropping at random
SHOWN_SKIPPED = 5
DECODE_THREADS = min(4, os.cpu_count() or 1)  # Pillow decodes and resizes without the GIL
Colour = tuple[int, int, int]
WHITE: Colour = (255, 255, 255)


def class_layout(root: Path, files: list[Path]) -> list[str]:
    """Class names when every image is inside one of >= 2 first-level subfolders, else []."""
    tops = {
        f.relative_to(root).parts[0] if len(f.relative_to(root).parts) > 1 else None for f in files
    }
    if None in tops or len(tops) < 2:
        return []
    return sorted(tops)


def path_hashes(relative: str) -> tuple[float, float]:
    """Two stable uniform numbers in [0, 1) from a relative path: one decides the held-out
    split, the other the order in which ``data.limit`` keeps files. A path hash (not a seeded
    shuffle) keeps a file on the same side when others are added or removed."""
    # surrogateescape: a file name that is not UTF-8 hashes as its own bytes, no error
    digest = hashlib.sha256(relative.encode("utf-8", "surrogateescape")).digest()
    return (int.from_bytes(digest[:8], "big") / 2**64, int.from_bytes(digest[8:16], "big") / 2**64)


def select_files(root: Path, files: list[Path], config: DataConfig) -> list[Path]:
    """The files of ``config.split``, at most ``config.limit`` of them, in path order."""
    if config.split == "test" and config.held_out_fraction <= 0:
        raise DataError(
            f"data.split=test on the folder {root} needs data.held_out_fraction > 0 "
            "(the share of files held out of training, e.g. 0.1)"
        )
    hashes = {f: path_hashes(f.relative_to(root).as_posix()) for f in files}
    want_held_out = config.split == "test"
    chosen = [f for f in files if (hashes[f][0] < config.held_out_fraction) == want_held_out]
    if config.limit and len(chosen) > config.limit:
        # A hash-ordered subset, not the first names: class folders stay mixed.
        chosen = sorted(sorted(chosen, key=lambda f: hashes[f][1])[: config.limit])
    if not chosen:
        raise DataError(
            f"the {config.split} part of {root} is empty "
            f"(data.held_out_fraction={config.held_out_fraction}, {len(files)} images)"
        )
    return chosen


def _to_8bit_grey(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit integer or float images -> 8-bit L, keeping the full range visible."""
    array = np.asarray(image, dtype=np.float64)
    if image.mode.startswith("I;16"):
        top = 65535.0
    elif image.mode == "F" and array.max(initial=0.0) <= 1.0:
        top = 1.0  # float images in [0, 1]
    else:  # mode I: often a 16-bit PNG/TIFF widened by Pillow
        top = 65535.0 if array.max(initial=0.0) > 255 else 255.0
    return Image.fromarray(np.clip(np.round(array * (255.0 / top)), 0, 255).astype(np.uint8))


def to_mode(image: Image.Image, color: str, background: Colour = WHITE) -> Image.Image:
    """Any Pillow mode -> RGB or L. Transparency (RGBA, LA, PA, a palette or colour key with
    transparency) is composited on ``background`` (white unless ``data.background`` says)."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        image = _to_8bit_grey(image)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (*background, 255)), rgba)
    return image.convert("L" if color == "grey" else "RGB")


def decode(path: Path, size: int, color: str, background: Colour = WHITE) -> np.ndarray:
    """The first frame of ``path``, upright (EXIF), converted (transparency composited on
    ``background``), its shorter side resized to ``size`` and centre-cropped: (size, size, C)
    uint8."""
    with open_checked(path) as image:  # the size is checked from the header, before decoding
        image.draft(None, (2 * size, 2 * size))  # JPEG: decode at a reduced scale, >= 2x size
        image.seek(0)
        image = to_mode(ImageOps.exif_transpose(image), color, background)
        width, height = image.size
        side = min(width, height)
        box = ((width - side) / 2, (height - side) / 2, (width + side) / 2, (height + side) / 2)
        image = image.resize((size, size), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
        array = np.array(image, dtype=np.uint8)  # a writable copy
    return array[:, :, None] if array.ndim == 2 else array  # (H, W, C)


def try_decode(
    path: Path, size: int, color: str, background: Colour = WHITE
) -> tuple[np.ndarray | None, str]:
    """``decode``, or (None, reason) for a file that is not a readable image."""
    try:
        return decode(path, size, color, background), ""
    except Exception as error:  # noqa: BLE001  Pillow's plugins raise many types on bad files
        return None, str(error).split("\n")[0] or type(error).__name__


def skipped_examples(root: Path, bad: list[tuple[Path, str]]) -> list[str]:
    return [f"{p.relative_to(root)} ({reason})" for p, reason in bad[:SHOWN_SKIPPED]]


def skipped_message(root: Path, bad: list[tuple[Path, str]]) -> str:
    more = f" and {len(bad) - SHOWN_SKIPPED} more" if len(bad) > SHOWN_SKIPPED else ""
    return (
        f"skipped {len(bad)} unreadable file(s) in {root}: "
        f"{'; '.join(skipped_examples(root, bad))}{more}"
    )


@sizes_checked_here()  # around the decoding threads; each image's size is checked and counted
def load_image_folder(root: Path, config: DataConfig, image_size: int | None):
    """An InMemoryDataset of the folder, or a StreamingImageFolder when it is too large."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"image folder not found: {root}")
    files = find_images(root)
    if not files:
        raise DataError(f"no images ({' '.join(IMAGE_SUFFIXES)}) in {root} or its subfolders")
    classes = class_layout(root, files)  # from all files, so every split has the same labels
    consent = scan_files(root, files)  # do-not-train files are left out, counted and named
    files = consent.trainable(root)
    files = select_files(root, files, config)
    labels = None
    if classes:
        index = {name: k for k, name in enumerate(classes)}
        labels = [index[f.relative_to(root).parts[0]] for f in files]

    size = image_size or DEFAULT_IMAGE_SIZE
    stored = round(size * RANDOM_CROP_MARGIN) if config.crop == "random" else size
    crop_size = size if config.crop == "random" else 0
    color = "grey" if config.color == "grey" else "rgb"
    channels = 1 if color == "grey" else 3
    background = background_rgb(config.background)
    read = partial(try_decode, size=stored, color=color, background=background)
    if len(files) * channels * stored * stored > config.in_memory_limit_mb * 2**20:
        # Too large for memory: decoded once into a uint8 memory map in the artgan cache (reused
        # by later runs); streamed batch by batch when the cache cannot hold it.

        settings = {"side": stored, "color": color, "crop": config.crop, "background": background}
        try:
            dataset = MappedImageFolder(
                root, files, labels, classes, read, (channels, stored), crop_size, config, settings
            )
        except StoreUnavailable as why:
            dataset = StreamingImageFolder(
                root, files, labels, classes, read, (channels, stored), crop_size or stored, config
            )
            dataset.report.notes.append(f"not cached as a memory map: {why}")
        return with_consent(dataset, consent)

    x = torch.empty((len(files), channels, stored, stored), dtype=torch.uint8)  # (N, C, H, W)
    failures: dict[int, str] = {}

    def read_into(i: int) -> None:
        array, reason = read(files[i])
        if array is None:
            failures[i] = reason
        else:
            x[i] = torch.from_numpy(array).permute(2, 0, 1)  # (H, W, C) -> (C, H, W)

    with ThreadPoolExecutor(max_workers=DECODE_THREADS) as pool:
        list(pool.map(read_into, range(len(files))))

    report = DataReport(name=root.name or str(root))
    bad = [(files[i], failures[i]) for i in sorted(failures)]
    if len(bad) == len(files):
        raise DataError(
            f"no readable image in {root}: all {len(files)} files failed to decode, "
            f"e.g. {'; '.join(skipped_examples(root, bad))}"
        )
    y = torch.tensor(labels, dtype=torch.long) if labels is not None else None
    if bad:
        keep = torch.tensor([i for i in range(len(files)) if i not in failures])
        x, y = x[keep], (y[keep] if y is not None else None)
        report.skipped, report.skipped_examples = len(bad), skipped_examples(root, bad)
        warnings.warn(skipped_message(root, bad), stacklevel=2)
    report.count = len(x)
    dataset = InMemoryDataset(x, y, classes, report, flip=config.flip, crop_size=crop_size)
    return with_consent(dataset, consent)
