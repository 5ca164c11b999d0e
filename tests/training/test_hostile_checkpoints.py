"""Hostile run folders: LATEST pointing out of the run, damaged LATEST, torn logs, damaged
checkpoint configs and training states. Each is one clear error, never another run's weights
or a traceback."""

import json
import os
from pathlib import Path

import pytest

import artgan
from artgan.cli.main import main
from artgan.errors import CheckpointError
from artgan.training.checkpoint import load_model, resolve_checkpoint
from artgan.training.logs import TrainingLog, read_log
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


def _log_steps(run_dir):
    return [json.loads(line)["step"] for line in (run_dir / "log.jsonl").read_text().splitlines()]


def test_torn_last_log_line_is_skipped_by_info_and_resume(run, capsys):
    run_dir, _ = run
    log = run_dir / "log.jsonl"
    with open(log, "a") as handle:
        handle.write('{"step": 2, "G_lo')  # a power cut mid-line
    assert main(["info", str(run_dir)]) == 0
    assert TrainingLog(run_dir, False, False).read()[-1]["step"] == 1
    assert read_log(log)[1] == 1  # counted
    capsys.readouterr()
    artgan.train(resume=run_dir, steps=2)
    assert "skipped 1 damaged line" in capsys.readouterr().err
    assert _log_steps(run_dir) == [1, 2]


def test_kill_during_log_truncation_keeps_every_earlier_line(trained_pair, tmp_path, monkeypatch):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(trained_pair[0], run_dir)
    artgan.train(resume=run_dir, steps=3, **{"train.checkpoint_every": 2})
    # As if killed after the step-2 checkpoint: the log holds a line (step 3) to be redone.
    shutil.rmtree(run_dir / "checkpoints" / "step-00000003")
    (run_dir / "checkpoints" / "LATEST").write_text("step-00000002\n")
    before = (run_dir / "log.jsonl").read_bytes()
    real_text, real_bytes = Path.write_text, Path.write_bytes

    def killed(real):
        def write(self, data, *args, **kwargs):
            if "log.jsonl" in self.name:  # half the data reaches the disk, then the kill
                real(self, data[: len(data) // 2], *args, **kwargs)
                raise KeyboardInterrupt
            return real(self, data, *args, **kwargs)

        return write

    monkeypatch.setattr(Path, "write_text", killed(real_text))
    monkeypatch.setattr(Path, "write_bytes", killed(real_bytes))
    with pytest.raises(KeyboardInterrupt):
        artgan.train(resume=run_dir, steps=3)
    monkeypatch.undo()
    assert (run_dir / "log.jsonl").read_bytes() == before  # nothing lost
    assert not list(run_dir.glob(".*.tmp"))
    artgan.train(resume=run_dir, steps=3)
    assert _log_steps(run_dir) == [1, 2, 3]
