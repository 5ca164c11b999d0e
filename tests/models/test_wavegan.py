"""WaveGAN: layer arithmetic, phase shuffle, the objective default, the run end to end."""

import numpy as np
import pytest
import torch

from artgan.cli.main import main
from artgan.config import from_dict
from artgan.errors import ConfigError
from artgan.models.base import Batch, DataSpec
from artgan.models.wavegan import (
    STRIDES,
    PhaseShuffle,
    WaveGAN,
    WaveGANConfig,
    same_padding,
)
from artgan.provenance.output import read_record


@pytest.mark.parametrize("kernel", [4, 5, 24, 25])
@pytest.mark.parametrize("stride", [2, 4])
def test_same_padding_scales_the_length_exactly(kernel, stride):
    padding, output_padding = same_padding(kernel, stride)
    up = torch.nn.ConvTranspose1d(1, 1, kernel, stride, padding, output_padding)
    down = torch.nn.Conv1d(1, 1, kernel, stride, padding)
    assert up(torch.zeros(1, 1, 16)).shape[-1] == 16 * stride
    assert down(torch.zeros(1, 1, 64)).shape[-1] == 64 // stride


@pytest.mark.parametrize("length", sorted(STRIDES))
def test_generator_and_discriminator_fit_every_clip_length(length):
    torch.manual_seed(0)
    m = WaveGAN(WaveGANConfig(clip_length=length, width=1, z_dim=4))
    x = m.sample(2, seed=0)
    assert x.shape == (2, 1, length) and x.abs().max() <= 1
    assert m.D(x).shape == (2,)
    assert m.D.features(x).shape[-1] == 16


def test_phase_shuffle_shifts_each_example_with_reflection():
    torch.manual_seed(0)
    shuffle = PhaseShuffle(2).train()
    x = torch.arange(8.0).repeat(64, 3, 1)  # (64, 3, 8): every channel 0..7
    y = shuffle(x)
    assert torch.equal(y[:, 0], y[:, 2])  # one shift per example, the same on every channel
    shifts = set()
    for row in y[:, 0]:
        s = int(row[4] - x[0, 0, 4])  # out[t] = x[t - s] away from the edges
        shifts.add(-s)
        expected = torch.tensor([abs(t + s) if t + s < 8 else 14 - (t + s) for t in range(8)])
        assert torch.equal(row, expected.float())  # reflected at both ends
    assert shifts == {-2, -1, 0, 1, 2}
    assert torch.equal(shuffle.eval()(x), x)  # off when not training


def test_objective_defaults_to_wgan_gp_even_when_other_fields_are_set():
    c = from_dict(WaveGANConfig, {"objective": {"n_critic": 3}})
    assert c.objective.loss == "wgan-gp" and c.objective.critic_steps == 3
    assert from_dict(WaveGANConfig, {"objective": {"loss": "hinge"}}).objective.loss == "hinge"
    with pytest.raises(ConfigError, match="16384, 32768, 65536"):
        WaveGANConfig(clip_length=20_000)
    with pytest.raises(ConfigError, match="mono audio clips of 16384"):
        WaveGANConfig().with_data(DataSpec(shape=(3, 64, 64)))


def test_packing_and_minibatch_std_reach_the_discriminator():
    torch.manual_seed(0)
    m = WaveGAN(
        from_dict(
            WaveGANConfig, {"width": 1, "z_dim": 4, "objective": {"pack": 2, "minibatch_std": True}}
        )
    )
    real = torch.rand(4, 1, 16_384) * 2 - 1
    losses = m.train_step("D", Batch(real), 0)
    assert torch.isfinite(losses["loss"]) and "gp" in losses


def write_tones(folder, n: int = 6) -> None:
    from artgan.audio import SAMPLE_RATE, wav_bytes

    folder.mkdir()
    t = np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE
    for i in range(n):
        (folder / f"{i}.wav").write_bytes(
            wav_bytes(0.5 * np.sin(2 * np.pi * 200 * (i + 1) * t), SAMPLE_RATE)
        )


def test_train_and_sample_sounds_from_the_command_line(tmp_path):
    write_tones(tmp_path / "sounds")
    run = tmp_path / "w"
    assert (
        main(
            [
                "train",
                "--model",
                "wavegan",
                "--data",
                str(tmp_path / "sounds"),
                "--steps",
                "2",
                "--run-dir",
                str(run),
                "--model.width",
                "1",
                "--model.z_dim",
                "4",
                "--model.objective.n_critic",
                "1",
                "--batch-size",
                "2",
                "--train.progress",
                "false",
                "--train.tensorboard",
                "false",
            ]
        )
        == 0
    )
    assert (run / "samples" / "step-00000002.png").is_file()  # the spectrogram sheet
    out = tmp_path / "out"
    assert main(["sample", str(run), "--n", "3", "--seed", "4", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.wav")) == ["0000.wav", "0001.wav", "0002.wav"]
    assert (out / "spectrograms.png").is_file()
    record = read_record(out / "0002.wav")
    assert record["model_family"] == "wavegan" and record["params"]["index"] == 2
    assert record["params"]["sample_rate"] == 16_000
    again = tmp_path / "again"
    assert main(["sample", str(run), "--n", "3", "--seed", "4", "--out", str(again)]) == 0
    # Same seed, same sound (the signed C2PA manifest in the file differs on every write).
    assert wav_frames(again / "0001.wav") == wav_frames(out / "0001.wav")
    one = tmp_path / "one.wav"
    assert main(["sample", str(run), "--n", "1", "--seed", "5", "--out", str(one)]) == 0
    assert one.with_suffix(".png").is_file()
    assert main(["sample", str(run), "--n", "2", "--out", str(tmp_path / "two.wav")]) == 2


def wav_frames(path) -> bytes:
    import wave

    with wave.open(str(path)) as sound:
        return sound.readframes(sound.getnframes())
