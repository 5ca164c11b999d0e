"""Hostile run folders: LATEST pointing out of the run, damaged LATEST, torn logs, damaged
checkpoint configs and training states. Each is one clear error, never another run's weights
or a traceback."""

import os

import pytest

import artgan
from artgan.cli.main import main
from artgan.errors import CheckpointError
from artgan.training.checkpoint import load_model, resolve_checkpoint
from tests.conftest import tiny_run_config


@pytest.fixture(scope="module")
def trained_pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("pair")
    mine = artgan.train(tiny_run_config(steps=1, run_dir=str(root / "mine")))
    other = artgan.train(tiny_run_config(steps=1, run_dir=str(root / "other"), seed=3))
    return mine, other


@pytest.fixture
def run(trained_pair, tmp_path):
    import shutil

    mine, other = trained_pair
    copy = tmp_path / "run"
    shutil.copytree(mine, copy)
    return copy, other


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
def test_latest_pointing_outside_the_run_is_an_error(run, how, capsys):
    run_dir, other = run
    target = resolve_checkpoint(other)
    latest = run_dir / "checkpoints" / "LATEST"
    if how == "absolute":
        latest.write_text(f"{target}\n")
    elif how == "dotdot":
        latest.write_text(f"../../{other.name}/checkpoints/{target.name}\n")
    else:
        os.symlink(target, run_dir / "checkpoints" / "step-00000099")
        latest.write_text("step-00000099\n")
    with pytest.raises(CheckpointError, match="not a checkpoint folder inside"):
        resolve_checkpoint(run_dir)
    assert main(["sample", str(run_dir), "--n", "1", "--out", str(run_dir / "x.png")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert main(["train", "--resume", str(run_dir), "--steps", "2"]) == 2


def test_non_utf8_latest_is_a_one_line_error(run, capsys):
    run_dir, _ = run
    (run_dir / "checkpoints" / "LATEST").write_bytes(b"step-\xff\xfe\n")
    with pytest.raises(CheckpointError, match="not UTF-8"):
        load_model(run_dir)
    assert main(["sample", str(run_dir), "--n", "1", "--out", str(run_dir / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
