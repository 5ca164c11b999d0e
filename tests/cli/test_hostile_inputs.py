"""Hostile command-line values: every one is a one-line error with exit status 2, never a
traceback, a hang or a changed file. The table is per option family, so an option added to a
family is covered by adding its name to the family's list."""

import subprocess
import sys

import pytest

import artgan
from artgan.cli.main import main
from tests.conftest import tiny_run_config


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    image = artgan.train(tiny_run_config(steps=1, run_dir=str(root / "image")))
    points = artgan.train(tiny_run_config("mlp", steps=1, run_dir=str(root / "points")))
    return {"image": image, "points": points, "root": root}


def one_line_error(capsys, argv) -> str:
    """Run the CLI; it must exit 2 with one line on stderr and no traceback."""
    capsys.readouterr()
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exit:  # argparse
        code = exit.code
    err = capsys.readouterr().err.strip()
    assert code == 2, (argv, code, err)
    assert len(err.splitlines()) == 1, (argv, err)
    assert "Traceback" not in err
    return err


def test_tiny_truncation_returns_at_once_with_one_line(runs, tmp_path):
    """It used to loop forever in models/gan.py."""
    out = tmp_path / "g.png"
    argv = ["sample", runs["image"], "--n", "4", "--truncation", "1e-9", "--out", out]
    result = subprocess.run(
        [sys.executable, "-m", "artgan", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "truncation" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


@pytest.mark.parametrize(
    "kind, out", [("image", "g.png"), ("image", "folder"), ("points", "p.npy")]
)
def test_impossible_sample_counts_are_refused_up_front(runs, tmp_path, capsys, kind, out):
    err = one_line_error(capsys, ["sample", runs[kind], "--n", 10**9, "--out", tmp_path / out])
    assert "GiB" in err
    assert not (tmp_path / out).exists()


def test_a_grid_larger_than_artgan_reads_back_is_refused(runs, tmp_path, capsys):
    err = one_line_error(
        capsys, ["sample", runs["image"], "--n", 200_000, "--out", tmp_path / "g.png"]
    )
    assert "grid" in err
