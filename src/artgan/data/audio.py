"""Folders of sound files (WAV, FLAC, OGG) as fixed-length mono clips for WaveGAN.

Every file is decoded, mixed down to mono and resampled to 16 kHz (artgan/audio.py). A file
shorter than a clip is zero-padded at the end, as WaveGAN does with the 1 s SC09 words; a longer
file is cut into consecutive clips, and a last piece shorter than half a clip is left out.
Files that fail to decode are skipped, counted and named (the first few) in the data report and
one warning. First-level subfolders become class labels, as for image folders, and
``data.held_out_fraction`` holds files out by a hash of their path (data/folder.py).
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..audio import AUDIO_SUFFIXES, SAMPLE_RATE, load_mono
from ..config import DataConfig
from ..errors import DataError
from .dataset import DataReport, InMemoryDataset
from .folder import class_layout, find_images, select_files, skipped_examples, skipped_message
from .types import Batch, DataSpec

DEFAULT_CLIP_LENGTH = 16_384
DECODE_THREADS = min(4, os.cpu_count() or 1)


@dataclass
class AudioSpec(DataSpec):
    sample_rate: int = SAMPLE_RATE


class AudioDataset(InMemoryDataset):
    """Clips held in one float32 tensor (N, 1, T) in [-1, 1]."""

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor | None,
        class_names: list[str],
        report: DataReport,
        sample_rate: int = SAMPLE_RATE,
    ):
        super().__init__(x, y, class_names, report)
        self.sample_rate = sample_rate

    @property
    def kind(self) -> str:
        return "audio"

    @property
    def spec(self) -> AudioSpec:
        return AudioSpec(
            shape=tuple(self.x.shape[1:]),
            num_classes=len(self.class_names),
            class_names=self.class_names,
            sample_rate=self.sample_rate,
        )

    def get(self, indices: torch.Tensor, generator: torch.Generator | None = None) -> Batch:
        indices = indices.to(self.x.device)
        return Batch(self.x[indices], self.y[indices] if self.y is not None else None)


def find_audio(root: Path) -> list[Path]:
    """Sound files under ``root`` (any depth, case-insensitive suffix), hidden ones left out."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in AUDIO_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def is_audio_folder(root: Path) -> bool:
    """True when ``root`` holds more sound files than images (so it is no image folder)."""
    sounds = len(find_audio(root))
    return sounds > 0 and sounds > len(find_images(root))


def clips_of(samples: np.ndarray, length: int) -> list[np.ndarray]:
    """Cut (T,) samples into clips of ``length``: pad a short sound, drop a last piece shorter
    than half a clip."""
    if len(samples) <= length:
        return [np.pad(samples, (0, length - len(samples)))]
    out = [samples[i : i + length] for i in range(0, len(samples) - length + 1, length)]
    rest = len(samples) % length
    if rest >= length // 2:
        out.append(np.pad(samples[-rest:], (0, length - rest)))
    return out


def try_load(path: Path, sample_rate: int) -> tuple[np.ndarray | None, str]:
    try:
        return load_mono(path, sample_rate), ""
    except DataError as error:
        return None, str(error).removeprefix(f"cannot decode {path.name}: ")
    except Exception as error:  # noqa: BLE001  a decoder failing on a damaged file
        return None, str(error).split("\n")[0] or type(error).__name__


def load_audio_folder(
    root: Path,
    config: DataConfig,
    clip_length: int | None = None,
    name: str | None = None,
    files: list[Path] | None = None,
) -> AudioDataset:
    """All sound files of ``root`` (or the given ``files`` under it) as an AudioDataset of
    ``clip_length``-sample clips."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"audio folder not found: {root}")
    length = clip_length or DEFAULT_CLIP_LENGTH
    files = find_audio(root) if files is None else files
    if not files:
        raise DataError(f"no sound files ({' '.join(AUDIO_SUFFIXES)}) in {root} or its subfolders")
    classes = class_layout(root, files)
    files = select_files(root, files, config)

    with ThreadPoolExecutor(max_workers=DECODE_THREADS) as pool:
        decoded = list(pool.map(lambda f: try_load(f, SAMPLE_RATE), files))

    index = {c: k for k, c in enumerate(classes)}
    clips: list[np.ndarray] = []
    labels: list[int] = []
    bad: list[tuple[Path, str]] = []
    padded = cut = 0
    limit = config.in_memory_limit_mb * 2**20
    for path, (samples, reason) in zip(files, decoded):
        if samples is None:
            bad.append((path, reason))
            continue
        pieces = clips_of(samples, length)
        padded += len(samples) < length
        cut += len(samples) > length
        clips.extend(pieces)
        if classes:
            labels.extend([index[path.relative_to(root).parts[0]]] * len(pieces))
        if len(clips) * length * 4 > limit:
            raise DataError(
                f"the clips of {root} pass data.in_memory_limit_mb={config.in_memory_limit_mb}; "
                "use fewer files (data.limit) or raise the limit"
            )
    if not clips:
        raise DataError(
            f"no readable sound file in {root}: all {len(files)} files failed to decode, "
            f"e.g. {'; '.join(skipped_examples(root, bad))}"
        )
    report = DataReport(name=name or root.name or str(root), count=len(clips))
    report.notes.append(
        f"{len(files) - len(bad)} files as {len(clips)} mono clips of {length} "
        f"samples at {SAMPLE_RATE} Hz ({padded} padded, {cut} cut)"
    )
    if bad:
        report.skipped, report.skipped_examples = len(bad), skipped_examples(root, bad)
        warnings.warn(skipped_message(root, bad), stacklevel=2)
    x = torch.from_numpy(np.stack(clips).astype(np.float32))[:, None]  # (N, 1, T)
    y = torch.tensor(labels, dtype=torch.long) if classes else None
    return AudioDataset(x, y, classes, report)
