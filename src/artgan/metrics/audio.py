"""Fréchet distance of generated audio on log-mel statistics, with its real-vs-real floor.

The Fréchet Audio Distance (Kilgour et al. 2019) fits one Gaussian to the per-frame features of
each set of clips and takes the Fréchet distance between the two (Heusel et al. 2017). Its
VGGish network weights are not available offline, so the features here are the frames of the
VGGish front end itself (Hershey et al. 2017): 25 ms periodic-Hann windows every 10 ms at
16 kHz, STFT magnitudes on 64 HTK mel bands from 125 to 7,500 Hz, log(mel + 0.01). A distance
computed on them is not comparable with published FAD figures and names its extractor.

Any Fréchet distance is biased upwards at finite sample sizes, so a figure means something only
beside the floor: the distance between two disjoint sets of real clips of the same size as the
generated set (here a training subset against the held-out reference).
"""

from __future__ import annotations

import dataclasses

import torch

from ..audio import SAMPLE_RATE, as_waves, mel_spectrogram
from ..config import DataConfig
from ..data import load_dataset
from ..errors import DataError
from .accumulators import GaussianStats

EXTRACTOR = "log-mel-64 (VGGish front end: 25 ms / 10 ms, 64 mel bands 125-7500 Hz)"
N_MELS, WINDOW, HOP, N_FFT, FMIN, FMAX, LOG_OFFSET = 64, 400, 160, 512, 125.0, 7500.0, 0.01


def log_mel_frames(waves, sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """(N, 1, T) or (N, T) clips at 16 kHz -> (N * frames, 64) float64 feature rows."""
    if sample_rate != SAMPLE_RATE:
        raise DataError(f"the log-mel features are defined at {SAMPLE_RATE} Hz, got {sample_rate}")
    x = as_waves(waves)
    if x.shape[-1] < WINDOW:
        raise DataError(f"clips must be at least {WINDOW} samples long, got {x.shape[-1]}")
    if not torch.isfinite(x).all():
        raise DataError("the clips contain NaN or infinite samples")
    mel = mel_spectrogram(
        x,
        SAMPLE_RATE,
        N_FFT,
        HOP,
        N_MELS,
        win_length=WINDOW,
        fmin=FMIN,
        fmax=FMAX,
        power=1.0,
        center=False,
        normalized=False,
    )  # (N, 64, F)
    return torch.log(mel + LOG_OFFSET).transpose(1, 2).reshape(-1, N_MELS).double()  # (N*F, 64)


def log_mel_stats(waves, sample_rate: int = SAMPLE_RATE, batch_size: int = 256) -> GaussianStats:
    """Gaussian statistics of the log-mel frames of many clips, computed batch by batch."""
    stats = GaussianStats(N_MELS)
    for start in range(0, len(waves), batch_size):
        stats.update(log_mel_frames(waves[start : start + batch_size], sample_rate))
    return stats


def audio_frechet_distance(fake, reference, sample_rate: int = SAMPLE_RATE) -> dict:
    """Fréchet distance between the log-mel frames of ``fake`` and ``reference`` clips."""
    a, b = log_mel_stats(fake, sample_rate), log_mel_stats(reference, sample_rate)
    return {
        "fd": a.frechet_distance(b),
        "extractor": EXTRACTOR,
        "clips": len(fake),
        "reference_clips": len(reference),
        "frames": a.count,
        "reference_frames": b.count,
    }


def frechet_with_floor(
    fake, real, reference, sample_rate: int = SAMPLE_RATE, seed: int = 0
) -> dict:
    """The distance of ``fake`` to ``reference`` beside the floor: as many ``real`` clips as
    there are fake ones (drawn at random, seeded; disjoint from ``reference``, e.g. training
    clips) against ``reference``."""
    if len(real) < len(fake):
        raise DataError(
            f"the floor needs at least as many real clips as generated ones "
            f"({len(fake)}), got {len(real)}"
        )
    pick = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))[: len(fake)]
    ref = log_mel_stats(reference, sample_rate)
    fake_stats, real_stats = (
        log_mel_stats(fake, sample_rate),
        log_mel_stats(real[pick], sample_rate),
    )
    return {
        "fd": fake_stats.frechet_distance(ref),
        "floor": real_stats.frechet_distance(ref),
        "extractor": EXTRACTOR,
        "clips": len(fake),
        "reference_clips": len(reference),
    }


def evaluate_audio(model, data: DataConfig, n: int = 0, seed: int = 0) -> dict:
    """What ``artgan eval`` reports for an audio model: ``n`` generated clips (default: as many
    as the reference has) against the held-out split of ``data`` (``split=test``: built-in
    spoken_digits, or a folder with ``held_out_fraction`` > 0), beside the floor of training
    clips against the same reference."""
    length = model.config.clip_length
    reference = load_dataset(dataclasses.replace(data, split="test"), length)
    real = load_dataset(dataclasses.replace(data, split="train"), length)
    n = n or len(reference)
    fake = model.sample(n, seed=seed)
    return {
        **frechet_with_floor(fake, real.x.cpu(), reference.x.cpu(), seed=seed),
        "data": data.source,
        "seed": seed,
    }
