"""Image folders too large for memory, decoded once into a uint8 memory map in the artgan cache.

A folder whose decoded images pass ``data.in_memory_limit_mb`` is decoded once into
``<cache>/decoded/<key>.npy`` (numpy's .npy format: (N, C, S, S) uint8, a quarter of the bytes
of float32). ``key`` is a sha256 of the files (relative paths and contents) and of the decode
settings (side, colour, crop, background, store version): a later run on the same files with the
same settings maps that file and decodes nothing; a changed file or setting makes a new entry.

Writes are atomic: rows are decoded into a temporary file beside the entry and renamed into place
when complete; ``<key>.json`` (the files that failed to decode) is renamed last and marks the
entry complete. A killed decode leaves only a temporary file (removed by a later run once it is
an hour old), never a half-written entry.

Reading maps the file read-only and copies only a batch's rows; the pages read are handed back
to the OS (madvise) after every ``RESIDENT_LIMIT`` bytes, so the process holds about a batch, not
the data set (the OS page cache keeps what it has room for). Batches are cropped, flipped and
converted to float on the training device (``image_batch``), with the same draws as in memory.
"""

from __future__ import annotations

import hashlib
import json
import math
import mmap
import os
import secrets
import shutil
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from ..cache import cache_root
from ..config import DataConfig
from ..errors import DataError
from .dataset import DataReport, image_batch
from .streaming import SHOWN_SKIPPED, Reader
from .types import Batch, DataSpec

STORE_VERSION = 1  # part of every key: bump when decoding changes what a row holds
STORE_FOLDER = "decoded"
TEMP_MAX_AGE_S = 3600  # a temporary file older than this is a killed decode's leftover
RESIDENT_LIMIT = 256 * 2**20  # bytes read through the map before its pages are handed back
FREE_SPACE_MARGIN = 256 * 2**20  # left free on the cache's disk after the store is written
IO_THREADS = min(4, os.cpu_count() or 1)


class StoreUnavailable(Exception):
    """The cache cannot hold the decoded images (no room, not writable): stream instead."""


def store_folder() -> Path:
    return cache_root() / STORE_FOLDER


def store_key(root: Path, files: list[Path], settings: dict) -> str:
    """sha256 of the decode settings and of every file's relative path and content."""

    def file_digest(path: Path) -> str:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(2**20):
                digest.update(chunk)
        return digest.hexdigest()

    with ThreadPoolExecutor(max_workers=IO_THREADS) as pool:
        digests = list(pool.map(file_digest, files))
    key = hashlib.sha256(
        json.dumps({"store": STORE_VERSION, **settings}, sort_keys=True).encode("utf-8")
    )
    for path, digest in zip(files, digests):
        key.update(f"{path.relative_to(root).as_posix()}\0{digest}\n".encode())
    return key.hexdigest()


class MappedArray:
    """A read-only map of a uint8 .npy file; the pages batches touched are handed back now and
    then, so reading stays within about ``RESIDENT_LIMIT`` of the process's memory."""

    def __init__(self, path: Path, shape: tuple[int, ...]):
        with open(path, "rb") as f:
            major, _ = np.lib.format.read_magic(f)
            read_header = (
                np.lib.format.read_array_header_1_0
                if major == 1
                else np.lib.format.read_array_header_2_0
            )
            found, fortran, dtype = read_header(f)
            if tuple(found) != tuple(shape) or fortran or dtype != np.uint8:
                raise ValueError(f"holds {dtype} {tuple(found)}, expected uint8 {tuple(shape)}")
            self.offset = f.tell()
            if os.fstat(f.fileno()).st_size < self.offset + math.prod(shape):
                raise ValueError("shorter than its header says")
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self.row_bytes = math.prod(shape[1:])
        self.array = np.frombuffer(
            self._map, dtype=np.uint8, count=math.prod(shape), offset=self.offset
        ).reshape(shape)  # (N, C, S, S), read-only
        with warnings.catch_warnings():  # torch warns that it is read-only: it is only read
            warnings.simplefilter("ignore", UserWarning)
            self.tensor = torch.from_numpy(self.array)
        self._since_release = 0

    def take(self, rows: np.ndarray) -> torch.Tensor:
        """A copy of ``rows`` (B, C, S, S); only their pages are read."""
        self.note_read(len(rows))
        return torch.from_numpy(self.array[rows])

    def note_read(self, rows: int) -> None:
        """Count rows read; hand the map's pages back once RESIDENT_LIMIT bytes were read."""
        self._since_release += rows * self.row_bytes
        if self._since_release > RESIDENT_LIMIT:
            self._advise(getattr(mmap, "MADV_DONTNEED", None), 0, len(self._map))
            self._since_release = 0

    def will_need(self, rows: np.ndarray) -> None:
        """Ask the OS to start reading ``rows`` (a later batch) in the background."""
        advice = getattr(mmap, "MADV_WILLNEED", None)
        for row in rows.tolist():
            start = self.offset + row * self.row_bytes
            aligned = start - start % mmap.PAGESIZE
            self._advise(advice, aligned, start + self.row_bytes - aligned)

    def _advise(self, advice: int | None, start: int, length: int) -> None:
        if advice is not None and hasattr(self._map, "madvise"):
            self._map.madvise(advice, start, length)


def remove_stale_temporaries(folder: Path) -> None:
    now = time.time()
    for leftover in folder.glob("*.tmp"):
        try:
            if now - leftover.stat().st_mtime > TEMP_MAX_AGE_S:
                leftover.unlink()
        except OSError:
            pass  # another process's, or gone already


def read_entry(path: Path, count: int, shape: tuple[int, ...]) -> tuple[MappedArray, dict] | None:
    """The complete entry at ``path`` (its map and failures), or None when there is none."""
    marker = path.with_suffix(".json")
    try:
        meta = json.loads(marker.read_text("utf-8"))
        if meta.get("count") != count:
            return None
        return MappedArray(path, (count, *shape)), {int(k): v for k, v in meta["failures"].items()}
    except (OSError, ValueError, KeyError, AttributeError):
        return None  # missing, half-deleted or damaged: decoded again


def decode_entry(
    root: Path, path: Path, files: list[Path], read: Reader, shape: tuple[int, ...]
) -> dict[int, str]:
    """Decode ``files`` into the entry ``path`` (atomically); returns index -> failure reason."""
    folder = path.parent
    nbytes = len(files) * math.prod(shape)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(folder).free
    except OSError as error:
        raise StoreUnavailable(f"cannot write to the cache {folder}: {error}") from None
    if free < nbytes + FREE_SPACE_MARGIN:
        raise StoreUnavailable(
            f"the cache {folder} has {free / 2**20:.0f} MB free; the decoded images need "
            f"{nbytes / 2**20:.0f} MB (set ARTGAN_CACHE to a larger disk)"
        )
    remove_stale_temporaries(folder)
    temporary = folder / f"{path.stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    failures: dict[int, str] = {}
    try:
        # open_memmap writes the .npy header and sizes the file; rows are then written in place.
        offset = np.lib.format.open_memmap(
            temporary, mode="w+", dtype=np.uint8, shape=(len(files), *shape)
        ).offset
        lock = threading.Lock()
        with open(temporary, "r+b") as out:

            def decode_row(i: int) -> None:
                array, reason = read(files[i])
                if array is None:
                    failures[i] = reason
                    return
                row = np.ascontiguousarray(array.transpose(2, 0, 1))  # (H, W, C) -> (C, H, W)
                with lock:
                    out.seek(offset + i * row.nbytes)
                    out.write(row.data)

            with ThreadPoolExecutor(max_workers=IO_THREADS) as pool:
                list(pool.map(decode_row, range(len(files))))
            if len(failures) == len(files):
                examples = [f"{files[i].relative_to(root)} ({r})" for i, r in failures.items()]
                raise DataError(
                    f"no readable image in {root}: all {len(files)} files failed to decode, "
                    f"e.g. {'; '.join(examples[:SHOWN_SKIPPED])}"
                )
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
        meta = {"store": STORE_VERSION, "count": len(files), "shape": list(shape)}
        meta["failures"] = {str(i): failures[i] for i in sorted(failures)}
        marker = temporary.with_suffix(".json.tmp")
        marker.write_text(json.dumps(meta) + "\n", "utf-8")
        os.replace(marker, path.with_suffix(".json"))  # last: the entry is complete
    except OSError as error:
        raise StoreUnavailable(f"cannot write the decoded images to {folder}: {error}") from None
    finally:
        for leftover in (temporary, temporary.with_suffix(".json.tmp")):
            leftover.unlink(missing_ok=True)
    return failures


class MappedImageFolder:
    """Same interface as InMemoryDataset: ``len``, ``kind``, ``spec``, ``class_names``, ``y``,
    ``report``, ``get(indices, generator)``, ``prefetch(indices)`` and ``to(device)``."""

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
        settings: dict,
    ):
        self.root = root
        self.class_names = list(class_names)
        self.channels, self.side = stored  # what ``read`` returns: channels, side
        self.crop_size = crop_size  # 0: stored at the training size
        self.flip = config.flip
        self.device = torch.device("cpu")
        shape = (self.channels, self.side, self.side)
        self.path = store_folder() / f"{store_key(root, files, settings)}.npy"
        entry = read_entry(self.path, len(files), shape)
        self.decoded_now = entry is None
        if entry is None:
            started = time.perf_counter()
            failures = decode_entry(root, self.path, files, read, shape)
            seconds = time.perf_counter() - started
            entry = read_entry(self.path, len(files), shape)
            if entry is None:
                raise StoreUnavailable(f"{self.path} could not be read back after writing it")
            note = f"decoded once ({seconds:.1f} s) into the uint8 memory map {self.path}"
        else:
            note = f"read from the uint8 memory map {self.path} (decoded by an earlier run)"
        self.store, failures = entry
        keep = [i for i in range(len(files)) if i not in failures]
        self.rows = torch.tensor(keep, dtype=torch.long)
        self.y = torch.tensor([labels[i] for i in keep]) if labels is not None else None
        bad = [f"{files[i].relative_to(root)} ({failures[i]})" for i in sorted(failures)]
        size_mb = len(files) * math.prod(shape) / 2**20
        self.report = DataReport(
            name=root.name or str(root),
            count=len(keep),
            skipped=len(bad),
            skipped_examples=bad[:SHOWN_SKIPPED],
            notes=[f"{note}, {size_mb:.0f} MB (larger than data.in_memory_limit_mb)"],
        )
        if bad:
            more = f" and {len(bad) - SHOWN_SKIPPED} more" if len(bad) > SHOWN_SKIPPED else ""
            warnings.warn(
                f"skipped {len(bad)} unreadable file(s) in {root}: "
                f"{'; '.join(bad[:SHOWN_SKIPPED])}{more}",
                stacklevel=3,
            )

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def spec(self) -> DataSpec:
        side = self.crop_size or self.side
        return DataSpec((self.channels, side, side), len(self.class_names), self.class_names)

    def to(self, device: torch.device | str) -> MappedImageFolder:
        """Remember the device: batches go there as uint8 and become float there."""
        self.device = torch.device(device)
        return self

    def prefetch(self, indices: torch.Tensor) -> None:
        self.store.will_need(self.rows[indices.cpu()].numpy())

    def get(self, indices: torch.Tensor, generator: torch.Generator | None = None) -> Batch:
        indices = indices.cpu()
        rows = self.rows[indices]
        y = self.y[indices] if self.y is not None else None
        if self.device.type == "cpu":  # crop windows read straight from the map: one copy
            self.store.note_read(len(rows))
            x = image_batch(self.store.tensor, self.crop_size, self.flip, generator, rows=rows)
            return Batch(x, y)
        x = self.store.take(rows.numpy())  # (B, C, S, S) uint8, then to the device
        return Batch(image_batch(x, self.crop_size, self.flip, generator, self.device), y)
