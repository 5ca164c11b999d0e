"""Skipped files are said in one readable line, not a raw UserWarning with an internal path."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import TINY_DCGAN_CLI

ROOT = Path(__file__).resolve().parents[2]


def test_skipped_files_are_one_readable_line(tmp_path):
    data = tmp_path / "paintings"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(data / f"{i}.png")
    (data / "broken.png").write_bytes(b"not a png")
    argv = ["train", "--model", "dcgan", "--data", str(data), *TINY_DCGAN_CLI, "--steps", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "artgan.cli.main", *argv, "--run-dir", str(tmp_path / "run")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "broken.png" in line]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("artgan: warning: skipped 1 unreadable file(s) in ")
    assert "UserWarning" not in done.stderr and "folder.py" not in done.stderr
