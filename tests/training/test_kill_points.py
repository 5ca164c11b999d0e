"""Fault injection: a training process is killed (SIGKILL, no clean-up of any kind) at several
points of a checkpoint write and of the log truncation a resume does. Each time the next start
cleans what the kill left, resumes exactly, and the log is complete."""

import shutil
import subprocess
import sys

import pytest
import torch

import artgan
from artgan.training.checkpoint import load_raw_tensors, resolve_checkpoint
from tests.conftest import tiny_run_config

# Runs the training in a child process that kills itself at ``point``.
CHILD = r"""
import json, os, signal, sys
import artgan
import artgan.training.checkpoint as ck
import artgan.training.logs as logs

point, config, resume = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
calls = {"n": 0}

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def second(real, only=lambda *args: True):
    # the first checkpoint is written; the kill comes inside the second
    def wrapped(*args, **kwargs):
        if only(*args):
            calls["n"] += 1
            if calls["n"] == 2:
                die()
        return real(*args, **kwargs)
    return wrapped

if point == "weights-written":  # model.safetensors in the temporary folder, no state yet
    ck.torch.save = second(ck.torch.save)
elif point == "before-rename":  # a complete temporary folder, not yet renamed
    step_folder = lambda src, *rest: os.path.basename(src).startswith(".step-")
    ck.os.replace = second(ck.os.replace, step_folder)
elif point == "before-latest":  # renamed into place, LATEST still names the previous one
    ck.atomic_write_text = second(ck.atomic_write_text)
elif point == "log-truncation":  # half of the truncated log written to its temporary file
    def half_then_die(path, text):
        ck.atomic_write(path, lambda tmp: (tmp.write_text(text[: len(text) // 2]), die()))
    logs.atomic_write_text = half_then_die
if resume:
    artgan.train(resume=resume, steps=config["train"]["steps"])
else:
    artgan.train(config)
"""


def killed(point, config=None, resume=""):
    import json

    result = subprocess.run(
        [sys.executable, "-c", CHILD, point, json.dumps(config or {"train": {"steps": 4}}), resume],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == -9, result.stderr[-2000:]


def config(run_dir, steps=4):
    return tiny_run_config(steps=steps, run_dir=str(run_dir), checkpoint_every=2, ema_decay=0.9)


def leftovers(run_dir):
    return [*run_dir.rglob(".step-*"), *run_dir.rglob(".*.tmp")]


def log_steps(run_dir):
    import json

    return [json.loads(line)["step"] for line in (run_dir / "log.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    return artgan.train(config(tmp_path_factory.mktemp("straight") / "run"))


def same_weights(a, b):
    ta, tb = load_raw_tensors(resolve_checkpoint(a)), load_raw_tensors(resolve_checkpoint(b))
    assert ta.keys() == tb.keys()
    for key in ta:
        torch.testing.assert_close(ta[key], tb[key], rtol=1e-6, atol=1e-7)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["weights-written", "before-rename", "before-latest"])
def test_kill_inside_a_checkpoint_write_resumes_exactly(straight, tmp_path, point):
    run_dir = tmp_path / "run"
    killed(point, config(run_dir))
    assert resolve_checkpoint(run_dir).name == "step-00000002"  # the last complete one
    if point != "before-latest":
        assert leftovers(run_dir)
    artgan.train(resume=run_dir, steps=4)
    assert not leftovers(run_dir)
    same_weights(straight, run_dir)
    assert log_steps(run_dir) == [1, 2, 3, 4]


@pytest.mark.slow
def test_kill_inside_the_log_truncation_loses_no_line(straight, tmp_path):
    run_dir = tmp_path / "run"
    artgan.train(config(run_dir, steps=3))
    shutil.rmtree(run_dir / "checkpoints" / "step-00000003")  # as if killed before it
    (run_dir / "checkpoints" / "LATEST").write_text("step-00000002\n")
    before = (run_dir / "log.jsonl").read_bytes()
    killed("log-truncation", config(run_dir), resume=str(run_dir))
    assert (run_dir / "log.jsonl").read_bytes() == before
    assert leftovers(run_dir)  # the half-written temporary log
    artgan.train(resume=run_dir, steps=4)
    assert not leftovers(run_dir)
    same_weights(straight, run_dir)
    assert log_steps(run_dir) == [1, 2, 3, 4]
