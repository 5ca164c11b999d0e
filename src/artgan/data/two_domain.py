"""Two-domain image data for image-to-image models: domain A in ``data.source``, domain B in
``data.source_b`` (CLI: ``--data-a`` / ``--data-b``).

- ``data.pairing unpaired`` (CycleGAN): two independent folders. Item ``i`` of an epoch is A's
  image ``i`` (modulo A's count; an epoch is as long as the larger domain) beside a B image drawn
  at random, as in the reference code; the draw comes from the batch's seeded generator, so a
  resumed run sees the same pairs.
- ``data.pairing paired`` (pix2pix): aligned pairs, either one folder of side-by-side images (A
  left, B right, each half made square like any image) or two folders whose files are matched
  by relative path without the extension (``a/x/001.jpg`` <-> ``b/x/001.png``). Random crops
  and flips move both images of a pair together.

A domain can also be a built-in dataset, or one class of it: ``art:mondrian``, ``digits:3``.
Files are decoded like any image folder (data/folder.py): upright, converted, centre-cropped
square and resized; unreadable files and files without a partner are skipped, counted and named.
Both domains are held in memory (decoded uint8).
"""

from __future__ import annotations

import dataclasses
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from ..config import DataConfig, background_rgb
from ..errors import DataError
from ..registry import DATASETS
from .dataset import DataReport, InMemoryDataset, random_crop, random_flip
from .folder import (
    DECODE_THREADS,
    DEFAULT_IMAGE_SIZE,
    IMAGE_SUFFIXES,
    RANDOM_CROP_MARGIN,
    SHOWN_SKIPPED,
    WHITE,
    Colour,
    find_images,
    load_image_folder,
    select_files,
    to_mode,
)
from .image_limits import open_checked, sizes_checked_here
from .types import Batch, DataSpec


class TwoDomainDataset:
    """Domain A images ``x`` and domain B images ``x_b``, uint8 (N, C, S, S). ``paired``: item
    ``i`` is (x[i], x_b[i]); otherwise B is drawn at random for each item."""

    kind = "image"

    def __init__(
        self,
        x: torch.Tensor,
        x_b: torch.Tensor,
        paired: bool,
        report: DataReport,
        crop_size: int = 0,
        flip: bool = False,
        y: torch.Tensor | None = None,
        class_names: list[str] | None = None,
    ):
        if paired and len(x) != len(x_b):
            raise ValueError("paired domains must have the same number of images")
        self.x, self.x_b = x, x_b
        self.paired = paired
        self.report = report
        self.crop_size = crop_size
        self.flip = flip
        # Domain A's class labels, where it has them (unpaired: the labelled source of domain
        # adaptation, models/dann.py); domain B is unlabelled.
        self.y = y
        self.class_names: list[str] = list(class_names or []) if y is not None else []

    def __len__(self) -> int:
        return len(self.x) if self.paired else max(len(self.x), len(self.x_b))

    @property
    def spec(self) -> DataSpec:
        channels, side = self.x.shape[1], self.x.shape[-1]
        shape = (channels, self.crop_size or side, self.crop_size or side)
        return DataSpec(shape, num_classes=len(self.class_names), class_names=self.class_names)

    def to(self, device: torch.device) -> TwoDomainDataset:
        self.x, self.x_b = self.x.to(device), self.x_b.to(device)
        if self.y is not None:
            self.y = self.y.to(device)
        return self

    def _augment(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        if self.crop_size and self.crop_size < x.shape[-1]:
            x = random_crop(x, self.crop_size, generator)
        if self.flip:
            x = random_flip(x, generator)
        return x

    def get(self, indices: torch.Tensor, generator: torch.Generator | None = None) -> Batch:
        if self.paired:
            i = indices.to(self.x.device)
            both = torch.cat([self.x[i], self.x_b[i]], dim=1)  # (B, 2C, S, S): crop/flip together
            a, b = self._augment(as_float(both), generator).chunk(2, dim=1)
            return Batch(a, x_b=b)
        i = (indices % len(self.x)).to(self.x.device)
        j = torch.randint(len(self.x_b), (len(indices),), generator=generator).to(self.x.device)
        a = self._augment(as_float(self.x[i]), generator)
        b = self._augment(as_float(self.x_b[j]), generator)
        return Batch(a, self.y[i] if self.y is not None else None, x_b=b)


def translation_run_defaults(pairing: str) -> dict:
    """How the two-domain papers train (CycleGAN: unpaired, pix2pix: paired): their pairing of
    the two folders, random crops and flips, a batch of one, constant rate then linear decay."""
    return {
        "data.pairing": pairing,
        "data.crop": "random",
        "data.flip": True,
        "train.batch_size": 1,
        "train.lr_decay": "linear",
    }


def as_float(x: torch.Tensor) -> torch.Tensor:
    return x.float().div_(127.5).sub_(1.0)  # uint8 [0, 255] -> [-1, 1]


# ----------------------------------------------------------------------------------- loading


@sizes_checked_here()  # around the decoding threads; each image's size is checked and counted
def load_two_domain(config: DataConfig, image_size: int | None = None) -> TwoDomainDataset:
    """The dataset ``config.pairing`` asks for (see the module docstring)."""
    size = image_size or DEFAULT_IMAGE_SIZE
    stored = round(size * RANDOM_CROP_MARGIN) if config.crop == "random" else size
    crop_size = size if config.crop == "random" else 0
    if config.pairing == "unpaired":
        if not config.source_b:
            raise DataError(
                "unpaired two-domain data needs two sources: --data-a ./photos --data-b "
                "./paintings (data.source and data.source_b)"
            )
        a, labels, class_names, report_a = load_labelled_domain(config.source, config, stored)
        b, report_b = load_domain(config.source_b, config, stored)
        if a.shape[1] != b.shape[1]:
            raise DataError(
                f"{config.source} has {a.shape[1]}-channel images and {config.source_b} "
                f"{b.shape[1]}-channel ones; set --data.color rgb (or grey) for both"
            )
        report = DataReport(
            name=f"{report_a.name}+{report_b.name}",
            count=len(a) + len(b),
            skipped=report_a.skipped + report_b.skipped,
            skipped_examples=(report_a.skipped_examples + report_b.skipped_examples)[
                :SHOWN_SKIPPED
            ],
            notes=[f"domain A: {len(a)} images", f"domain B: {len(b)} images"],
        )
        return TwoDomainDataset(a, b, False, report, crop_size, config.flip, labels, class_names)
    if config.source_b:
        a, b, report = load_matched_folders(config, stored)
    else:
        a, b, report = load_side_by_side(config, stored)
    return TwoDomainDataset(a, b, True, report, crop_size, config.flip)


def load_domain(source: str, config: DataConfig, stored: int) -> tuple[torch.Tensor, DataReport]:
    """One domain's uint8 images (N, C, stored, stored): a folder, a built-in dataset, or one
    class of a built-in (``art:mondrian``)."""
    x, _, _, report = load_labelled_domain(source, config, stored)
    return x, report


def load_labelled_domain(
    source: str, config: DataConfig, stored: int
) -> tuple[torch.Tensor, torch.Tensor | None, list[str], DataReport]:
    """``load_domain`` with the domain's class labels and names, where it has them (a
    labelled built-in dataset, a folder of class sub-folders; None for one class of one)."""
    name, _, wanted = source.partition(":")
    if name in DATASETS:
        built_in = dataclasses.replace(config, source=name, crop="center")
        data = DATASETS.get(name)(built_in, stored)
        x, y, class_names = data.x, data.y, data.class_names
        if wanted:
            if wanted not in data.class_names:
                raise DataError(
                    f"{name} has no class {wanted!r}; its classes: {', '.join(data.class_names)}"
                )
            x, y, class_names = x[data.y == data.class_names.index(wanted)], None, []
        if x.dim() != 4:
            raise DataError(f"{source} is not image data; two-domain models need images")
        return x, y if class_names else None, class_names, DataReport(name=source, count=len(x))
    path = Path(source).expanduser()
    if not path.is_dir():
        raise DataError(
            f"{source} is neither an image folder nor a built-in dataset "
            f"({', '.join(DATASETS.names())}, optionally with a class: art:mondrian)"
        )
    folder = dataclasses.replace(config, source=str(path), crop="center", flip=False)
    data = load_image_folder(path, folder, stored)
    if not isinstance(data, InMemoryDataset):
        raise DataError(
            f"{path} is too large to hold in memory (data.in_memory_limit_mb "
            f"{config.in_memory_limit_mb}); two-domain data is held in memory: raise the "
            "limit or use part of the folder with data.limit"
        )
    return data.x, data.y if data.class_names else None, data.class_names, data.report


def square(image: Image.Image, size: int) -> np.ndarray:
    """Centre-crop ``image`` square and resize it to ``size`` (Lanczos): (size, size, C) uint8,
    as an image folder does (data/folder.py)."""
    width, height = image.size
    side = min(width, height)
    box = ((width - side) / 2, (height - side) / 2, (width + side) / 2, (height + side) / 2)
    image = image.resize((size, size), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    array = np.array(image, dtype=np.uint8)
    return array[:, :, None] if array.ndim == 2 else array  # (H, W, C)


def _open(path: Path, color: str, background: Colour = WHITE) -> Image.Image:
    with open_checked(path) as image:  # in a decoding thread: load_two_domain silences Pillow
        image.seek(0)
        return to_mode(ImageOps.exif_transpose(image), color, background)


def decode_side_by_side(
    path: Path, size: int, color: str, background: Colour = WHITE
) -> tuple[np.ndarray, np.ndarray]:
    """An A|B file split down the middle: (A, B), each (size, size, C) uint8."""
    image = _open(path, color, background)
    width, height = image.size
    if width < 2:
        raise ValueError(f"{width} pixels wide, too narrow to split into A|B")
    half = width // 2
    return square(image.crop((0, 0, half, height)), size), square(
        image.crop((width - half, 0, width, height)), size
    )


def decode_pair(
    paths: tuple[Path, Path], size: int, color: str, background: Colour = WHITE
) -> tuple[np.ndarray, np.ndarray]:
    a, b = (_open(path, color, background) for path in paths)
    return square(a, size), square(b, size)


def _decode_all(items: list, decode, size: int, color: str):
    """Decode every item in threads: (list of (A, B) arrays or None, reasons by index)."""
    results: list = [None] * len(items)
    failures: dict[int, str] = {}

    def work(i: int) -> None:
        try:
            results[i] = decode(items[i], size, color)
        except Exception as error:  # noqa: BLE001  Pillow's plugins raise many types
            failures[i] = str(error).split("\n")[0] or type(error).__name__

    with ThreadPoolExecutor(max_workers=DECODE_THREADS) as pool:
        list(pool.map(work, range(len(items))))
    return results, failures


def _stack(results: list, failures: dict[int, str], names: list[str], root: Path, report):
    keep = [i for i in range(len(results)) if i not in failures]
    if not keep:
        examples = "; ".join(f"{names[i]} ({failures[i]})" for i in sorted(failures)[:3])
        raise DataError(f"no readable image pair in {root}: e.g. {examples}")
    if failures:
        bad = [f"{names[i]} ({failures[i]})" for i in sorted(failures)]
        report.skipped += len(bad)
        report.skipped_examples = (report.skipped_examples + bad)[:SHOWN_SKIPPED]
        warnings.warn(
            f"skipped {len(bad)} unreadable image pair(s) in {root}: "
            f"{'; '.join(bad[:SHOWN_SKIPPED])}",
            stacklevel=3,
        )

    def tensor(k: int) -> torch.Tensor:
        arrays = np.stack([results[i][k] for i in keep])  # (N, S, S, C)
        return torch.from_numpy(arrays).permute(0, 3, 1, 2).contiguous()  # (N, C, S, S)

    report.count = len(keep)
    return tensor(0), tensor(1), report


def _folder_files(source: str, config: DataConfig, role: str) -> tuple[Path, list[Path]]:
    root = Path(source).expanduser()
    if not root.is_dir():
        raise DataError(f"{role} folder not found: {root}")
    files = find_images(root)
    if not files:
        raise DataError(f"no images ({' '.join(IMAGE_SUFFIXES)}) in {root} or its subfolders")
    return root, files


def load_side_by_side(config: DataConfig, size: int):
    root, files = _folder_files(config.source, config, "paired-image")
    files = select_files(root, files, config)
    color = "grey" if config.color == "grey" else "rgb"
    decode = partial(decode_side_by_side, background=background_rgb(config.background))
    results, failures = _decode_all(files, decode, size, color)
    names = [f.relative_to(root).as_posix() for f in files]
    report = DataReport(name=root.name or str(root), notes=["side-by-side A|B pairs"])
    return _stack(results, failures, names, root, report)


def pair_key(root: Path, path: Path) -> str:
    """What matches a file with its partner: the relative path without the extension."""
    return path.relative_to(root).with_suffix("").as_posix()


def load_matched_folders(config: DataConfig, size: int):
    root_a, files_a = _folder_files(config.source, config, "domain-A")
    root_b, files_b = _folder_files(config.source_b, config, "domain-B")
    by_key_b = {pair_key(root_b, f): f for f in files_b}
    if len(by_key_b) < len(files_b):
        raise DataError(
            f"{root_b} has files that differ only in extension (e.g. 001.png and 001.jpg); "
            "each name must be unique to match its partner"
        )
    matched = [f for f in files_a if pair_key(root_a, f) in by_key_b]
    if not matched:
        raise DataError(
            f"no file in {root_a} has a partner of the same name in {root_b} (e.g. "
            f"{pair_key(root_a, files_a[0])} vs {pair_key(root_b, files_b[0])}); paired data "
            "needs the same file names (extension aside) in both folders"
        )
    unmatched = sorted(
        {pair_key(root_a, f) for f in files_a} ^ {pair_key(root_b, f) for f in files_b}
    )
    files = select_files(root_a, matched, config)
    pairs = [(f, by_key_b[pair_key(root_a, f)]) for f in files]
    color = "grey" if config.color == "grey" else "rgb"
    decode = partial(decode_pair, background=background_rgb(config.background))
    results, failures = _decode_all(pairs, decode, size, color)
    names = [pair_key(root_a, f) for f in files]
    report = DataReport(name=f"{root_a.name}+{root_b.name}", notes=["pairs matched by name"])
    if unmatched:
        report.skipped = len(unmatched)
        report.skipped_examples = [f"{key} (no partner)" for key in unmatched[:SHOWN_SKIPPED]]
        warnings.warn(
            f"skipped {len(unmatched)} file(s) without a partner of the same name in "
            f"{root_a} / {root_b}: {', '.join(unmatched[:SHOWN_SKIPPED])}",
            stacklevel=2,
        )
    return _stack(results, failures, names, root_a, report)
