"""train.max_minutes: one command's wall-clock budget ends the run at a whole, saved step."""

import json

import pytest

import artgan
from artgan.errors import ConfigError
from artgan.training.checkpoint import load_training_state, resolve_checkpoint
from tests.conftest import tiny_run_config


def log_steps(run_dir):
    lines = (run_dir / "log.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["step"] for line in lines if line.strip()]


def saved_step(run_dir) -> int:
    return int(load_training_state(resolve_checkpoint(run_dir))["step"])


def test_a_spent_budget_stops_at_a_saved_step_and_resume_continues(tmp_path, capsys):
    run_dir = tmp_path / "run"
    # 1 ms of training: the first step already spends it.
    config = tiny_run_config(steps=50, run_dir=str(run_dir), log_every=10, max_minutes=1e-5)
    artgan.train(config)
    stopped = saved_step(run_dir)
    assert 1 <= stopped < 50
    assert log_steps(run_dir)[-1] == stopped  # the last partial interval is logged
    assert "time budget spent (--train.max_minutes 1e-05)" in capsys.readouterr().out
    # The budget was that command's: a resume without one trains to the run's total.
    artgan.train(resume=run_dir, steps=8 + stopped)
    assert saved_step(run_dir) == 8 + stopped


def test_a_budget_that_is_not_spent_changes_nothing(tmp_path):
    run_dir = tmp_path / "run"
    artgan.train(tiny_run_config(steps=3, run_dir=str(run_dir), max_minutes=60))
    assert saved_step(run_dir) == 3


@pytest.mark.parametrize("minutes", [-1.0, float("inf"), float("nan")])
def test_bad_budgets_are_refused(tmp_path, minutes):
    with pytest.raises(ConfigError, match="train.max_minutes"):
        artgan.train(tiny_run_config(steps=3, run_dir=str(tmp_path / "r"), max_minutes=minutes))
