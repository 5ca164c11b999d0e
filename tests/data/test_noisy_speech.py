"""Denoising data: noise at the asked SNR, babble from other clips, seeded batches, paired
folders matched by name with what is skipped counted and said."""

import numpy as np
import pytest
import torch

from artgan.audio import wav_bytes
from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.data.dataset import DataReport
from artgan.data.noise import NOISE_KINDS, make_noise, mix_at_snr, parse_noise_kinds, snr_db
from artgan.data.noisy_speech import NoisySpeechDataset
from artgan.errors import ConfigError, DataError


def speech_like(n: int, length: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(length) / 16_000
    pitch = 100 + 200 * torch.rand(n, 1, generator=g)
    envelope = torch.sin(torch.pi * t / t[-1]) ** 2
    return 0.4 * envelope * torch.sin(2 * torch.pi * pitch * t)  # (n, T)


@pytest.mark.parametrize("kind", NOISE_KINDS)
@pytest.mark.parametrize("snr", [-5.0, 0.0, 5.0, 15.0])
def test_mixing_hits_the_asked_snr_within_a_tenth_of_a_db(kind, snr):
    clean = speech_like(6, 4000)
    noise, kinds = make_noise([kind], 6, 4000, torch.Generator().manual_seed(1), clean)
    assert kinds == [kind] * 6
    noisy, target = mix_at_snr(clean, noise, torch.full((6,), snr))
    assert (snr_db(target, noisy) - snr).abs().max() < 0.1
    assert noisy.abs().max() <= 1.0  # loud mixtures are scaled down with their target


def test_a_mixture_past_full_scale_scales_the_pair_and_keeps_the_snr():
    clean = 0.95 * torch.ones(1, 1000)
    noise = torch.randn(1, 1000, generator=torch.Generator().manual_seed(0))
    noisy, target = mix_at_snr(clean, noise, torch.tensor([-5.0]))
    assert noisy.abs().max() <= 0.99 and target.max() < 0.95
    assert abs(float(snr_db(target, noisy)[0]) + 5.0) < 0.1


def test_noise_kinds_have_their_spectra():
    g = torch.Generator().manual_seed(0)
    pink = make_noise(["pink"], 1, 16_000, g)[0][0]
    power = torch.fft.rfft(pink).abs() ** 2  # 1 Hz bins
    assert power[100:200].mean() > 5 * power[4000:5000].mean()  # 1/f: low bands louder
    hum = make_noise(["hum"], 1, 16_000, g)[0][0]
    spectrum = torch.fft.rfft(hum).abs()
    mains = 50 if spectrum[50] > spectrum[60] else 60
    peaks = set(torch.topk(spectrum, 5).indices.tolist())
    assert all(p % mains == 0 for p in peaks) and spectrum[1001:].max() < 1e-3 * spectrum.max()


def test_babble_is_made_of_other_clips():
    talkers = torch.zeros(4, 100)
    talkers[2] = 1.0  # only clip 2 makes sound: babble for clip 2 must be silent
    noise = make_noise(["babble"], 3, 100, torch.Generator().manual_seed(0), talkers, [2, 2, 2])
    assert torch.equal(noise[0], torch.zeros(3, 100))
    noise = make_noise(["babble"], 3, 100, torch.Generator().manual_seed(0), talkers, [0, 1, 3])
    assert (noise[0].abs().sum(1) > 0).any()


def test_unknown_noise_kinds_are_refused():
    assert parse_noise_kinds("hum, white") == ["hum", "white"]
    with pytest.raises(ConfigError, match="white, pink, hum, babble"):
        parse_noise_kinds("crowd")


def test_batches_are_a_function_of_their_seed_and_mix_every_kind():
    clean = speech_like(16, 512)[:, None]
    data = NoisySpeechDataset(clean, DataReport("x"), list(NOISE_KINDS), (-5.0, 15.0))
    i = torch.arange(16)
    a = data.get(i, torch.Generator().manual_seed(7))
    b = data.get(i, torch.Generator().manual_seed(7))
    c = data.get(i, torch.Generator().manual_seed(8))
    assert torch.equal(a.x, b.x) and torch.equal(a.x_b, b.x_b) and not torch.equal(a.x, c.x)
    snrs = snr_db(a.x_b[:, 0], a.x[:, 0])
    assert snrs.min() >= -5.1 and snrs.max() <= 15.1 and snrs.std() > 2


def write_wav(path, samples, rate=16_000):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(np.asarray(samples, np.float32), rate))


def paired_folders(root, names=("a", "b", "c")):
    clean_dir, noisy_dir = root / "clean", root / "noisy"
    for k, name in enumerate(names):
        clean = speech_like(1, 900, seed=k)[0].numpy()
        write_wav(clean_dir / f"{name}.wav", clean)
        write_wav(noisy_dir / f"{name}.wav", clean + 0.05 * np.sin(np.arange(900)))
    return noisy_dir, clean_dir


def test_paired_folders_match_by_name_and_say_what_they_skip(tmp_path):
    noisy_dir, clean_dir = paired_folders(tmp_path)
    write_wav(noisy_dir / "only-noisy.wav", np.zeros(900))
    write_wav(clean_dir / "only-clean.wav", np.zeros(900))
    (noisy_dir / "broken.wav").write_bytes(b"RIFF....not audio")
    write_wav(clean_dir / "broken.wav", np.zeros(900))
    write_wav(noisy_dir / "long.wav", np.zeros(2000))
    write_wav(clean_dir / "long.wav", np.zeros(900))
    config = DataConfig(source=str(noisy_dir), source_b=str(clean_dir), pairing="paired")
    with pytest.warns(UserWarning, match="skipped 4 file") as caught:
        data = load_dataset(config, 512)
    message = str(caught[0].message)
    assert len(message.splitlines()) == 1
    assert "2 without a partner" in message and "broken (noisy file:" in message
    assert "long (lengths differ" in message
    assert data.report.skipped == 4 and len(data) == 6  # 3 pairs of 900 samples: 2 clips each
    batch = data.get(torch.arange(6))
    assert batch.x.shape == batch.x_b.shape == (6, 1, 512)
    assert not torch.equal(batch.x, batch.x_b)


def test_folders_without_any_pair_are_one_clear_error(tmp_path):
    write_wav(tmp_path / "noisy" / "x.wav", np.zeros(100))
    write_wav(tmp_path / "clean" / "y.wav", np.zeros(100))
    config = DataConfig(
        source=str(tmp_path / "noisy"), source_b=str(tmp_path / "clean"), pairing="paired"
    )
    with pytest.raises(DataError, match="no file in .* has a partner of the same name"):
        load_dataset(config, 512)
