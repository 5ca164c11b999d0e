"""Thread choice: the user's number, else the cores other processes leave free; and passive
OpenMP waiting set by the command line before torch loads."""

import os
import subprocess
import sys

import pytest

from artgan.training import threads
from artgan.training.threads import busy_cores, choose_threads


@pytest.fixture
def four_cores(monkeypatch):
    monkeypatch.setattr(threads, "usable_cores", lambda: 4)


def test_the_users_number_wins(four_cores):
    choice = choose_threads(3, measure=lambda cores: 4.0)
    assert (choice.threads, choice.chosen_by) == (3, "user")


@pytest.mark.parametrize("busy, expected", [(0.0, 4), (0.4, 4), (1.2, 3), (2.6, 1), (4.0, 1)])
def test_free_cores_are_taken_and_never_fewer_than_one(four_cores, busy, expected):
    choice = choose_threads(0, measure=lambda cores: busy)
    assert choice.threads == expected
    assert ("busy with other work" in choice.describe()) == (expected < 4)


def test_unmeasurable_load_takes_every_core(four_cores):
    choice = choose_threads(0, measure=lambda cores: None)
    assert (choice.threads, choice.chosen_by) == (4, "all cores")


def test_busy_cores_reads_the_share_of_non_idle_time(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    samples = iter([(100.0, 1000.0), (150.0, 1200.0)])  # 50 of 200 jiffies busy: a quarter
    busy = busy_cores(4, read=lambda: next(samples), sleep=lambda s: None)
    assert busy == pytest.approx(1.0)
    assert busy_cores(4, read=lambda: None, sleep=lambda s: None) is None


def test_real_proc_stat_gives_a_number_in_range():
    busy = busy_cores(threads.usable_cores(), interval=0.05)
    if busy is None:
        pytest.skip("no /proc/stat here")
    assert 0.0 <= busy <= threads.usable_cores()


def test_the_command_line_sets_passive_waiting_before_torch_loads():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    code = (
        "import os, sys; import artgan.cli.main; "
        "print(os.environ.get('OMP_WAIT_POLICY'), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["PASSIVE", "False"]


def test_a_resume_keeps_the_runs_thread_count(tmp_path, capsys):
    """Float sums differ between thread counts, so an exact resume takes the run's own."""
    import artgan
    from tests.conftest import tiny_run_config

    run = tmp_path / "run"
    artgan.train(tiny_run_config("dcgan", steps=2, run_dir=str(run), threads=1))
    capsys.readouterr()
    artgan.train(resume=run, steps=3, **{"train.threads": 0})
    assert "threads: 1, the run's own" in capsys.readouterr().out
