"""An image folder too large to decode into memory, decoded batch by batch.

``get(indices)`` decodes exactly those files (a small thread pool: Pillow decodes and resizes
with the GIL released) and applies the same crop and flip draws as InMemoryDataset, so the batch
order stays a pure function of (seed, batch counter) and a resumed run gets the same batches.
``prefetch(indices)`` starts decoding a later batch in the background; BatchStream asks for the
next two batches each step, so decoding overlaps training. Threads rather than DataLoader worker
processes: Pillow decodes and resizes with the GIL released, so threads run in parallel without
pickling batches between processes, and batches are asked for by counter (the resumable,
rank-sliced BatchOrder) rather than by a sampler's iterator.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from ..config import DataConfig
from ..errors import DataError
from .dataset import DataReport, image_batch
from .image_limits import header_size, too_large
from .types import Batch, DataSpec

Reader = Callable[[Path], tuple[np.ndarray | None, str]]  # path -> ((H, W, C) uint8, reason)
DEFAULT_THREADS = 2
MAX_PENDING = 4  # prefetched batches kept waiting
SHOWN_SKIPPED = 5


def header_error(path: Path) -> str:
    """Why ``path`` is not an image, from its header alone ('' when it looks like one)."""
    try:
        return too_large(*header_size(path))
    except Exception as error:  # noqa: BLE001  Pillow's plugins raise many types on bad files
        return str(error).split("\n")[0] or type(error).__name__


class StreamingImageFolder:
    """Same interface as InMemoryDataset: ``len``, ``kind``, ``spec``, ``class_names``,
    ``report``, ``get(indices, generator)`` and ``to(device)``."""

    kind = "image"

    def __init__(
        self,
        root: Path,
        files: list[Path],
        labels: list[int] | None,
        class_names: list[str],
        read: Reader,
        stored: tuple[int, int],
        crop_size: int,
        config: DataConfig,
    ):
        self.root = root
        self.class_names = list(class_names)
        self.channels, self.stored = stored  # what ``read`` returns: channels, side
        self.crop_size = crop_size
        self.flip = config.flip
        self.device = torch.device("cpu")
        self._read = read
        self._pool = ThreadPoolExecutor(max_workers=config.num_workers or DEFAULT_THREADS)
        self._pending: dict[tuple[int, ...], list[Future]] = {}

        # Files that are not images at all (empty, wrong type) are found now, from headers;
        # files that fail later (truncated data) are counted when a batch meets them.
        reasons = list(self._pool.map(header_error, files))
        bad = [(f, r) for f, r in zip(files, reasons) if r]
        keep = [k for k, r in enumerate(reasons) if not r]
        if not keep:
            raise DataError(
                f"no readable image in {root}: all {len(files)} files failed to "
                f"decode, e.g. {self._examples(bad)[0]}"
            )
        self.files = [files[k] for k in keep]
        self.labels = torch.tensor([labels[k] for k in keep]) if labels is not None else None
        self.report = DataReport(
            name=root.name or str(root),
            count=len(self.files),
            skipped=len(bad),
            skipped_examples=self._examples(bad),
            notes=[
                "decoded batch by batch (larger than data.in_memory_limit_mb); files that "
                "fail part-way are counted as batches meet them"
            ],
        )
        self._failed: set[int] = set()
        if bad:
            warnings.warn(
                f"skipped {len(bad)} unreadable file(s) in {root}: "
                f"{'; '.join(self.report.skipped_examples)}",
                stacklevel=3,
            )

    def _examples(self, bad: list[tuple[Path, str]]) -> list[str]:
        return [f"{p.relative_to(self.root)} ({reason})" for p, reason in bad[:SHOWN_SKIPPED]]

    def __len__(self) -> int:
        return len(self.files)

    @property
    def spec(self) -> DataSpec:
        return DataSpec(
            (self.channels, self.crop_size, self.crop_size), len(self.class_names), self.class_names
        )

    def to(self, device: torch.device | str) -> StreamingImageFolder:
        """Remember the device: batches go there as uint8 (pinned, so the copy can overlap)
        and are cropped, flipped and converted to float there."""
        self.device = torch.device(device)
        return self

    def prefetch(self, indices: torch.Tensor) -> None:
        """Start decoding the batch ``indices`` in the background (a later ``get`` uses it)."""
        key = tuple(indices.tolist())
        if key not in self._pending:
            self._pending[key] = [self._pool.submit(self._read, self.files[i]) for i in key]
        while len(self._pending) > MAX_PENDING:  # forget the oldest unclaimed batch
            for future in self._pending.pop(next(iter(self._pending))):
                future.cancel()

    def get(self, indices: torch.Tensor, generator: torch.Generator | None = None) -> Batch:
        key = tuple(indices.tolist())
        self.prefetch(indices)
        results = [future.result() for future in self._pending.pop(key)]
        readable = [k for k, (array, _) in enumerate(results) if array is not None]
        if not readable:
            raise DataError(
                f"every file of a batch from {self.root} failed to decode, e.g. "
                f"{self.files[key[0]]} ({results[0][1]})"
            )
        # A file that fails now is replaced by a readable one of the same batch (deterministic),
        # so the batch keeps its size; it is counted and the first one is named in a warning.
        source = []
        for k, (array, reason) in enumerate(results):
            if array is None:
                self._note_failure(key[k], reason)
            source.append(k if array is not None else readable[k % len(readable)])
        x = torch.from_numpy(np.stack([results[k][0] for k in source]))  # (B, H, W, C) uint8
        x = x.permute(0, 3, 1, 2)  # (B, C, H, W): moved, cropped and flipped as uint8
        x = image_batch(x.contiguous(), self.crop_size, self.flip, generator, self.device)
        y = None
        if self.labels is not None:
            y = self.labels[torch.tensor([key[k] for k in source])]
        return Batch(x, y)

    def _note_failure(self, index: int, reason: str) -> None:
        if index in self._failed:
            return
        self._failed.add(index)
        self.report.skipped += 1
        self.report.count -= 1
        example = f"{self.files[index].relative_to(self.root)} ({reason})"
        if len(self.report.skipped_examples) < SHOWN_SKIPPED:
            self.report.skipped_examples.append(example)
        if len(self._failed) == 1:
            warnings.warn(
                f"skipped unreadable file in {self.root}: {example}; later ones are "
                "counted in the data report",
                stacklevel=3,
            )
