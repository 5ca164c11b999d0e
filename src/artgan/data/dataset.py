"""Datasets as the trainer sees them, and the resumable batch stream.

A dataset that fits in memory is decoded once into one tensor (uint8 images (N, C, H, W), or
float32 points (N, D)); batches are index lookups. Images stay uint8 until the batch is on the
training device: crop and flip act there on the uint8 batch (``image_batch``), and the float
[-1, 1] conversion comes last. Larger image folders are read from a uint8 memory map
(data/uint8_store.py) or decoded batch by batch (data/streaming.py), with the same batch order.

Batch order is a pure function of (seed, batch counter): epoch ``e`` is a permutation drawn from
a generator seeded by (seed, e); batch ``k`` takes the next ``batch_size`` positions of that
endless sequence. So a resumed run only has to remember one integer, and under torchrun each
rank takes its own slice of every global batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ..errors import DataError
from .types import Batch, DataSpec


@dataclass
class DataReport:
    """What loading found: shown to the user and stored with the run."""

    name: str
    count: int = 0
    skipped: int = 0
    skipped_examples: list[str] = field(default_factory=list)
    excluded: int = 0  # files marked do-not-train
    notes: list[str] = field(default_factory=list)
    excluded_files: list[str] = field(default_factory=list)  # "path (reason)", all of them
    manifest_sha256: str = ""  # the dataset manifest's hash (data/consent.py), folders only
    licences: dict = field(default_factory=dict)  # licence -> trainable files under it

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "count": self.count,
            "skipped": self.skipped,
            "skipped_examples": self.skipped_examples,
            "excluded": self.excluded,
            "notes": self.notes,
            "excluded_files": self.excluded_files,
            "manifest_sha256": self.manifest_sha256,
            "licences": self.licences,
        }


class InMemoryDataset:
    """Decoded data held in one tensor. ``random_crop``: items are stored larger than
    ``crop_size`` and cropped at a random place per batch (otherwise they are stored at size)."""

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None = None,
        class_names: list[str] | None = None,
        report: DataReport | None = None,
        flip: bool = False,
        crop_size: int = 0,
    ):
        self.x = x
        self.y = y
        self.class_names = list(class_names or [])
        self.report = report or DataReport(name="data", count=len(x))
        self.flip = flip
        self.crop_size = crop_size

    @property
    def kind(self) -> str:
        return {4: "image", 5: "volume"}.get(self.x.dim(), "points")

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def spec(self) -> DataSpec:
        shape = tuple(self.x.shape[1:])
        if self.kind == "image" and self.crop_size:
            shape = (shape[0], self.crop_size, self.crop_size)
        return DataSpec(
            shape=shape, num_classes=len(self.class_names), class_names=self.class_names
        )

    def to(self, device: torch.device) -> InMemoryDataset:
        """Move the decoded tensor to ``device`` once (small datasets on a GPU)."""
        self.x = self.x.to(device)
        if self.y is not None:
            self.y = self.y.to(device)
        return self

    def images_as_float(self, x: torch.Tensor) -> torch.Tensor:
        return images_as_float(x)

    def get(self, indices: torch.Tensor, generator: torch.Generator | None = None) -> Batch:
        if self.kind == "points":
            indices = indices.to(self.x.device)
            return Batch(self.x[indices].float(), self.y[indices] if self.y is not None else None)
        y = self.y[indices.to(self.y.device)] if self.y is not None else None
        if self.kind == "volume":  # uint8 voxel grids (N, 4, D, D, D) -> [0, 1]
            return Batch(self.x[indices.to(self.x.device)].float().div_(255.0), y)
        return Batch(image_batch(self.x, self.crop_size, self.flip, generator, rows=indices), y)


def one_class(dataset: InMemoryDataset, wanted: str) -> InMemoryDataset:
    """The items of class ``wanted`` only (``shapes3d:vase``); an unknown class names the
    valid ones."""
    if wanted not in dataset.class_names:
        valid = ", ".join(dataset.class_names) or "none (it has no classes)"
        raise DataError(f"{dataset.report.name} has no class {wanted!r}; its classes: {valid}")
    keep = dataset.y == dataset.class_names.index(wanted)
    dataset.x, dataset.y = dataset.x[keep], dataset.y[keep]
    dataset.report.count = len(dataset.x)
    dataset.report.notes.append(f"class {wanted} only")
    return dataset


def images_as_float(x: torch.Tensor) -> torch.Tensor:
    return x.float().div_(127.5).sub_(1.0)  # uint8 [0, 255] -> [-1, 1]


def image_batch(
    images: torch.Tensor,
    crop_size: int,
    flip: bool,
    generator: torch.Generator | None,
    device: torch.device | None = None,
    rows: torch.Tensor | None = None,
) -> torch.Tensor:
    """Items ``rows`` (default: all) of uint8 ``images`` (N, C, S, S) -> a float batch
    (B, C, crop, crop) in [-1, 1] on ``device`` (default: where ``images`` are).

    Moved while uint8 (a quarter of float's bytes); each item's crop window and flip are views,
    so the batch is copied once (one stack) and converted to float last. The draws come from
    ``generator`` (on the CPU) in the same order as ever (crop rows, crop columns, flips), so a
    batch is the same on every device and after a resume."""
    if device is not None and images.device != device:
        if device.type == "cuda":
            images = images.pin_memory()
        images = images.to(device, non_blocking=True)
    rows = list(range(len(images))) if rows is None else rows.tolist()
    b, (h, w) = len(rows), images.shape[-2:]
    crop = crop_size if crop_size and crop_size < w else 0
    if crop:
        top = torch.randint(0, h - crop + 1, (b,), generator=generator).tolist()
        left = torch.randint(0, w - crop + 1, (b,), generator=generator).tolist()
    flips = (torch.rand(b, generator=generator) < 0.5).tolist() if flip else [False] * b
    items = []
    for k, row in enumerate(rows):
        item = images[row]  # (C, S, S), a view
        if crop:
            item = item[:, top[k] : top[k] + crop, left[k] : left[k] + crop]
        items.append(item.flip(-1) if flips[k] else item)
    return images_as_float(torch.stack(items))  # (B, C, crop, crop)


def random_crop(x: torch.Tensor, size: int, generator: torch.Generator | None) -> torch.Tensor:
    """A ``size`` x ``size`` window of each item at a random place (any dtype, any device)."""
    b, _, h, w = x.shape  # (B, C, H, W)
    top = torch.randint(0, h - size + 1, (b,), generator=generator).tolist()
    left = torch.randint(0, w - size + 1, (b,), generator=generator).tolist()
    windows = [x[i, :, t : t + size, l : l + size] for i, (t, l) in enumerate(zip(top, left))]
    return torch.stack(windows)  # (B, C, size, size): one copy, no index tensors


def random_flip(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    flip = (torch.rand(x.shape[0], generator=generator) < 0.5).to(x.device)
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


class BatchOrder:
    """Indices of batch ``k`` for this rank, a pure function of (seed, k)."""

    def __init__(self, n: int, batch_size: int, seed: int, rank: int = 0, world: int = 1):
        if n < 1:
            raise ValueError("empty dataset")
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.rank, self.world = rank, world
        self._epoch = -1
        self._perm = torch.empty(0, dtype=torch.long)

    def _permutation(self, epoch: int) -> torch.Tensor:
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._perm, self._epoch = torch.randperm(self.n, generator=g), epoch
        return self._perm

    def global_indices(self, k: int) -> torch.Tensor:
        start = k * self.batch_size
        out = []
        while len(out) < self.batch_size:
            epoch, offset = divmod(start + len(out), self.n)
            take = min(self.batch_size - len(out), self.n - offset)
            out.extend(self._permutation(epoch)[offset : offset + take].tolist())
        return torch.tensor(out, dtype=torch.long)

    def indices(self, k: int) -> torch.Tensor:
        return self.global_indices(k)[self.rank :: self.world]

    def augment_generator(self, k: int) -> torch.Generator:
        """Random crop/flip draws for batch ``k`` on this rank (also a pure function of k)."""
        return torch.Generator().manual_seed((self.seed * 7_919 + k) * 64 + self.rank)


PREFETCH_BATCHES = 2  # batches a streaming dataset decodes ahead of the one asked for


class BatchStream:
    """Endless, resumable batches: ``next()`` returns the batch for counter ``position``."""

    def __init__(
        self,
        dataset,
        batch_size: int,
        seed: int,
        rank: int = 0,
        world: int = 1,
        device: torch.device | str = "cpu",
        position: int = 0,
    ):
        self.dataset = dataset
        self.order = BatchOrder(len(dataset), batch_size, seed, rank, world)
        self.device = torch.device(device)
        self.position = position

    def next(self) -> Batch:
        k = self.position
        self.position += 1
        prefetch = getattr(self.dataset, "prefetch", None)
        if prefetch is not None:  # a streaming dataset decodes the next batches meanwhile
            for ahead in range(1, PREFETCH_BATCHES + 1):
                prefetch(self.order.indices(k + ahead))
        batch = self.dataset.get(self.order.indices(k), self.order.augment_generator(k))
        x = batch.x.to(self.device, non_blocking=True)
        y = batch.y.to(self.device) if batch.y is not None else None
        x_b = batch.x_b.to(self.device, non_blocking=True) if batch.x_b is not None else None
        return Batch(x, y, x_b)


def resize_images(x: torch.Tensor, size: int) -> torch.Tensor:
    """Resize a uint8 (N, C, H, W) tensor to ``size`` (antialiased bilinear), in chunks."""
    if x.shape[-1] == size and x.shape[-2] == size:
        return x
    out = []
    for chunk in x.split(1024):
        y = F.interpolate(
            chunk.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False
        )
        out.append(y.round_().clamp_(0, 255).to(torch.uint8))
    return torch.cat(out)
