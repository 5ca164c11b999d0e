"""A read-only run folder (issue 14 item 10): a command that would write into it stops with one
line and exit status 2 and changes nothing; a command that only reads it works.

Permissions do not bind root only through its capabilities, and the suite often runs as root:
the commands then run as root without any capability (``setpriv --bounding-set=-all``), so
the refusals are the operating system's own, not mocks."""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import artgan
from artgan.provenance.keys import ensure_signing_identity
from tests.conftest import tiny_run_config

pytestmark = pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")


def bound_by_permissions() -> list[str]:
    """The command prefix under which a read-only folder is read-only: none for a user, root
    without capabilities for root (which would otherwise write anyway)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without setpriv (util-linux) to drop its capabilities")
    return [setpriv, "--bounding-set=-all", "--"]


def set_writable(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        write = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
        path.chmod((mode | stat.S_IWUSR) if writable else (mode & ~write))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("read-only")
    written = root / "written"  # where the commands that may write do
    written.mkdir()
    run = Path(artgan.train(tiny_run_config(steps=2, run_dir=str(root / "run"))))
    ensure_signing_identity()  # made now, so no command below says it made one
    locked = root / "read-only-out"  # a folder --out may not write into
    locked.mkdir()
    set_writable(run, False)
    set_writable(locked, False)
    yield {"root": root, "run": run, "written": written, "locked": locked}
    set_writable(run, True)  # for pytest's clean-up
    set_writable(locked, True)


def snapshot(folder: Path) -> dict:
    return {
        str(p): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if "written" not in p.parts
    }


def artgan_cli(world, *argv):
    env = {**os.environ, "PYTHONPATH": str(Path(artgan.__file__).parents[1])}
    return subprocess.run(
        [*bound_by_permissions(), sys.executable, "-m", "artgan", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=world["root"],
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize(
    "argv, says",
    [
        (["train", "--resume", "{run}", "--steps", "4"], "cannot write in run folder"),
        (["train", "--data", "digits", "--run-dir", "{run}/new", "--steps", "1"], "cannot write"),
        (["sample", "{run}", "--n", "2", "--out", "{locked}/g.png"], "Permission denied"),
        (["sample", "{run}", "--n", "2", "--out", "{locked}/folder"], "Permission denied"),
    ],
    ids=["resume", "new-run-inside", "sample-grid-into-read-only", "sample-folder-into-read-only"],
)
def test_writing_into_a_read_only_folder_is_one_line_and_changes_nothing(world, argv, says):
    before = snapshot(world["root"])
    argv = [a.format(run=world["run"], locked=world["locked"]) for a in argv]
    result = artgan_cli(world, *argv)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr and says in result.stderr
    assert snapshot(world["root"]) == before


def test_a_read_only_run_can_still_be_sampled(world):
    out = world["written"] / "grid.png"
    result = artgan_cli(world, "sample", world["run"], "--n", "4", "--out", out)
    assert result.returncode == 0, result.stderr
    assert out.is_file()
