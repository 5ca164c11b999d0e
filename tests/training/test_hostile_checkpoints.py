"""Hostile run folders: LATEST pointing out of the run, damaged LATEST, torn logs, damaged
checkpoint configs and training states. Each is one clear error, never another run's weights
or a traceback."""

import json
import os
import re
from pathlib import Path

import pytest
import torch

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


def _edit_config(**fields):
    def edit(checkpoint):
        meta = json.loads((checkpoint / "config.json").read_text())
        for key, value in fields.items():
            section, _, name = key.partition("__")
            if name:
                meta[section][name] = value
            else:
                meta[section] = value
        (checkpoint / "config.json").write_text(json.dumps(meta))

    return edit


def _edit_state(change):
    def edit(checkpoint):
        path = checkpoint / "training_state.pt"
        torch.save(change(torch.load(path, weights_only=True)), path)

    return edit


def _torch_rng(state, value):
    return {**state, "rng": {**state["rng"], "torch": value}}


DAMAGE = {
    "format_version a string": (_edit_config(format_version="1"), "format_version"),
    "model a string": (_edit_config(model="dcgan"), "'model'"),
    "data a string": (_edit_config(data="x"), "'data'"),
    "width NaN": (_edit_config(model__width=float("nan")), "model.width"),
    "width 1e7": (_edit_config(model__width=10**7), "parameters"),
    "z_dim 1e9": (_edit_config(model__z_dim=10**9), "parameters"),
    "state {}": (_edit_state(lambda s: {}), "'step'"),
    "no D optimiser": (
        _edit_state(lambda s: {**s, "optimizers": {"G": s["optimizers"]["G"]}}),
        "no state for D",
    ),
    "step a string": (_edit_state(lambda s: {**s, "step": "1"}), "'step'"),
    "negative step": (_edit_state(lambda s: {**s, "step": -5}), "'step'"),
    "bad RNG state": (
        _edit_state(lambda s: _torch_rng(s, torch.zeros(3, dtype=torch.uint8))),
        "rng|RNG",
    ),
    "no ema.safetensors": (lambda c: (c / "ema.safetensors").unlink(), "ema.safetensors"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_checkpoint_is_one_line_naming_file_and_field(run, damage, capsys):
    run_dir, _ = run
    edit, expected = DAMAGE[damage]
    checkpoint = resolve_checkpoint(run_dir)
    edit(checkpoint)
    log_before = (run_dir / "log.jsonl").read_bytes()
    out = run_dir / "g.png"
    capsys.readouterr()
    codes = [
        main(["sample", str(run_dir), "--n", "1", "--out", str(out)]),
        main(["train", "--resume", str(run_dir), "--steps", "3"]),
    ]
    errors = capsys.readouterr().err.strip().splitlines()
    assert 2 in codes and all(code in (0, 2) for code in codes)
    assert len(errors) == codes.count(2) and "Traceback" not in "".join(errors)
    assert re.search(expected, errors[0])
    if codes[1] == 2:  # a refused resume changes nothing, and never drops earlier log lines
        assert (run_dir / "log.jsonl").read_bytes() == log_before


def test_resume_given_a_checkpoint_folder_names_the_run(run, capsys):
    run_dir, _ = run
    assert main(["train", "--resume", str(resolve_checkpoint(run_dir)), "--steps", "2"]) == 2
    assert f"use --resume {run_dir}" in capsys.readouterr().err


@pytest.mark.parametrize("writer", ["torch.save", "safetensors"])
def test_disk_full_while_checkpointing_is_one_error_and_keeps_the_last_one(
    run, monkeypatch, writer
):
    """Each file of a checkpoint meets a full disk: torch.save's OSError, or the
    SafetensorError that safetensors raises instead (it was a traceback, issue 14 item 10)."""
    import artgan.training.checkpoint as ck

    run_dir, _ = run

    def full(*args, **kwargs):
        if writer == "safetensors":
            raise ck.SafetensorError(
                "Error while serializing: No space left on device (os error 28)"
            )
        raise OSError(28, "No space left on device")

    if writer == "safetensors":
        monkeypatch.setattr(ck, "save_file", full)
    else:
        monkeypatch.setattr(ck.torch, "save", full)
    with pytest.raises(CheckpointError, match="No space left on device.*previous checkpoint"):
        artgan.train(resume=run_dir, steps=2)
    monkeypatch.undo()
    assert resolve_checkpoint(run_dir).name == "step-00000001"
    assert not list((run_dir / "checkpoints").glob(".step-*"))
    assert load_model(run_dir).sample(1, seed=0).shape[0] == 1


def test_a_checkpoint_of_another_shape_says_why(run, trained_pair, tmp_path):
    run_dir, _ = run
    wide = artgan.train(
        {
            **tiny_run_config(steps=1, run_dir=str(tmp_path / "wide")),
            "model": {**tiny_run_config()["model"], "width": 16},
        }
    )
    checkpoint = resolve_checkpoint(run_dir)
    (checkpoint / "model.safetensors").write_bytes(
        (resolve_checkpoint(wide) / "model.safetensors").read_bytes()
    )
    with pytest.raises(CheckpointError, match=r"does not fit this dcgan model \(size mismatch"):
        load_model(run_dir)


def poison_with_nan(run_dir):
    """A diverged run's last checkpoint: every weight NaN."""
    from safetensors.torch import load_file, save_file

    checkpoint = resolve_checkpoint(run_dir)
    for name in ("model.safetensors", "ema.safetensors"):
        tensors = load_file(str(checkpoint / name))
        save_file({k: v.float() * float("nan") for k, v in tensors.items()}, str(checkpoint / name))


OUTPUT_COMMANDS = [  # (command, out): each loads a checkpoint to make files
    (["sample", "--n", "1"], "g.png"),
    (["interpolate", "--frames", "2", "--keyframes", "2", "--n", "1"], "walk.gif"),
    (["create", "--n", "1"], "made"),
]


@pytest.mark.parametrize("command, out", OUTPUT_COMMANDS, ids=lambda c: c[0] if c else "")
def test_a_checkpoint_of_nan_weights_is_refused_unless_forced(run, capsys, command, out):
    run_dir, _ = run
    poison_with_nan(run_dir)
    out = run_dir.parent / out
    argv = [command[0], str(run_dir), *command[1:], "--out", str(out)]
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "NaN or infinite weights" in err and "--force" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()
    # Forced: written, with a warning (pytest records warnings instead of printing them, so
    # the warning is asserted here; its one-line form is test_readable_warnings' job).
    with pytest.warns(UserWarning, match="NaN or infinite weights"):
        assert main([*argv, "--force"]) == 0
    assert out.exists()
    with pytest.warns(UserWarning, match="used anyway"):
        assert load_model(run_dir, allow_nonfinite=True) is not None


LOADING_COMMANDS = [
    "sample",
    "interpolate",
    "traverse",
    "reconstruct",
    "inpaint",
    "upscale",
    "explore",
    "edit",
    "invert",
    "augment",
    "create",
    "stylize",
]


@pytest.mark.parametrize("command", LOADING_COMMANDS)
def test_every_command_that_makes_outputs_from_a_checkpoint_documents_force(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "--force" in capsys.readouterr().out
