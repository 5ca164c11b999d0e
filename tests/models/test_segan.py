"""SEGAN: layer arithmetic, the conditional discriminator, denoising any length, exact resume."""

import json

import numpy as np
import pytest
import torch

import artgan
from artgan.config import from_dict
from artgan.errors import ConfigError, DataError
from artgan.models.audio_windows import enhance_any_length, window_starts
from artgan.models.segan import SEGAN, SEGANConfig, de_emphasis, emphasis
from artgan.training.checkpoint import load_raw_tensors, resolve_checkpoint
from tests.conftest import TINY_MODELS, tiny_run_config

TINY = {k: v for k, v in TINY_MODELS["segan"].items() if k != "name"}


def tiny(**changes) -> SEGAN:
    torch.manual_seed(0)
    return SEGAN(from_dict(SEGANConfig, {**TINY, **changes}))


def test_the_paper_layout_maps_16384_samples_to_8_by_1024_and_back():
    c = SEGANConfig()
    assert c.channels == [16, 32, 32, 64, 64, 128, 128, 256, 256, 512, 1024]
    model = SEGAN(SEGANConfig(width=1, d_width=1))  # the paper's layout, 16x narrower
    assert model.latent_shape(2) == (2, 64, 8)
    noisy = torch.rand(2, 1, 16_384) - 0.5
    out = model.G(noisy, torch.randn(model.latent_shape(2)))
    assert out.shape == (2, 1, 16_384) and out.abs().max() <= 1
    assert model.D(out, a=noisy).shape == (2,)


def test_without_a_latent_the_generator_is_deterministic_and_takes_none():
    model = tiny(latent=False)
    noisy = torch.rand(3, 1, 256) - 0.5
    assert torch.equal(model.denoise(noisy, seed=1), model.denoise(noisy, seed=2))
    latent = tiny()
    assert not torch.equal(latent.denoise(noisy, seed=1), latent.denoise(noisy, seed=2))


def test_the_discriminator_judges_the_pair_not_the_sound_alone():
    model = tiny()
    clean, noisy = torch.rand(2, 1, 256) - 0.5, torch.rand(2, 1, 256) - 0.5
    assert not torch.equal(model.D(clean, a=noisy), model.D(clean, a=noisy.flip(-1)))


@pytest.mark.parametrize("upsample, steady", [("linear", True), ("transposed", False)])
def test_a_constant_comes_out_of_every_decoder_step_as_a_constant(upsample, steady):
    # A stride-2 transposed convolution makes even and odd samples with different halves of
    # its kernel, so a constant (a bias, silence) leaves it as a period-2 pattern and the stack
    # as steady tones at 16000 / 2^k Hz: the stripes under every recording the first bench run
    # showed. The default interpolates and then convolves, where a constant stays one.
    model = tiny(upsample=upsample)
    kernel = TINY["kernel"]
    for step in model.G.decoder:
        upsampler = step[0]
        conv = next(m for m in upsampler.modules() if hasattr(m, "in_channels"))
        constant = torch.full((1, conv.in_channels, 32), 0.3)
        with torch.no_grad():
            inner = upsampler(constant)[..., kernel:-kernel]  # away from the zero padding
        assert inner.shape[-1] == 64 - 2 * kernel
        spread = (inner - inner.mean(-1, keepdim=True)).abs().max().item()
        assert (spread < 1e-5) == steady, spread


def test_pre_emphasis_inverts_exactly():
    x = torch.rand(2, 1, 300) - 0.5
    back = de_emphasis(emphasis(x, 0.95).numpy(), 0.95)
    np.testing.assert_allclose(back, x.numpy(), atol=1e-5)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"window": 100}, "multiple of 2\\^depth"),
        ({"depth": 12}, "model.depth must be 1 to 11"),
        ({"d_norm": "vbn"}, "d_norm must be one of spectral, none"),
        ({"upsample": "nearest"}, "upsample must be one of linear, transposed"),
        ({"objective": {"diffaugment": "color"}}, "DiffAugment and ADA"),
    ],
)
def test_bad_settings_are_one_clear_error(changes, message):
    with pytest.raises(ConfigError, match=message):
        from_dict(SEGANConfig, {**TINY, **changes})


def test_sampling_needs_noisy_sounds_and_names_the_command():
    with pytest.raises(ConfigError, match="artgan denoise RUN noisy.wav"):
        tiny().sample(2, seed=0)


class Identity:
    """A denoiser that returns its input: whatever the windows do must give the sound back."""

    window = 64

    def denoise(self, noisy, seed=0, generator=None):
        assert noisy.shape[1:] == (1, self.window)
        return noisy.clone()


@pytest.mark.parametrize("length", [1, 37, 64, 65, 96, 64 * 5 + 13])
def test_any_length_goes_through_cross_faded_windows_unchanged(length):
    sound = np.random.default_rng(length).uniform(-1, 1, length).astype(np.float32)
    out = enhance_any_length(Identity(), sound, batch_size=2)
    assert out.shape == (length,)
    np.testing.assert_allclose(out, sound, atol=1e-6)


class ClicksAtItsEdges(Identity):
    """A denoiser whose output jumps at the last samples of every window, as a convolutional
    network without right-hand context can."""

    def denoise(self, noisy, seed=0, generator=None):
        out = noisy.clone()
        out[..., -2:] += 0.9
        out[..., :2] -= 0.9
        return out


@pytest.mark.parametrize("length", [300, 64 * 5 + 13])
def test_a_window_edge_artefact_does_not_reach_the_sound_ends(length):
    sound = np.random.default_rng(length).uniform(-0.5, 0.5, length).astype(np.float32)
    out = enhance_any_length(ClicksAtItsEdges(), sound, batch_size=2)
    assert np.abs(out - sound).max() < 1e-2  # before: the last 2 samples 0.9 off


def test_windows_overlap_by_half_and_end_at_the_end():
    assert window_starts(10, 64, 32) == [0]
    assert window_starts(200, 64, 32) == [0, 32, 64, 96, 128, 136]


def test_an_empty_or_broken_sound_is_refused():
    with pytest.raises(DataError, match="no samples"):
        enhance_any_length(Identity(), np.zeros(0))
    with pytest.raises(DataError, match="NaN"):
        enhance_any_length(Identity(), np.array([0.1, np.nan]))


def test_enhance_is_deterministic_by_seed_for_any_length():
    model = tiny()
    sound = np.random.default_rng(0).uniform(-0.5, 0.5, 700).astype(np.float32)
    a, b = model.enhance(sound, seed=3), model.enhance(sound, seed=3)
    assert a.shape == (700,) and np.array_equal(a, b) and np.abs(a).max() <= 1


def test_stopped_and_resumed_run_matches_an_uninterrupted_one(tmp_path, monkeypatch):
    """Noise is mixed on the fly from each batch's seeded draw and z from the saved RNG, so a
    resumed run reaches the weights of one that never stopped."""
    monkeypatch.setattr("artgan.data.noisy_speech.load_spoken_digit_voices", fake_voices)

    def config(steps, name):
        c = tiny_run_config("segan", steps=steps, run_dir=str(tmp_path / name), lr_decay="none")
        c["data"] = {"source": "spoken_digits", "pairing": "noise"}
        c["train"]["batch_size"] = 4
        return c

    straight = artgan.train(config(4, "straight"))
    artgan.train(config(2, "resumed"))
    resumed = artgan.train(resume=tmp_path / "resumed", steps=4)
    a = load_raw_tensors(resolve_checkpoint(straight))
    b = load_raw_tensors(resolve_checkpoint(resumed))
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-6, atol=1e-7)


def fake_voices(config, clip_length, held_out):
    """Eight short tones in place of the synthesised digits (no eSpeak in the test)."""
    from artgan.data.audio import AudioDataset
    from artgan.data.dataset import DataReport

    t = torch.arange(clip_length) / 16_000
    x = torch.stack([0.3 * torch.sin(2 * torch.pi * (200 + 50 * k) * t) for k in range(8)])
    return AudioDataset(x[:, None], None, [], DataReport(name="tones", count=8))


def test_a_run_saved_before_the_upsample_option_loads_and_resumes_with_transposed(tmp_path):
    # Runs trained before model.upsample existed used transposed convolutions; their saved
    # configs lack the key and must not get the new default (its weights would not fit).
    run_dir = tmp_path / "old"
    config = tiny_run_config("segan", steps=2, run_dir=str(run_dir))
    config["model"]["upsample"] = "transposed"
    config["data"] = {"source": "spoken_digits", "pairing": "noise"}
    config["train"]["batch_size"] = 4
    artgan.train(config)
    for file in [run_dir / "config.json", *run_dir.glob("checkpoints/step-*/config.json")]:
        saved = json.loads(file.read_text(encoding="utf-8"))
        del saved["model"]["upsample"]
        file.write_text(json.dumps(saved), encoding="utf-8")
    assert artgan.load(run_dir).config.upsample == "transposed"
    artgan.train(resume=run_dir, steps=3)
    assert artgan.load(run_dir).config.upsample == "transposed"
