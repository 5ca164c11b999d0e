"""Ctrl-C and SIGTERM save a checkpoint at the step reached, and the run resumes exactly."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import artgan
from artgan.training.checkpoint import load_training_state, resolve_checkpoint
from tests.conftest import TINY_DCGAN_CLI, tiny_run_config
from tests.training.test_checkpoint_and_resume import _assert_same_weights

ROOT = Path(__file__).resolve().parents[2]
MANY_STEPS = 100_000  # never reached: the signal stops the run


def _env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "src")}


def _wait_for_steps(run_dir: Path, process: subprocess.Popen, steps: int = 3) -> None:
    log = run_dir / "log.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"training ended before the signal: {process.communicate()}")
        if log.is_file() and len(log.read_text().splitlines()) >= steps:
            return
        time.sleep(0.1)
    process.kill()
    pytest.fail("training did not reach 3 steps in 2 minutes")


def _stopped_step(run_dir: Path) -> int:
    state = load_training_state(resolve_checkpoint(run_dir))
    return int(state["step"])


def test_sigterm_saves_the_current_step_and_resumes_exactly(tmp_path):
    # One thread in both processes: the same sums in the same order, so the same bits.
    config = tiny_run_config(
        "dcgan", steps=MANY_STEPS, run_dir=str(tmp_path / "stopped"), ema_decay=0.9, threads=1
    )
    config["train"]["lr_decay"] = "none"  # the straight run below has another total
    (tmp_path / "config.json").write_text(json.dumps(config))
    script = "import json, sys, artgan; artgan.train(json.load(open(sys.argv[1])))"
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "config.json")],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run_dir = tmp_path / "stopped"
    _wait_for_steps(run_dir, process)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    assert process.returncode != 0  # it stopped, it did not finish
    assert "TrainingInterrupted" in err and "SIGTERM" in err, err

    stopped = _stopped_step(run_dir)
    assert 3 <= stopped < MANY_STEPS
    # The checkpoint is at the step the run reached: the log goes no further.
    logged = [json.loads(line)["step"] for line in (run_dir / "log.jsonl").read_text().splitlines()]
    assert logged[-1] == stopped

    total = stopped + 2
    straight_config = tiny_run_config(
        "dcgan", steps=total, run_dir=str(tmp_path / "straight"), ema_decay=0.9, threads=1
    )
    straight_config["train"]["lr_decay"] = "none"
    straight = artgan.train(straight_config)
    resumed = artgan.train(resume=run_dir, steps=total)
    _assert_same_weights(straight, resumed)


def test_ctrl_c_in_the_cli_saves_a_checkpoint_and_says_how_to_resume(tmp_path):
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "artgan.cli.main", "train", "--data", "digits"]
        + ["--model", "dcgan", "--steps", str(MANY_STEPS), "--run-dir", str(run_dir)]
        + [*TINY_DCGAN_CLI, "--train.log_every", "1", "--train.checkpoint_every", "0"]
        + ["--train.sample_every", "0"],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_steps(run_dir, process)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    stopped = _stopped_step(run_dir)
    assert f"training stopped by Ctrl-C at step {stopped}" in err
    assert f"artgan train --resume {run_dir}" in err
    assert "Traceback" not in err
    # The run continues from there.
    resumed = artgan.train(resume=run_dir, steps=stopped + 1)
    assert _stopped_step(resumed) == stopped + 1
