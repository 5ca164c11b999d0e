"""Data-parallel training with two CPU processes under torchrun (gloo)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def torchrun(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        *args,
    ]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_two_processes_stay_in_sync_and_only_rank_zero_writes(tmp_path):
    run_dir = tmp_path / "run"
    result = torchrun([str(ROOT / "tests" / "training" / "ddp_worker.py"), str(run_dir)], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    match = re.search(r"ranks=2 batch_per_rank=8 max_weight_difference=([\d.e-]+)", result.stdout)
    assert match, result.stdout
    assert float(match.group(1)) == 0.0
    assert (run_dir / "checkpoints" / "step-00000012").is_dir()


@pytest.mark.slow
def test_artgan_train_under_torchrun(tmp_path):
    run_dir = tmp_path / "run"
    result = torchrun(
        [
            "-m",
            "artgan",
            "train",
            "--data",
            "ring8",
            "--data.size",
            "400",
            "--steps",
            "6",
            "--batch-size",
            "8",
            "--run-dir",
            str(run_dir),
            "--train.progress",
            "false",
            "--train.tensorboard",
            "false",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("run folder:") == 1  # only rank 0 speaks and writes
    assert (run_dir / "checkpoints" / "LATEST").read_text().strip() == "step-00000006"
