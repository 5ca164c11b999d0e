"""Denoising scores on held-out speech: PESQ (wide band), STOI and segmental SNR of the noisy
input, spectral subtraction, the Wiener filter and the model, side by side.

The test recordings are speech the model never trained on:

- noise mixed in (``data.pairing noise``): held-out utterances (spoken_digits: the held-out
  voices of the test split, ``spoken_digits.HELD_OUT_VARIANTS``; a folder: its held-out files,
  ``data.held_out_fraction``), each made of ``UTTERANCE_CLIPS`` clips with pauses between, as a
  sentence is, mixed with each noise kind in turn at each asked SNR (default 0 and 5 dB), by the
  training mixer (data/noise.py); babble comes from the other held-out utterances.
- paired folders: the held-out noisy/clean pairs (``data.held_out_fraction``), at their own SNR.

Every method gets the whole recording (the model through its overlapping windows), and every
score is averaged over the recordings of each SNR and over all of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from ..audio import SAMPLE_RATE, load_mono
from ..config import DataConfig
from ..data.audio import find_audio
from ..data.folder import select_files
from ..data.noise import make_noise, mix_at_snr, parse_noise_kinds
from ..data.noisy_speech import audio_files, decode_pair, held_out_config
from ..data.spoken_digits import (
    DEFAULT_TRAIN_CLIPS,
    HELD_OUT_VARIANTS,
    ensure_spoken_digits,
    voice_files,
)
from ..data.two_domain import pair_key
from ..errors import DataError
from .speech import SCORES
from .speech_baselines import BASELINES

DEFAULT_SNRS = (0.0, 5.0)
DEFAULT_RECORDINGS = 24  # held-out utterances (each scored at every SNR)
UTTERANCE_CLIPS = 3
LEAD_SECONDS, GAP_SECONDS = 0.25, (0.1, 0.3)  # silence before, and between, the clips


@dataclasses.dataclass
class TestRecording:
    clean: np.ndarray  # (T,) float32
    noisy: np.ndarray  # (T,)
    noise: str  # the noise kind, or "paired"
    snr: float | None  # the SNR it was mixed at (None: a recorded pair)


def held_out_speech(config: DataConfig) -> tuple[list[np.ndarray], str]:
    """Clean held-out sounds (whole files, 16 kHz mono) and what they are."""
    if config.source == "spoken_digits":
        folder = ensure_spoken_digits(config.size or DEFAULT_TRAIN_CLIPS, config.seed)
        files = voice_files(folder / "test", held_out=True)
        what = f"held-out voices ({', '.join(HELD_OUT_VARIANTS)}) of the spoken_digits test split"
    else:
        root = Path(config.source).expanduser()
        held = held_out_config(config)
        if held.held_out_fraction <= 0:
            raise DataError(
                f"the run trained on all of {root}; scoring needs held-out speech: train with "
                "--data.held_out_fraction 0.1, or pass --data with another folder of clean speech"
            )
        files = select_files(root, find_audio(root), held)
        what = f"held-out files of {root} (data.held_out_fraction {held.held_out_fraction:g})"
    return [load_mono(f, SAMPLE_RATE) for f in files], what


def utterances(clips: list[np.ndarray], count: int, seed: int) -> list[np.ndarray]:
    """``count`` sentences of ``UTTERANCE_CLIPS`` clips each, with pauses, drawn by ``seed``."""
    rng = np.random.default_rng(seed)
    lead = np.zeros(round(LEAD_SECONDS * SAMPLE_RATE), np.float32)
    out = []
    for _ in range(count):
        parts = [lead]
        for k in rng.choice(len(clips), size=min(UTTERANCE_CLIPS, len(clips)), replace=False):
            gap = round(rng.uniform(*GAP_SECONDS) * SAMPLE_RATE)
            parts += [clips[k].astype(np.float32), np.zeros(gap, np.float32)]
        out.append(np.concatenate(parts))
    return out


def mixed_recordings(
    sentences: list[np.ndarray], kinds: list[str], snrs, seed: int
) -> list[TestRecording]:
    """Every sentence at every SNR, the noise kinds taken in turn."""
    generator = torch.Generator().manual_seed(seed)
    out = []
    for snr in snrs:
        for i, clean in enumerate(sentences):
            kind = kinds[i % len(kinds)]
            length = len(clean)
            talkers = torch.stack([torch.from_numpy(fit(s, length)) for s in sentences])
            noise, _ = make_noise([kind], 1, length, generator, talkers, [i])
            clean_t = torch.from_numpy(clean)[None]
            noisy, scaled = mix_at_snr(clean_t, noise, torch.tensor([float(snr)]))
            out.append(TestRecording(scaled[0].numpy(), noisy[0].numpy(), kind, float(snr)))
    return out


def fit(samples: np.ndarray, length: int) -> np.ndarray:
    """Cut or zero-pad to ``length``."""
    return np.pad(samples, (0, max(0, length - len(samples))))[:length].astype(np.float32)


def paired_recordings(config: DataConfig, count: int) -> tuple[list[TestRecording], str]:
    held = held_out_config(config)
    root_noisy, files_noisy = audio_files(config.source, "noisy")
    root_clean, files_clean = audio_files(config.source_b, "clean")
    if held.held_out_fraction <= 0:
        raise DataError(
            "the run trained on every pair; scoring needs held-out pairs: train with "
            "--data.held_out_fraction 0.1"
        )
    by_key = {pair_key(root_clean, f): f for f in files_clean}
    matched = [f for f in files_noisy if pair_key(root_noisy, f) in by_key]
    chosen = select_files(root_noisy, matched, held)[:count]
    out = []
    for f in chosen:
        noisy, clean, reason = decode_pair(f, by_key[pair_key(root_noisy, f)])
        if not reason:
            out.append(TestRecording(clean, noisy, "paired", None))
    if not out:
        raise DataError(f"none of the held-out pairs of {root_noisy} could be read")
    return (
        out,
        f"held-out pairs of {root_noisy} (data.held_out_fraction {held.held_out_fraction:g})",
    )


def test_recordings(
    config: DataConfig, count: int = DEFAULT_RECORDINGS, snrs=DEFAULT_SNRS, seed: int = 0
) -> tuple[list[TestRecording], str]:
    """The held-out recordings a denoising run is scored on, and what they are."""
    if config.pairing != "noise":
        return paired_recordings(config, count)
    clips, what = held_out_speech(config)
    if len(clips) < 2:
        raise DataError(f"scoring needs at least 2 held-out sounds, found {len(clips)} ({what})")
    sentences = utterances(clips, count, seed)
    return mixed_recordings(sentences, parse_noise_kinds(config.noise), snrs, seed), what


def methods_for(model, seed: int = 0) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """What is compared: the noisy input itself, the classical baselines and the model."""
    return {
        "noisy": lambda x: x,
        **BASELINES,
        model.name: lambda x: model.enhance(x, seed=seed),
    }


def score_methods(
    recordings: list[TestRecording], methods: dict[str, Callable], names: list[str]
) -> dict:
    """{"all": {method: {metric: mean}}, "<snr> dB": {...}}: each method's mean scores over all
    recordings and over those of each SNR."""
    groups: dict[str, list[int]] = {"all": list(range(len(recordings)))}
    for i, r in enumerate(recordings):
        if r.snr is not None:
            groups.setdefault(f"{r.snr:g} dB", []).append(i)
    scores = {m: {n: [] for n in names} for m in methods}
    for r in recordings:
        for method, enhance in methods.items():
            out = np.asarray(enhance(r.noisy), dtype=np.float32)
            for name in names:
                scores[method][name].append(SCORES[name](r.clean, out))
    return {
        group: {
            method: {
                name: float(np.mean([scores[method][name][i] for i in rows])) for name in names
            }
            for method in methods
        }
        for group, rows in groups.items()
    }


def evaluate_denoising(
    model, config: DataConfig, names: list[str], count: int, seed: int, snrs=DEFAULT_SNRS
) -> dict:
    """``artgan eval``'s result for a denoising run (metrics/evaluate.py appends it)."""
    recordings, what = test_recordings(config, count, snrs, seed)
    table = score_methods(recordings, methods_for(model, seed), names)
    seconds = sum(len(r.clean) for r in recordings) / SAMPLE_RATE
    return {
        "metrics": table["all"][model.name],
        "floor": {},
        "comparison": table,
        "n": {"recordings": len(recordings), "seconds": round(seconds, 1)},
        "data": {"source": config.source, "held_out": what},
        "notes": [
            "pesq: wide band (P.862.2); stoi: Taal et al. 2011; segsnr: dB, frames clipped to "
            "[-10, 35]; baselines: metrics/speech_baselines.py",
        ],
    }
