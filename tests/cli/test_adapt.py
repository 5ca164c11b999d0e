"""``artgan adapt`` end to end on tiny data, for each method, then ``artgan eval`` on a
labelled folder written by ``artgan data export``; bad input is one line and exit 2."""

import json

import numpy as np
import pytest
from PIL import Image

import artgan
from artgan.cli.main import main
from tests.conftest import QUIET_CLI, tiny_run_config

TINY = ["--model.image_size", "16", "--model.widths", "4,6", "--model.hidden", "8"]
TINY += ["--steps", "2", "--batch-size", "4", "--data.limit", "40", *QUIET_CLI]
TINY += ["--train.sample_every", "0"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Unlabelled target images (colour noise) and a labelled test folder of digits."""
    root = tmp_path_factory.mktemp("adapt")
    target = root / "target"
    target.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        pixels = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(target / f"{i}.png")
    test = root / "target_test"
    assert (
        main(["data", "export", "digits", "--split", "test", "--limit", "30", "--out", str(test)])
        == 0
    )
    return root, target, test


def adapt(folders, method, name, *extra):
    root, target, _ = folders
    run = root / name
    args = ["adapt", "--source", "digits", "--target", str(target), "--method", method]
    return main([*args, "--run-dir", str(run), *TINY, *extra]), run


@pytest.fixture(scope="module")
def translator(folders):
    """A CycleGAN run (one step) that translates 16 px colour images."""
    config = tiny_run_config("cyclegan", steps=1, run_dir=str(folders[0] / "cyclegan"))
    return artgan.train(config)


@pytest.mark.parametrize("method", ["source-only", "dann", "pixel"])
def test_each_method_trains_a_classifier_that_eval_scores(folders, translator, method, capsys):
    extra = ["--translator", str(translator)] if method == "pixel" else []
    status, run = adapt(folders, method, method, *extra)
    assert status == 0
    config = json.loads((run / "config.json").read_text())
    assert config["model"]["name"] == ("dann" if method == "dann" else "classifier")
    assert config["data"]["color"] == "rgb"
    capsys.readouterr()
    assert main(["eval", str(run), "--data", str(folders[2])]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "images 30" in out
    entry = json.loads((run / "metrics.json").read_text())[-1]
    assert 0.0 <= entry["metrics"]["accuracy"] <= 1.0
    assert set(entry["metrics"]["per_class"]) <= set("0123456789")


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_an_unknown_method_is_one_line(folders, capsys):
    assert adapt(folders, "magic", "bad-method")[0] == 2
    assert "unknown adaptation method 'magic'" in one_line_error(capsys)


def test_a_translator_that_is_not_a_translator_is_one_line(folders, capsys):
    status, classifier = adapt(folders, "source-only", "not-a-translator")
    assert status == 0
    capsys.readouterr()
    assert adapt(folders, "pixel", "bad-pixel", "--translator", str(classifier))[0] == 2
    assert "is a classifier run, not an image translator" in one_line_error(capsys)
    assert not (folders[0] / "bad-pixel").exists()


def test_a_target_folder_without_images_is_one_line(folders, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("no images here")
    args = ["adapt", "--source", "digits", "--target", str(tmp_path), "--method", "dann"]
    assert main([*args, "--run-dir", str(tmp_path / "run"), *TINY]) == 2
    assert "no images" in one_line_error(capsys)


def test_eval_needs_class_folders(folders, capsys):
    status, run = adapt(folders, "source-only", "eval-unlabelled")
    assert status == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--data", str(folders[1])]) == 2
    assert "has no class labels" in one_line_error(capsys)
