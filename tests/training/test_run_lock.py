"""One writer per run folder: a second training refuses while the first holds the lock, and a
lock left by a killed process never blocks."""

import os
import signal
import subprocess
import sys

import pytest

import artgan
from artgan.cli.main import main
from artgan.training.run_lock import LOCK_FILE, RunLock, RunLockedError, is_locked
from tests.conftest import TINY_DCGAN_CLI, tiny_run_config

HOLD = """
import sys
from artgan.training.run_lock import RunLock
lock = RunLock(sys.argv[1]).acquire()
print("locked", flush=True)
sys.stdin.read()
"""


def hold_lock(run_dir):
    """A separate process holding ``run_dir``'s lock, as a training in progress does."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(run_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def snapshot(folder):
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != LOCK_FILE
    }


def test_second_training_into_a_locked_run_folder_refuses_and_changes_nothing(tmp_path, capsys):
    run = artgan.train(tiny_run_config(steps=2, run_dir=str(tmp_path / "run")))
    before = snapshot(run)
    capsys.readouterr()
    holder = hold_lock(run)
    try:
        assert is_locked(run)
        argv = ["train", "--data", "digits", "--steps", "3", "--run-dir", str(run)]
        code = main([*argv, "--seed", "5", *TINY_DCGAN_CLI])
        err = capsys.readouterr().err.strip()
        assert code == 2
        assert len(err.splitlines()) == 1 and "in use" in err and str(holder.pid) in err
        assert main(["train", "--resume", str(run), "--steps", "4", *TINY_DCGAN_CLI]) == 2
        with pytest.raises(RunLockedError):
            artgan.train(tiny_run_config(steps=3, run_dir=str(run)))
        assert snapshot(run) == before
    finally:
        holder.kill()
        holder.wait()


def test_lock_of_a_killed_process_does_not_block(tmp_path):
    run = tmp_path / "run"
    holder = hold_lock(run)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert (run / LOCK_FILE).is_file()  # the stale file stays; the OS dropped the lock
    assert not is_locked(run)
    with RunLock(run) as lock:
        assert lock.held and is_locked(run)
    assert not is_locked(run)


def test_lock_is_released_after_training_and_after_a_failure(tmp_path):
    run = artgan.train(tiny_run_config(steps=1, run_dir=str(tmp_path / "run")))
    assert not is_locked(run)
    with pytest.raises(artgan.errors.ArtganError):
        artgan.train(tiny_run_config(steps=1, run_dir=str(run), batch_size=0))
    assert not is_locked(run)
    RunLock(run).acquire().release()


def test_leftovers_of_killed_writes_are_cleaned_on_the_next_start(tmp_path):
    run = artgan.train(tiny_run_config(steps=1, run_dir=str(tmp_path / "run")))
    leftovers = [
        run / "checkpoints" / ".step-00000002.tmp-99999",
        run / "checkpoints" / ".LATEST.abc123.tmp",
        run / ".config.json.xyz.tmp",
    ]
    leftovers[0].mkdir()
    (leftovers[0] / "model.safetensors").write_bytes(b"half")
    for path in leftovers[1:]:
        path.write_text("half")
    artgan.train(resume=run, steps=2)
    assert not any(p.exists() for p in leftovers)
