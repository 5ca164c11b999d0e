"""The command line end to end on tiny runs, and its one-line errors."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from artgan.cli.main import main
from artgan.provenance.output import read_record
from tests.conftest import TINY_DCGAN_CLI

TINY = ["--model", "dcgan", "--data", "digits", *TINY_DCGAN_CLI]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "run"
    assert (
        main(["train", *TINY, "--steps", "6", "--train.sample_every", "3", "--run-dir", str(path)])
        == 0
    )
    return path


def test_train_writes_a_complete_run(run_dir):
    assert (run_dir / "config.json").is_file()
    assert (run_dir / "loss_curve.png").is_file()
    assert sorted(p.name for p in (run_dir / "samples").iterdir()) == [
        "step-00000003.png",
        "step-00000006.png",
    ]
    assert (run_dir / "checkpoints" / "LATEST").read_text().strip() == "step-00000006"


def test_resume_continues_to_the_new_total(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    assert main(["train", "--resume", str(copy), "--steps", "8"]) == 0
    assert (copy / "checkpoints" / "LATEST").read_text().strip() == "step-00000008"


def test_sample_grid_is_deterministic_and_carries_its_record(run_dir, tmp_path):
    a, b, c = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"
    assert main(["sample", str(run_dir), "--n", "9", "--seed", "7", "--out", str(a)]) == 0
    assert main(["sample", str(run_dir), "--n", "9", "--seed", "7", "--out", str(b)]) == 0
    assert main(["sample", str(run_dir), "--n", "9", "--seed", "8", "--out", str(c)]) == 0
    pixels = [np.asarray(Image.open(p)) for p in (a, b, c)]
    assert np.array_equal(pixels[0], pixels[1])
    assert not np.array_equal(pixels[0], pixels[2])
    assert pixels[0].shape[0] == 3 * 32 + 4 * 2  # 3x3 grid with 2 px padding
    record = read_record(a)
    assert record["seed"] == 7 and record["model_family"] == "dcgan"
    assert len(record["weights_sha256"]) == 64


def test_sample_to_a_folder_writes_one_file_per_image(run_dir, tmp_path):
    out = tmp_path / "imgs"
    assert main(["sample", str(run_dir), "--n", "3", "--out", str(out)]) == 0
    files = sorted(out.glob("*.png"))
    assert [f.name for f in files] == ["0000.png", "0001.png", "0002.png"]
    assert Image.open(files[0]).size == (32, 32)
    assert read_record(files[2])["params"]["index"] == 2


def test_interpolate_writes_a_gif(run_dir, tmp_path):
    out = tmp_path / "walk.gif"
    assert (
        main(
            [
                "interpolate",
                str(run_dir),
                "--frames",
                "6",
                "--n",
                "2",
                "--out",
                str(out),
                "--frames-dir",
                str(tmp_path / "frames"),
            ]
        )
        == 0
    )
    gif = Image.open(out)
    assert gif.n_frames == 6
    assert len(list((tmp_path / "frames").glob("*.png"))) == 6


def test_interpolate_steps_is_the_old_name_of_frames(run_dir, tmp_path, capsys):
    out = tmp_path / "walk.gif"
    assert main(["interpolate", str(run_dir), "--steps", "3", "--n", "1", "--out", str(out)]) == 0
    assert Image.open(out).n_frames == 3
    assert "interpolate --steps is now --frames" in capsys.readouterr().err
    folder = str(tmp_path / "frames")
    with pytest.raises(SystemExit):
        main(["interpolate", str(run_dir), "--frames", folder, "--out", str(out)])
    assert f"use --frames-dir {folder}" in capsys.readouterr().err


def test_info_reports_config_step_data_and_files(run_dir, capsys):
    assert main(["info", str(run_dir)]) == 0
    text = capsys.readouterr().out
    assert "step       6 of 6" in text and "digits" in text and "loss_curve.png" in text
    assert main(["info", str(run_dir), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["family"] == "dcgan" and info["data"]["report"]["count"] > 1000


def test_dry_run_prints_the_resolved_config(capsys):
    assert main(["train", *TINY, "--model.objective.loss", "hinge", "--dry-run"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["model"]["objective"]["loss"] == "hinge"
    assert config["model"]["width"] == 8


def test_points_model_writes_points_and_a_scatter_plot(tmp_path, capsys):
    run = tmp_path / "g"
    assert (
        main(
            [
                "train",
                "--data",
                "grid25",
                "--data.size",
                "500",
                "--steps",
                "3",
                "--batch-size",
                "16",
                "--run-dir",
                str(run),
                "--train.progress",
                "false",
            ]
        )
        == 0
    )
    # the hint and the model card speak of points, not images
    assert f"artgan sample {run} --n 2500 --out points.npy" in capsys.readouterr().out
    assert "2-D points" in (run / "MODEL_CARD.md").read_text()
    out = tmp_path / "points.npy"
    assert main(["sample", str(run), "--n", "50", "--out", str(out)]) == 0
    assert np.load(out).shape == (50, 2)
    assert (tmp_path / "points.png").is_file()
    assert read_record(out)["model_family"] == "mlp"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--model", "nope"], "unknown model 'nope'; valid names: "),
        (["train", "--data", "/no/such/folder"], "no built-in dataset or path named"),
        (["train", "--steps", "many"], "train.steps must be a number"),
        (["train", "--image-size", "48"], "dcgan supports image sizes 32, 64, 128"),
        (["train", "--loss", "magic"], "unknown loss 'magic'"),
        (["train", "--stepz", "3"], "unrecognised argument '--stepz'"),
        (["sample", "/no/such/run", "--out", "x.png"], "no run or checkpoint at"),
        (["info", "/no/such/run"], "no run folder at"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_sample_rejects_a_non_image_extension(run_dir, capsys):
    assert main(["sample", str(run_dir), "--out", "grid.txt"]) == 2
    assert "use an image extension" in capsys.readouterr().err


def test_console_entry_points_work():
    for command in ([sys.executable, "-m", "artgan", "--help"], ["artgan", "train", "--help"]):
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        except FileNotFoundError:
            pytest.skip("artgan console script not on PATH")
        assert result.returncode == 0 and "usage" in result.stdout


def test_demo_runs_end_to_end_in_miniature(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--steps", "4", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    for name in ("samples.png", "interpolation.gif", "loss_curve.png"):
        assert (tmp_path / name).is_file() and name in out
    for name in ("samples.png", "interpolation.gif"):  # sheets a person can see (issue 16)
        with Image.open(tmp_path / name) as picture:
            assert picture.width >= 512, name
