"""Spoken digits "zero".."nine", synthesised offline with eSpeak NG: a small speech set in the
spirit of SC09 (the digits of Speech Commands that WaveGAN was shown on), made on first use.

Each clip says one digit (clip ``i`` says digit ``i % 10``) with a voice drawn from eight English
accents and twelve voice variants (seven male, five female), a pitch in [20, 80], a speed in
[100, 220] words per minute and an amplitude in [50, 100], all from a generator seeded by
(data.seed, split, i). The speech is resampled to 16 kHz, trimmed of leading and trailing
silence (10 ms kept) and stored as 16-bit WAV under ``<cache>/spoken_digits/<version>/{train,
test}/<k>-<digit>/`` (``<cache>``: artgan/cache.py), beside a ``manifest.csv`` of every clip's
voice settings. A folder is only used once complete, so an interrupted synthesis starts again.

The test split (``data.split=test``) holds a quarter as many clips, drawn independently: it is
the reference for the audio Frechet distance and its real-vs-real floor.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE, load_mono, wav_bytes
from ..cache import cache_root
from ..config import DataConfig
from ..errors import DataError
from ..registry import DATASETS
from .audio import AudioDataset, load_audio_folder

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ACCENTS = (
    "en-us",
    "en-gb",
    "en-gb-scotland",
    "en-gb-x-rp",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-029",
    "en-us-nyc",
)
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5")
# Voice variants that denoising runs never train on, so that they are scored on voices they
# have not heard (data/noisy_speech.py): one male and one female of the twelve.
HELD_OUT_VARIANTS = ("m3", "f2")
DEFAULT_TRAIN_CLIPS = 2000
VERSION = 1  # bump when the synthesis recipe changes
SILENCE = 1e-3  # trimming threshold (about -60 dB)
KEEP_MS = 10


def espeak_binary() -> str:
    for name in ("espeak-ng", "espeak"):
        if path := shutil.which(name):
            return path
    raise DataError(
        "the spoken_digits dataset is synthesised with eSpeak NG, which is not installed: "
        "sudo apt-get install espeak-ng (Debian/Ubuntu), brew install espeak-ng (macOS)"
    )


def voice_settings(seed: int, split: str, i: int) -> dict:
    rng = np.random.default_rng([seed, 0 if split == "train" else 1, i])
    return {
        "digit": DIGITS[i % 10],
        "voice": f"{ACCENTS[rng.integers(len(ACCENTS))]}+{VARIANTS[rng.integers(len(VARIANTS))]}",
        "pitch": int(rng.integers(20, 81)),
        "speed": int(rng.integers(100, 221)),
        "amplitude": int(rng.integers(50, 101)),
    }


def trim(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    loud = np.nonzero(np.abs(samples) > SILENCE)[0]
    if len(loud) == 0:
        return samples
    keep = sample_rate * KEEP_MS // 1000
    return samples[max(0, loud[0] - keep) : loud[-1] + keep + 1]


def synthesise(binary: str, settings: dict, path: Path) -> None:
    """One clip: eSpeak NG's WAV (22.05 kHz) -> 16 kHz mono, trimmed, 16-bit WAV at ``path``."""
    raw = path.with_suffix(".espeak.wav")
    command = [
        binary,
        "-v",
        settings["voice"],
        "-p",
        str(settings["pitch"]),
        "-s",
        str(settings["speed"]),
        "-a",
        str(settings["amplitude"]),
        "-w",
        str(raw),
        settings["digit"],
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not raw.is_file():
        raise DataError(f"espeak-ng failed on {settings}: {result.stderr.strip()[:200]}")
    samples = trim(load_mono(raw, SAMPLE_RATE), SAMPLE_RATE)
    raw.unlink()
    path.write_bytes(wav_bytes(samples, SAMPLE_RATE))


def make_split(folder: Path, split: str, count: int, seed: int, binary: str) -> None:
    rows = []
    jobs = []
    for i in range(count):
        s = voice_settings(seed, split, i)
        digit = DIGITS.index(s["digit"])
        path = folder / split / f"{digit}-{s['digit']}" / f"{i:05d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows.append({"file": path.relative_to(folder).as_posix(), **s})
        jobs.append((s, path))
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        list(pool.map(lambda job: synthesise(binary, *job), jobs))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    (folder / split / "manifest.csv").write_text(buffer.getvalue(), encoding="utf-8")


def ensure_spoken_digits(
    train_clips: int = DEFAULT_TRAIN_CLIPS, seed: int = 0, root: Path | None = None
) -> Path:
    """The folder of the set for (train_clips, seed), synthesised when missing."""
    root = root or cache_root()
    folder = root / "spoken_digits" / f"v{VERSION}-n{train_clips}-seed{seed}"
    if (folder / "COMPLETE").is_file():
        return folder
    binary = espeak_binary()
    print(
        f"artgan: synthesising {train_clips + train_clips // 4} spoken digits with eSpeak NG "
        f"into {folder} (first use only)",
        file=sys.stderr,
    )
    tmp = folder.with_name(folder.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        make_split(tmp, "train", train_clips, seed, binary)
        make_split(tmp, "test", max(10, train_clips // 4), seed, binary)
        (tmp / "COMPLETE").write_text(f"espeak: {binary}\n", encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


@DATASETS.register("spoken_digits")
def load_spoken_digits(config: DataConfig, clip_length: int | None = None) -> AudioDataset:
    """Spoken digits zero..nine at 16 kHz (data.size training clips, default 2,000)."""
    folder = ensure_spoken_digits(config.size or DEFAULT_TRAIN_CLIPS, config.seed)
    split = "test" if config.split == "test" else "train"
    inner = dataclasses.replace(config, split="train", held_out_fraction=0.0)
    return load_audio_folder(folder / split, inner, clip_length, name="spoken_digits")


def voice_files(split_folder: Path, held_out: bool) -> list[Path]:
    """The clips of a split said by held-out voices (``held_out``) or by the others, from the
    split's manifest: a voice is held out when its variant is in ``HELD_OUT_VARIANTS``."""
    with open(split_folder / "manifest.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return sorted(
        split_folder.parent / row["file"]
        for row in rows
        if (row["voice"].split("+")[-1] in HELD_OUT_VARIANTS) == held_out
    )


def load_spoken_digit_voices(
    config: DataConfig, clip_length: int | None, held_out: bool
) -> AudioDataset:
    """Spoken digits of the training voices (``held_out`` False) or of the held-out ones, from
    ``config.split``."""
    folder = ensure_spoken_digits(config.size or DEFAULT_TRAIN_CLIPS, config.seed)
    split = folder / ("test" if config.split == "test" else "train")
    inner = dataclasses.replace(config, split="train", held_out_fraction=0.0)
    files = voice_files(split, held_out)
    name = f"spoken_digits ({'held-out' if held_out else 'training'} voices)"
    return load_audio_folder(split, inner, clip_length, name=name, files=files)
