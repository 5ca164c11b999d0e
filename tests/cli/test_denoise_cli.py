"""``artgan train --model segan --data-noisy/--data-clean``, ``artgan denoise`` on sounds of any
length and ``artgan eval`` on held-out pairs, end to end on a tiny run."""

import numpy as np
import pytest

from artgan.audio import read_audio, wav_bytes
from artgan.cli.main import main
from artgan.provenance.output import read_record
from artgan.training.checkpoint import load_model
from tests.conftest import QUIET_CLI

TINY_SEGAN = ["--model.window", "256", "--model.width", "2", "--model.depth", "4"]
TINY_SEGAN += ["--model.kernel", "7", "--batch-size", "4", *QUIET_CLI]


def write_wav(path, samples):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(np.asarray(samples, np.float32), 16_000))


def sentence(seed: int, length: int = 12_000) -> np.ndarray:
    """Two voiced syllables with a pause: harmonics under a swelling envelope."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / 16_000
    pitch = rng.uniform(100, 220)
    voiced = sum(np.sin(2 * np.pi * k * pitch * t) / k for k in range(1, 8))
    envelope = np.clip(np.sin(2 * np.pi * 2.5 * t), 0, None) ** 2
    return (0.3 * envelope * voiced).astype(np.float32)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("segan")
    rng = np.random.default_rng(0)
    for k in range(8):
        clean = sentence(k)
        write_wav(root / "clean" / f"{k:02d}.wav", clean)
        write_wav(root / "noisy" / f"{k:02d}.wav", clean + 0.05 * rng.standard_normal(12_000))
    args = ["train", "--model", "segan", "--data-noisy", str(root / "noisy")]
    args += ["--data-clean", str(root / "clean"), "--steps", "2", "--run-dir", str(root / "r")]
    args += ["--data.held_out_fraction", "0.5", *TINY_SEGAN]
    assert main(args) == 0
    return root


@pytest.mark.parametrize("length", [100, 256, 3 * 256 + 37])
def test_denoise_writes_a_sound_of_the_input_length_through_the_output_point(run, length):
    noisy = sentence(9, length) + 0.05
    write_wav(run / f"in-{length}.wav", noisy)
    out = run / f"out-{length}.wav"
    assert main(["denoise", str(run / "r"), str(run / f"in-{length}.wav"), "--out", str(out)]) == 0
    samples, rate = read_audio(out)
    assert rate == 16_000 and samples.shape == (length, 1)
    # The WAV holds what the model made, within one 16-bit step.
    decoded, _ = read_audio(run / f"in-{length}.wav")
    expected = load_model(run / "r").enhance(decoded[:, 0], seed=0)
    np.testing.assert_allclose(samples[:, 0], expected, atol=1.5 / 32767)
    record = read_record(out)
    assert record["model_family"] == "segan" and record["params"]["command"] == "denoise"


def test_bad_audio_is_one_line_and_exit_2(run, capsys):
    (run / "bad.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really")
    out = run / "never.wav"
    assert main(["denoise", str(run / "r"), str(run / "bad.wav"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("artgan: error: cannot decode bad.wav") and len(err.splitlines()) == 1
    assert not out.exists()
    noisy = run / "in-100.wav"
    write_wav(noisy, sentence(9, 100))
    assert main(["denoise", str(run / "r"), str(noisy), "--out", str(noisy)]) == 2
    assert "is the noisy recording itself" in capsys.readouterr().err


def test_paired_folders_go_together(run, capsys):
    assert main(["train", "--model", "segan", "--data-noisy", str(run / "noisy")]) == 2
    assert "--data-noisy and --data-clean go together" in capsys.readouterr().err


def test_eval_scores_the_run_beside_the_noisy_input_and_the_baselines(run, capsys):
    assert main(["eval", str(run / "r"), "--n", "2"]) == 0
    out = capsys.readouterr().out
    for row in ("noisy", "spectral subtraction", "wiener", "segan"):
        assert f"\n{row} " in out
    assert "PESQ (wb)" in out and "STOI" in out and "segSNR (dB)" in out
    assert "held-out pairs" in out
