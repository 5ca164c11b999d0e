"""The few-shot path from the command line: a folder of the user's images picks FastGAN with
a size and width for the device, says so, trains, samples and refuses bad sizes."""

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from artgan.cli.main import main
from artgan.provenance.output import read_record
from tests.conftest import QUIET_CLI


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """Twelve transparent 160 px PNGs (a coloured disc on a clear background)."""
    folder = tmp_path_factory.mktemp("collection")
    rng = np.random.default_rng(0)
    for i in range(12):
        image = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3)) + (255,)
        ImageDraw.Draw(image).ellipse([20 + i, 30, 140, 130 - i], fill=colour)
        image.save(folder / f"{i:02d}.png")
    return folder


def test_a_folder_picks_fastgan_sized_for_the_cpu(collection, capsys):
    assert main(["train", "--data", str(collection), "--device", "cpu", "--dry-run"]) == 0
    out = capsys.readouterr()
    config = json.loads(out.out)
    assert config["model"]["name"] == "fastgan"
    assert config["model"]["image_size"] == 128 and config["model"]["width"] == 16
    assert config["model"]["objective"]["ada"] is True
    assert config["train"]["batch_size"] == 8
    assert "fastgan's defaults for a cpu: image_size 128, width 16" in out.err


def test_given_settings_beat_the_family_defaults(collection, capsys):
    argv = ["train", "--data", str(collection), "--device", "cpu", "--dry-run"]
    assert main([*argv, "--image-size", "256", "--model.width", "8"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["model"]["image_size"] == 256 and config["model"]["width"] == 8


def test_built_in_image_data_keeps_dcgan(capsys):
    assert main(["train", "--data", "digits", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["model"]["name"] == "dcgan"


def test_train_then_sample_end_to_end(collection, tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["train", "--data", str(collection), "--device", "cpu", "--model.width", "8"]
    argv += ["--steps", "2", "--batch-size", "4", "--run-dir", str(run), *QUIET_CLI]
    assert main(argv) == 0
    first_line = capsys.readouterr().out.splitlines()[0]
    assert first_line.startswith("threads: ")
    assert "fastgan's defaults for a cpu: image_size 128" in first_line
    grid = tmp_path / "grid.png"
    assert main(["sample", str(run), "--n", "4", "--seed", "3", "--out", str(grid)]) == 0
    assert Image.open(grid).size == (2 * 128 + 3 * 2, 2 * 128 + 3 * 2)
    assert read_record(grid)["model_family"] == "fastgan"


@pytest.mark.parametrize("size", ["300", "2048", "64"])
def test_bad_sizes_are_one_line_and_exit_2(collection, size, capsys):
    argv = ["train", "--model", "fastgan", "--data", str(collection), "--image-size", size]
    assert main([*argv, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "fastgan makes images of 128, 256, 512 or 1024 px" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_conditional_run_from_subfolders_samples_a_style(tmp_path, capsys):
    """One style per subfolder: the run keeps the names, and ``--class`` picks one."""
    for style, colour in (("warm", (220, 80, 40)), ("cool", (40, 90, 220))):
        (tmp_path / "data" / style).mkdir(parents=True)
        for i in range(4):
            image = Image.new("RGB", (128, 128), (255, 255, 255))
            ImageDraw.Draw(image).rectangle([10 + 5 * i, 20, 100, 110 - 5 * i], fill=colour)
            image.save(tmp_path / "data" / style / f"{i}.png")
    run = tmp_path / "run"
    argv = ["train", "--model", "fastgan", "--conditional", "--data", str(tmp_path / "data")]
    argv += ["--device", "cpu", "--model.width", "8", "--model.cond_d", "multihead"]
    argv += ["--steps", "2", "--batch-size", "4", "--run-dir", str(run), *QUIET_CLI]
    assert main(argv) == 0
    grid = tmp_path / "cool.png"
    assert main(["sample", str(run), "--n", "2", "--class", "cool", "--out", str(grid)]) == 0
    assert read_record(grid)["model_family"] == "fastgan"
    capsys.readouterr()
    assert main(["sample", str(run), "--n", "2", "--class", "hot", "--out", str(grid)]) == 2
    assert "cool" in capsys.readouterr().err  # an unknown style lists the valid ones
