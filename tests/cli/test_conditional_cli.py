"""Conditional generation, latent exploration and augmentation export on the command line,
end to end on tiny runs."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from artgan.cli.main import main
from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.provenance.output import read_record
from tests.conftest import TINY_DCGAN_CLI

TINY = ["--data", "digits", *TINY_DCGAN_CLI, "--steps", "2"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cond")
    cond, plain = root / "cond", root / "plain"
    assert main(["train", "--model", "dcgan", "--conditional", *TINY, "--run-dir", str(cond)]) == 0
    assert main(["train", "--model", "dcgan", *TINY, "--run-dir", str(plain)]) == 0
    return cond, plain


def pixels(path):
    return np.asarray(Image.open(path))


def test_conditional_run_stores_its_class_names(runs):
    config = json.loads((runs[0] / "config.json").read_text())
    assert config["model"]["conditional"] is True
    assert config["model"]["class_names"] == [str(i) for i in range(10)]
    preview = pixels(next((runs[0] / "samples").glob("*.png")))
    # A row per class, enlarged by 2 to be at least 512 px wide (8 tiles: 274 px).
    assert preview.shape[0] == 2 * (10 * 32 + 11 * 2)


def test_sample_a_class_and_a_blend(runs, tmp_path):
    a, b, c, blend = (tmp_path / f"{name}.png" for name in ("a", "b", "c", "blend"))
    assert main(["sample", str(runs[0]), "--class", "3", "--n", "4", "--out", str(a)]) == 0
    assert main(["sample", str(runs[0]), "--class", "3", "--n", "4", "--out", str(b)]) == 0
    assert main(["sample", str(runs[0]), "--class", "7", "--n", "4", "--out", str(c)]) == 0
    blend_args = ["sample", str(runs[0]), "--class", "3:0.5,7:0.5", "--n", "4"]
    assert main([*blend_args, "--out", str(blend)]) == 0
    assert np.array_equal(pixels(a), pixels(b))
    assert not np.array_equal(pixels(a), pixels(c))
    assert read_record(blend)["params"]["class"] == "3:0.5,7:0.5"
    truncated = tmp_path / "truncated.png"
    assert main([*blend_args, "--truncation", "0.5", "--out", str(truncated)]) == 0
    assert not np.array_equal(pixels(truncated), pixels(blend))


def test_unknown_class_lists_the_valid_ones(runs, tmp_path, capsys):
    out = str(tmp_path / "x.png")
    assert main(["sample", str(runs[0]), "--class", "monet", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "unknown class 'monet'; valid classes: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9" in err
    assert "Traceback" not in err
    assert main(["sample", str(runs[1]), "--class", "3", "--out", out]) == 2
    assert "needs a class-conditional model" in capsys.readouterr().err


def test_conditional_needs_labelled_data(tmp_path, capsys):
    args = ["train", "--model", "mlp", "--conditional", "--data", "ring8", "--steps", "1"]
    assert main([*args, "--run-dir", str(tmp_path / "r")]) == 2
    assert "labelled data" in capsys.readouterr().err


def test_interpolate_between_classes(runs, tmp_path):
    out = tmp_path / "tour.gif"
    args = ["interpolate", str(runs[0]), "--classes", "1,2,1", "--steps", "5", "--n", "2"]
    assert main([*args, "--out", str(out)]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == 5
    assert read_record(out)["params"]["classes"] == ["1", "2", "1"]


def test_explore_writes_a_row_per_direction(runs, tmp_path, capsys):
    out = tmp_path / "directions.png"
    args = ["explore", str(runs[1]), "--out", str(out), "--count", "3", "--steps", "4"]
    assert main(args) == 0
    assert pixels(out).shape[:2] == (3 * 32 + 4 * 2, 4 * 32 + 5 * 2)
    assert "sefa 0 (eigenvalue" in capsys.readouterr().out


def test_invert_then_edit(runs, tmp_path, capsys):
    image, z = tmp_path / "real.png", tmp_path / "z.pt"
    Image.fromarray((np.random.default_rng(0).random((40, 48)) * 255).astype(np.uint8)).save(image)
    args = ["invert", str(runs[0]), str(image), "--out", str(z), "--steps", "5", "--restarts", "2"]
    assert main([*args, "--perceptual", "0", "--compare", str(tmp_path / "cmp.png")]) == 0
    out = capsys.readouterr().out
    assert "pixel MSE" in out and "class mixture" in out
    data = torch.load(z, weights_only=True)
    assert data["z"].shape == (1, 16) and data["labels"].shape == (1, 10)
    edited = tmp_path / "edited.png"
    edit = ["edit", str(runs[0]), str(z), "--direction", "3", "--strength", "2.0"]
    assert main([*edit, "--out", str(edited)]) == 0
    assert pixels(edited).shape == (32, 32)
    assert read_record(edited)["params"]["strength"] == 2.0
    assert main([*edit[:3], "--direction", "99", "--out", str(edited)]) == 2
    assert main(["edit", str(runs[1]), str(z), "--direction", "0", "--out", str(edited)]) == 2


def test_augment_writes_a_labelled_folder_with_provenance(runs, tmp_path, capsys):
    out = tmp_path / "synthetic"
    assert main(["augment", str(runs[0]), "--per-class", "3", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [str(i) for i in range(10)]
    assert all(len(list((out / str(i)).glob("*.png"))) == 3 for i in range(10))
    record = read_record(out / "7" / "00002.png")
    assert record["params"]["class"] == "7" and record["params"]["command"] == "augment"
    assert json.loads((out / "labels.json").read_text())["classes"]["7"] == "7"
    data = load_dataset(DataConfig(source=str(out)), 32)  # reads back as labelled data
    assert data.class_names == [str(i) for i in range(10)] and len(data) == 30
    assert main(["augment", str(runs[0]), "--per-class", "3", "--out", str(out)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert main(["augment", str(runs[1]), "--per-class", "1", "--out", str(tmp_path / "u")]) == 2


@pytest.fixture
def quick_classifier(tmp_path, monkeypatch):
    from artgan.metrics.extractors import classifier

    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(classifier, "STEPS", 30)
    monkeypatch.setattr(classifier, "BATCH", 32)


def test_eval_reports_per_class_scores_of_a_conditional_model(runs, quick_classifier, capsys):
    args = ["eval", str(runs[0]), "--features", "classifier:digits", "--n", "40"]
    assert main([*args, "--metrics", "fid"]) == 0
    out = capsys.readouterr().out
    assert "intra-FID (mean over classes)" in out and "class accuracy (asked-for class)" in out
    entry = json.loads((runs[0] / "metrics.json").read_text())[-1]
    scores = entry["metrics"]
    assert sorted(scores["intra_fid"]["per_class"]) == [str(i) for i in range(10)]
    assert 0 <= scores["class_accuracy"]["accuracy"] <= 1
    assert entry["floor"]["intra_fid"]["mean"] < scores["intra_fid"]["mean"]  # 2 steps: far off


def test_explore_label_directions_of_an_unconditional_model(
    runs, quick_classifier, tmp_path, monkeypatch
):
    from artgan.metrics.extractors.classifier import ClassifierFeatures

    def brightness_logits(self, images):  # an untrained model: split samples by brightness
        m = images.float().mean(dim=(1, 2, 3))
        m = m - m.median()
        return torch.stack([m, -m, *[torch.zeros_like(m)] * 8], dim=1)

    monkeypatch.setattr(ClassifierFeatures, "logits", brightness_logits)
    out = tmp_path / "labels.png"
    args = ["explore", str(runs[1]), "--kind", "labels", "--samples", "100", "--steps", "3"]
    assert main([*args, "--out", str(out)]) == 0
    assert pixels(out).shape[:2] == (10 * 32 + 11 * 2, 3 * 32 + 4 * 2)  # a row per class
    assert main(["explore", str(runs[0]), "--kind", "labels", "--out", str(out)]) == 2
