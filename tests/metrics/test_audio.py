"""Audio Fréchet distance on log-mel frames: feature shape, mel bands, known answers, floor."""

import numpy as np
import pytest
import torch

from artgan.audio import SAMPLE_RATE, mel_filterbank, mel_to_hz
from artgan.errors import DataError
from artgan.metrics.audio import (
    N_MELS,
    audio_frechet_distance,
    frechet_with_floor,
    log_mel_frames,
)


def tones(freqs, n: int, seed: int = 0, length: int = 16_384) -> torch.Tensor:
    """``n`` clips, each a tone at one of ``freqs`` with a random phase and a little noise."""
    g = np.random.default_rng(seed)
    t = np.arange(length) / SAMPLE_RATE
    clips = [
        0.5 * np.sin(2 * np.pi * freqs[i % len(freqs)] * t + g.uniform(0, 6.3))
        + 0.01 * g.standard_normal(length)
        for i in range(n)
    ]
    return torch.tensor(np.stack(clips), dtype=torch.float32)[:, None]  # (n, 1, T)


def test_frames_follow_the_vggish_front_end():
    x = tones([440], 3)
    frames = log_mel_frames(x)
    assert frames.shape == (3 * (1 + (16_384 - 400) // 160), N_MELS)
    silence = log_mel_frames(torch.zeros(1, 1, 16_384))
    assert torch.allclose(silence, torch.full_like(silence, np.log(0.01)))


def test_a_tone_at_a_band_centre_peaks_in_that_band():
    fb = mel_filterbank(SAMPLE_RATE, 512, N_MELS, 125.0, 7500.0)
    assert fb.shape == (N_MELS, 257) and fb.min() >= 0 and fb.max() <= 1
    band = 40
    mel_edges = np.linspace(
        2595 * np.log10(1 + 125 / 700), 2595 * np.log10(1 + 7500 / 700), N_MELS + 2
    )
    centre_hz = float(mel_to_hz(mel_edges[band + 1]))
    frames = log_mel_frames(tones([centre_hz], 1))
    assert int(frames.mean(0).argmax()) == band


def test_distance_is_zero_to_itself_and_grows_with_difference():
    a = tones([300, 600, 1200], 30, seed=0)
    assert audio_frechet_distance(a, a)["fd"] == pytest.approx(0.0, abs=1e-6)
    near = audio_frechet_distance(a, tones([300, 600, 1200], 30, seed=1))["fd"]
    far = audio_frechet_distance(a, tones([2000, 3000], 30, seed=1))["fd"]
    assert 0 < near < far


def test_floor_compares_real_with_real_at_the_same_size():
    real = tones([300, 600, 1200], 60, seed=0)
    reference = tones([300, 600, 1200], 30, seed=1)
    noise = torch.rand(20, 1, 16_384) * 0.2 - 0.1
    result = frechet_with_floor(noise, real, reference)
    assert result["clips"] == 20 and result["floor"] < result["fd"]
    with pytest.raises(DataError, match="at least as many real clips"):
        frechet_with_floor(real, noise, reference)
    with pytest.raises(DataError, match="16000 Hz"):
        log_mel_frames(real, sample_rate=22_050)


def test_evaluate_audio_scores_a_model_against_a_held_out_folder(tmp_path):
    from artgan.audio import wav_bytes
    from artgan.config import DataConfig
    from artgan.metrics.audio import evaluate_audio
    from artgan.models.wavegan import WaveGAN, WaveGANConfig

    for i, clip in enumerate(tones([300, 600, 1200], 12)):
        (tmp_path / f"{i}.wav").write_bytes(wav_bytes(clip, SAMPLE_RATE))
    torch.manual_seed(0)
    model = WaveGAN(WaveGANConfig(width=1, z_dim=4))
    result = evaluate_audio(model, DataConfig(source=str(tmp_path), held_out_fraction=0.4))
    assert 0 < result["reference_clips"] < 12 and result["clips"] == result["reference_clips"]
    assert result["floor"] < result["fd"]
