"""bench/fewshot.py --cores: trainings run at the same time, each pinned to a core of its own,
and each one's CPU seconds and its core's share taken by others are its own."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import fewshot  # noqa: E402

AFFINITY = "import os; print(sorted(os.sched_getaffinity(0)))"


def test_a_command_runs_pinned_to_its_core_and_reports_its_own_cpu(tmp_path):
    core = min(os.sched_getaffinity(0))
    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
    command = [sys.executable, "-c", AFFINITY + "\n" + spin]
    result = fewshot.run_logged(command, tmp_path / "l", core)
    assert f"[{core}]" in (tmp_path / "l").read_text()
    assert result["cpu"] >= 0.3
    assert result["others"] is None or 0.0 <= result["others"] <= 1.0


def test_a_failed_command_exits_with_its_log_tail(tmp_path):
    code = "print('the reason'); raise SystemExit(3)"
    with pytest.raises(SystemExit, match="failed \\(3\\)(.|\\n)*the reason"):
        fewshot.run_logged([sys.executable, "-c", code], tmp_path / "log")


def test_jobs_share_the_cores_one_job_a_core_at_a_time():
    cores = sorted(os.sched_getaffinity(0))[:2]
    scheduler = fewshot.Cores(cores)
    running, most, lock = set(), [0], threading.Lock()
    gate = threading.Barrier(len(cores))

    def job(index, core):
        with lock:
            assert core not in running  # never two jobs on one core
            running.add(core)
            most[0] = max(most[0], len(running))
        if index < len(cores):
            gate.wait(timeout=10)  # the first jobs run at the same time
        with lock:
            running.discard(core)
        return core

    futures = [scheduler.submit(job, i) for i in range(5)]
    got = [future.result(timeout=30) for future in futures]
    assert set(got) <= set(cores)
    assert most[0] == len(cores)


def test_scoring_waits_for_every_job_and_then_keeps_to_the_given_cores():
    # In a child process: finish() changes the calling process's affinity and torch threads.
    core = min(os.sched_getaffinity(0))
    code = f"""
import os, sys, time, torch
sys.path.insert(0, {str(BENCH)!r})
import fewshot
done = []
scheduler = fewshot.Cores([{core}])
def job(core):
    time.sleep(0.2)
    done.append(core)
scheduler.submit(job)
scheduler.finish()
print(done, sorted(os.sched_getaffinity(0)), torch.get_num_threads())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [f"[{core}]", f"[{core}]", "1"]
