"""Training times its first steps and says how long the whole run will take."""

import re

import artgan
from artgan.training.estimate import (
    StepTimer,
    contention_line,
    cpu_schedule_ns,
    estimate_line,
    format_duration,
)
from tests.conftest import tiny_run_config


def test_durations_read_as_a_person_says_them():
    assert format_duration(42) == "42 s"
    assert format_duration(7 * 60) == "7 min"
    assert format_duration(2 * 3600 + 5 * 60) == "2 h 05 min"
    assert format_duration(3 * 86400 + 4 * 3600) == "3 days 4 h"


def test_the_estimate_skips_the_warm_up_step_and_is_said_once():
    now = [0.0]
    timer = StepTimer(start_step=0, total_steps=20_000, clock=lambda: now[0], schedule=lambda: None)
    now[0] = 30.0  # the first step (warm-up) is slow and not counted
    assert timer.after_step(1) is None
    lines = []
    for step in range(2, 12):
        now[0] += 5.2  # DCGAN 64 px on a busy 2-core CPU
        lines.append(timer.after_step(step, hint_if_long="--preset quick"))
    said = [line for line in lines if line]
    assert len(said) == 1
    assert said[0].startswith("estimate: 5.20 s a step, about 28 h 53 min for the 19996 steps")
    assert said[0].endswith("(--preset quick)")


def test_a_time_budget_that_ends_the_run_first_is_what_the_estimate_says():
    now = [0.0]
    timer = StepTimer(0, 10**7, clock=lambda: now[0], schedule=lambda: None, deadline=3600.0)
    timer.after_step(1)
    said = []
    for step in range(2, 12):
        now[0] += 0.5
        said.append(timer.after_step(step))
    (line,) = [text for text in said if text]
    # Said at step 5, 2 s in: 3598 s left at 0.5 s a step is 7196 steps more.
    assert line == (
        "estimate: 0.50 s a step; the time budget ends the run in 60 min, at about step 7201 "
        "of 10000000"
    )
    # A budget longer than the steps need changes nothing.
    long = StepTimer(0, 100, clock=lambda: now[0], schedule=lambda: None, deadline=10**6)
    long.after_step(1)
    lines = []
    for step in range(2, 12):
        now[0] += 0.5
        lines.append(long.after_step(step))
    assert any(text and text.startswith("estimate: 0.50 s a step, about") for text in lines)


def test_a_short_run_gets_no_hint():
    line = estimate_line(0.02, 100, 100, hint="")
    assert line == "estimate: 20 ms a step, about 2 s for the 100 steps left of 100"


def test_training_prints_the_estimate_early(tmp_path, capsys):
    artgan.train(tiny_run_config(steps=16, run_dir=str(tmp_path / "run")))
    out = capsys.readouterr().out
    match = re.search(r"estimate: .* a step, about .* for the (\d+) steps left of 16", out)
    assert match, out
    assert int(match.group(1)) <= 12


def test_waiting_for_a_core_is_warned_with_the_slowdown():
    now, sched = [0.0], [(0, 0)]
    timer = StepTimer(0, 1000, clock=lambda: now[0], schedule=lambda: sched[0])
    timer.after_step(1)  # timing (and the scheduler's counts) begin here
    said = []
    for step in range(2, 6):
        now[0] += 1.0
        sched[0] = (sched[0][0] + 400_000_000, sched[0][1] + 600_000_000)  # 60 % waiting
        said.append(timer.after_step(step))
    (line,) = [text for text in said if text]
    estimate, warning = line.split("\n")
    assert estimate.startswith("estimate: 1.00 s a step")
    assert warning == (
        "warning: other processes kept this run waiting for a CPU core 60% of the time, so its "
        "steps take about 2.5x what this machine does alone (fewer --train.threads, or a quieter "
        "machine)"
    )


def test_a_run_that_has_the_cores_gets_no_warning():
    assert contention_line(900, 100) == ""
    assert contention_line(0, 0) == ""


def test_the_scheduler_counts_are_read_on_linux():
    counts = cpu_schedule_ns()
    if counts is not None:  # Linux
        running, waiting = counts
        assert running > 0 and waiting >= 0
