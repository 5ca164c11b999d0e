"""``artgan eval`` end to end on tiny runs: the table with its floor, metrics.json appended,
the memorization sheet, the Python API, other families' own measures, one-line errors."""

import json

import pytest

import artgan
from artgan.cli.main import main
from artgan.metrics.extractors import classifier
from artgan.provenance.output import read_record
from artgan.training.trainer import train

from ..conftest import tiny_run_config


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A cache folder and a quick classifier recipe for the whole module."""
    with pytest.MonkeyPatch.context() as mp:
        path = tmp_path_factory.mktemp("cache")
        mp.setenv("ARTGAN_CACHE", str(path))
        mp.setattr(classifier, "STEPS", 30)
        mp.setattr(classifier, "BATCH", 32)
        yield path


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory, cache):
    run_dir = tmp_path_factory.mktemp("eval") / "dcgan"
    train(tiny_run_config("dcgan", steps=2, run_dir=str(run_dir)))
    return run_dir


def test_eval_prints_the_table_with_its_floor_and_appends_metrics(gan_run, capsys):
    sheet = gan_run / "nearest.png"
    args = ["eval", str(gan_run), "--features", "classifier:digits", "--n", "40"]
    more = ["--metrics", "fid,kid,pr,dc,is,memorization", "--sheet", str(sheet)]
    assert main([*args, *more]) == 0
    out = capsys.readouterr().out
    assert "floor (real vs real)" in out and "classifier:digits" in out
    for row in ("FID", "KID", "precision", "coverage", "IS", "classes found", "near-copies"):
        assert row in out
    entries = json.loads((gan_run / "metrics.json").read_text())
    assert len(entries) == 1
    entry = entries[0]
    assert entry["step"] == 2 and entry["extractor"]["name"] == "classifier:digits"
    assert entry["n"] == {"generated": 40, "reference": 40, "held_out": 40, "train": 1437}
    assert entry["floor"]["fid"] < entry["metrics"]["fid"]  # 2 steps of training: far off
    assert 0 <= entry["floor"]["precision"] <= 1 and entry["time"]
    assert sheet.is_file() and read_record(sheet)["params"]["kind"] == "memorization sheet"

    assert main([*args, "--metrics", "fid"]) == 0  # a second evaluation is appended
    assert len(json.loads((gan_run / "metrics.json").read_text())) == 2


def test_python_api_and_a_planted_copy(gan_run, monkeypatch):
    from artgan.config import DataConfig
    from artgan.data import load_dataset

    # A "model" that hands back training images 5 and 9 among its samples: both are found.

    train_x = load_dataset(DataConfig(source="digits", color="grey"), 32).x
    real_sample = artgan.load(gan_run).sample

    def copying_sample(n, seed=None, **options):
        x = real_sample(n, seed=seed, **options)
        x[3], x[11] = train_x[5].float() / 127.5 - 1, train_x[9].float() / 127.5 - 1
        return x

    model = artgan.load(gan_run)
    model.sample = copying_sample
    monkeypatch.setattr("artgan.metrics.evaluate.load_model", lambda *a, **k: model)
    before = (gan_run / "metrics.json").read_bytes() if (gan_run / "metrics.json").exists() else b""
    entry = artgan.evaluate(  # the public API
        gan_run, metrics="memorization", n=20, features="classifier:digits", save=False
    )
    memo = entry["metrics"]["memorization"]
    for space in ("features", "pixels"):
        assert memo[space]["rate"] >= 2 / 20
        closest = {(c["generated"], c["train"]) for c in memo[space]["closest"][:2]}
        assert closest == {(3, 5), (11, 9)}
        assert memo[space]["closest"][0]["distance"] == pytest.approx(0.0, abs=1e-4)
    assert entry["floor"]["memorization"]["pixels"]["rate"] <= 0.1
    after = (gan_run / "metrics.json").read_bytes() if (gan_run / "metrics.json").exists() else b""
    assert after == before  # save=False leaves metrics.json alone


def test_vae_reports_iwae_nats(tmp_path, cache, capsys):
    run_dir = tmp_path / "vae"
    train(tiny_run_config("vae", steps=2, run_dir=str(run_dir)))
    assert main(["eval", str(run_dir), "--metrics", "nll", "--n", "8", "--iwae-k", "3"]) == 0
    out = capsys.readouterr().out
    assert "log-likelihood (IWAE k=3)" in out and "nats" in out
    nll = json.loads((run_dir / "metrics.json").read_text())[0]["metrics"]["nll"]
    assert nll["k"] == 3 and nll["images"] == 8 and nll["iwae_nats"] < 0


def test_charrnn_reports_held_out_bits_per_character(tmp_path, capsys):
    run_dir = tmp_path / "rnn"
    train(tiny_run_config("charrnn", steps=2, run_dir=str(run_dir)))
    assert main(["eval", str(run_dir)]) == 0
    assert "bits per character" in capsys.readouterr().out
    entry = json.loads((run_dir / "metrics.json").read_text())[0]
    assert 0 < entry["metrics"]["bpc"] < 10 and entry["n"]["characters"] > 0


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--metrics", "fid,bogus"], "unknown metric bogus"),
        (["--metrics", "bpc"], "unknown metric bpc for image models"),
        (["--n", "0"], "--n must be at least 1"),
        (["--features", "vgg"], "unknown feature extractor 'vgg'"),
        (["--features", "inception", "--metrics", "fid"], "--inception-weights PATH"),
        (["--metrics", "nll"], "no likelihood over pixels"),
        (["--copy-quantile", "2"], "copy_quantile"),
    ],
)
def test_bad_inputs_are_one_line_errors(gan_run, capsys, monkeypatch, extra, message):
    monkeypatch.delenv("ARTGAN_INCEPTION_WEIGHTS", raising=False)
    assert main(["eval", str(gan_run), "--n", "8", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_run_is_a_one_line_error(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "nothing")]) == 2
    assert "no run or checkpoint" in capsys.readouterr().err


def test_wavegan_reports_the_log_mel_distance_with_its_floor(tmp_path, capsys):
    import numpy as np

    from artgan.audio import SAMPLE_RATE, wav_bytes

    sounds = tmp_path / "sounds"
    sounds.mkdir()
    t = np.arange(16_384) / SAMPLE_RATE
    for i in range(12):
        clip = 0.5 * np.sin(2 * np.pi * (300, 600, 1200)[i % 3] * t)
        (sounds / f"{i}.wav").write_bytes(wav_bytes(clip.astype(np.float32)[None], SAMPLE_RATE))
    config = tiny_run_config("wavegan", steps=1, run_dir=str(tmp_path / "wave"), batch_size=4)
    config["data"] = {"source": str(sounds), "held_out_fraction": 0.4}
    train(config)
    assert main(["eval", str(tmp_path / "wave")]) == 0
    out = capsys.readouterr().out
    assert "Fréchet distance (log-mel)" in out and "log-mel-64" in out
    entry = json.loads((tmp_path / "wave" / "metrics.json").read_text())[0]
    assert entry["floor"]["fd"] < entry["metrics"]["fd"]
