"""(noisy, clean) speech pairs for denoising models (SEGAN): ``Batch(x=noisy, x_b=clean)``.

Two sources:

- ``data.pairing noise`` (segan's default): clean speech, with noise mixed in on the fly
  (data/noise.py). Each batch draws, from its own seeded generator (so a resumed run sees the
  same batches), a noise kind per clip from ``data.noise`` and an SNR uniform in
  [``data.snr_min``, ``data.snr_max``] dB (default -5 to 15, as the issue asks); babble is made
  from other clips of the same set. The clean speech is ``spoken_digits`` (its training voices
  only: the voices in ``spoken_digits.HELD_OUT_VARIANTS`` are kept for evaluation) or a folder
  of sound files (``data.held_out_fraction`` holds files out by a hash of their path).
- ``data.pairing paired`` with two folders of sound files (CLI ``--data-noisy DIR
  --data-clean DIR``: ``data.source`` and ``data.source_b``), matched by relative path without
  the extension (``noisy/a/01.wav`` <-> ``clean/a/01.flac``). Files without a partner, that
  fail to decode, or whose lengths differ by more than 10 ms are skipped, counted and named.

Sounds are mono 16 kHz and cut into clips of the model's window as data/audio.py does.
"""

from __future__ import annotations

import dataclasses
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from ..audio import SAMPLE_RATE
from ..config import DataConfig
from ..errors import DataError
from .audio import (
    DECODE_THREADS,
    DEFAULT_CLIP_LENGTH,
    AudioSpec,
    clips_of,
    find_audio,
    is_audio_folder,
    load_audio_folder,
    try_load,
)
from .dataset import DataReport
from .folder import SHOWN_SKIPPED, select_files
from .noise import make_noise, mix_at_snr, parse_noise_kinds
from .spoken_digits import load_spoken_digit_voices
from .two_domain import pair_key
from .types import Batch

MAX_LENGTH_MISMATCH = SAMPLE_RATE // 100  # 10 ms: a pair whose lengths differ more is skipped


class PairedAudio:
    """What both sources share: (N, 1, T) clean clips, the spec, moving to a device."""

    kind = "audio"
    class_names: list[str] = []
    y = None

    def __init__(self, clean: torch.Tensor, report: DataReport):
        self.clean = clean
        self.report = report

    def __len__(self) -> int:
        return len(self.clean)

    @property
    def spec(self) -> AudioSpec:
        return AudioSpec(shape=tuple(self.clean.shape[1:]), sample_rate=SAMPLE_RATE)


class NoisySpeechDataset(PairedAudio):
    """Clean clips; item ``i`` is (clean ``i`` with noise mixed in, clean ``i``)."""

    def __init__(
        self,
        clean: torch.Tensor,
        report: DataReport,
        kinds: list[str],
        snr_range: tuple[float, float],
    ):
        super().__init__(clean, report)
        self.kinds, self.snr_range = kinds, snr_range

    def to(self, device: torch.device) -> NoisySpeechDataset:
        return self  # mixed on the CPU from CPU draws (the batch stream moves the result)

    def get(self, indices: torch.Tensor, generator: torch.Generator | None = None) -> Batch:
        generator = generator if generator is not None else torch.Generator().manual_seed(0)
        clean = self.clean[indices][:, 0]  # (B, T)
        b, length = clean.shape
        talkers = self.clean[:, 0]
        noise, _ = make_noise(self.kinds, b, length, generator, talkers, indices.tolist())
        low, high = self.snr_range
        snr = low + (high - low) * torch.rand(b, generator=generator)
        noisy, clean = mix_at_snr(clean, noise, snr)
        return Batch(noisy[:, None], x_b=clean[:, None])  # (B, 1, T) each


class PairedFoldersDataset(PairedAudio):
    """Noisy and clean clips cut alike from files matched by name."""

    def __init__(self, noisy: torch.Tensor, clean: torch.Tensor, report: DataReport):
        super().__init__(clean, report)
        self.noisy = noisy

    def to(self, device: torch.device) -> PairedFoldersDataset:
        self.noisy, self.clean = self.noisy.to(device), self.clean.to(device)
        return self

    def get(self, indices: torch.Tensor, generator: torch.Generator | None = None) -> Batch:
        i = indices.to(self.clean.device)
        return Batch(self.noisy[i], x_b=self.clean[i])


# ----------------------------------------------------------------------------------- loading


def load_noisy_speech(config: DataConfig, clip_length: int | None = None) -> NoisySpeechDataset:
    """Clean speech from ``config.source`` with noise mixed in on the fly (module docstring)."""
    if config.source_b:
        raise DataError(
            "noise is mixed into one folder of clean speech (--data); for two folders of "
            "noisy and clean files use --data-noisy DIR --data-clean DIR"
        )
    kinds = parse_noise_kinds(config.noise)
    length = clip_length or DEFAULT_CLIP_LENGTH
    if config.source == "spoken_digits":
        clean = load_spoken_digit_voices(config, length, held_out=config.split == "test")
    else:
        path = Path(config.source).expanduser()
        if not (path.is_dir() and is_audio_folder(path)):
            raise DataError(
                f"{config.source} is not a folder of sound files; denoising trains on clean "
                "speech (spoken_digits or a folder of WAV/FLAC/OGG files) or on "
                "--data-noisy DIR --data-clean DIR"
            )
        clean = load_audio_folder(path, config, length)
    report = clean.report
    report.notes.append(
        f"noise mixed in on the fly: {', '.join(kinds)} at {config.snr_min:g} to "
        f"{config.snr_max:g} dB SNR"
    )
    return NoisySpeechDataset(clean.x, report, kinds, (config.snr_min, config.snr_max))


def load_paired_folders(config: DataConfig, clip_length: int | None = None) -> PairedFoldersDataset:
    """Noisy files in ``config.source`` matched by name with clean ones in ``config.source_b``."""
    length = clip_length or DEFAULT_CLIP_LENGTH
    root_noisy, files_noisy = audio_files(config.source, "noisy")
    root_clean, files_clean = audio_files(config.source_b, "clean")
    by_key = {pair_key(root_clean, f): f for f in files_clean}
    keys_noisy = {pair_key(root_noisy, f) for f in files_noisy}
    unmatched = sorted(keys_noisy ^ set(by_key))
    matched = [f for f in files_noisy if pair_key(root_noisy, f) in by_key]
    if not matched:
        raise DataError(
            f"no file in {root_noisy} has a partner of the same name in {root_clean} (e.g. "
            f"{pair_key(root_noisy, files_noisy[0])} vs {pair_key(root_clean, files_clean[0])}); "
            "noisy and clean files must have the same names (extension aside)"
        )
    matched = select_files(root_noisy, matched, config)
    pairs = [(f, by_key[pair_key(root_noisy, f)]) for f in matched]
    with ThreadPoolExecutor(max_workers=DECODE_THREADS) as pool:
        decoded = list(pool.map(lambda pair: decode_pair(*pair), pairs))
    noisy_clips: list[np.ndarray] = []
    clean_clips: list[np.ndarray] = []
    bad = [f"{key} (no partner)" for key in unmatched]
    for (noisy_file, _), (noisy, clean, reason) in zip(pairs, decoded):
        if reason:
            bad.append(f"{pair_key(root_noisy, noisy_file)} ({reason})")
            continue
        noisy_clips += clips_of(noisy, length)
        clean_clips += clips_of(clean, length)
    if not noisy_clips:
        raise DataError(
            f"no usable noisy/clean pair in {root_noisy} and {root_clean}: "
            f"{'; '.join(bad[:SHOWN_SKIPPED])}"
        )
    report = DataReport(
        name=f"{root_noisy.name}+{root_clean.name}",
        count=len(noisy_clips),
        notes=[
            f"{len(pairs) - (len(bad) - len(unmatched))} noisy/clean pairs matched by name as "
            f"{len(noisy_clips)} clips of {length} samples at {SAMPLE_RATE} Hz"
        ],
    )
    if bad:
        report.skipped, report.skipped_examples = len(bad), bad[:SHOWN_SKIPPED]
        more = f" and {len(bad) - SHOWN_SKIPPED} more" if len(bad) > SHOWN_SKIPPED else ""
        warnings.warn(
            f"skipped {len(bad)} file(s) of {root_noisy} / {root_clean} "
            f"({len(unmatched)} without a partner): {'; '.join(bad[:SHOWN_SKIPPED])}{more}",
            stacklevel=2,
        )

    def stack(clips: list[np.ndarray]) -> torch.Tensor:
        return torch.from_numpy(np.stack(clips).astype(np.float32))[:, None]  # (N, 1, T)

    return PairedFoldersDataset(stack(noisy_clips), stack(clean_clips), report)


def audio_files(source: str, role: str) -> tuple[Path, list[Path]]:
    root = Path(source).expanduser()
    if not root.is_dir():
        raise DataError(f"{role} speech folder not found: {root}")
    files = find_audio(root)
    if not files:
        raise DataError(f"no sound files (.wav .flac .ogg) in the {role} folder {root}")
    return root, files


def decode_pair(noisy_file: Path, clean_file: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """(noisy, clean, "") or (_, _, why the pair is skipped)."""
    noisy, reason = try_load(noisy_file, SAMPLE_RATE)
    if noisy is None:
        return None, None, f"noisy file: {reason}"
    clean, reason = try_load(clean_file, SAMPLE_RATE)
    if clean is None:
        return None, None, f"clean file: {reason}"
    if abs(len(noisy) - len(clean)) > MAX_LENGTH_MISMATCH:
        return None, None, f"lengths differ: {len(noisy)} and {len(clean)} samples"
    n = min(len(noisy), len(clean))
    return noisy[:n], clean[:n], ""


def is_paired_audio(config: DataConfig) -> bool:
    """Paired folders of sounds rather than of images."""
    path = Path(config.source).expanduser()
    return config.pairing == "paired" and bool(config.source_b) and is_audio_folder(path)


def held_out_config(config: DataConfig) -> DataConfig:
    """The same data's held-out part: spoken_digits' held-out voices (test split), or a
    folder's held-out files."""
    return dataclasses.replace(config, split="test", limit=0)
