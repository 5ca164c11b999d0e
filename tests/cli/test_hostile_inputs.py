"""Hostile command-line values: every one is a one-line error with exit status 2, never a
traceback, a hang or a changed file. The table is per option family, so an option added to a
family is covered by adding its name to the family's list."""

import subprocess
import sys

import pytest

import artgan
from artgan.cli.main import main
from artgan.training.run_lock import LOCK_FILE
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


# --------------------------------------------------------------------------- the fuzz table

NUMBERS = ["nan", "inf", "-1", "1e39"]  # not a number, infinite, negative, huge
SEEDS = ["nan", str(2**70)]  # beyond 64 bits
# A whole number too large to hold or draw ("1e39" is refused as text by whole-number
# options, so it never reaches their real check): each must be refused before any work.
HUGE = [str(10**12)]

# Option families: (command and its fixed arguments, options, hostile values). {run} is the
# tiny image run, {points} the 2-D one, {root} a scratch folder, {file} a plain file.
TRAIN = ["train", "--data", "digits", "--run-dir", "{root}/new", "--train.progress", "false"]
SAMPLE = ["sample", "{run}", "--out", "{root}/grid.png"]
INTERPOLATE = ["interpolate", "{run}", "--out", "{root}/walk.gif"]
TABLE = [
    (TRAIN, ["--steps", "--batch-size", "--model.width", "--model.z_dim"], NUMBERS),
    (TRAIN, ["--train.lr_g", "--train.ema_decay", "--train.log_every"], NUMBERS),
    (TRAIN, ["--seed"], SEEDS),
    (["train", "--resume", "{run}"], ["--steps"], NUMBERS),
    (SAMPLE, ["--n", "--truncation", "--columns"], NUMBERS),
    (SAMPLE, ["--seed"], SEEDS),
    (["sample", "{points}", "--out", "{root}/p.npy"], ["--n"], ["-1", "1e9", str(10**9)]),
    (INTERPOLATE, ["--steps", "--n", "--truncation", "--fps"], NUMBERS),
    (TRAIN, ["--batch-size", "--model.width", "--model.z_dim"], HUGE),
    (SAMPLE, ["--n", "--columns"], HUGE),
    (INTERPOLATE, ["--frames", "--keyframes", "--n"], HUGE),
    (INTERPOLATE, ["--seed"], SEEDS),
]
PATHS = [  # a missing input, a file where a folder is needed, a missing mount
    ["sample", "{root}/missing-run", "--out", "{root}/g.png"],
    ["sample", "{run}", "--n", "4", "--out", "{file}/g.png"],
    ["sample", "{run}", "--n", "4", "--out", "{file}"],
    ["sample", "{run}", "--n", "4", "--out", "/proc/no-such-mount/g.png"],
    ["sample", "{run}", "--n", "4", "--device", "cuda:7"],
    ["train", "--data", "{root}/missing-folder", "--run-dir", "{root}/new"],
    ["train", "--data", "digits", "--run-dir", "{file}/run", "--steps", "1"],
    ["train", "--resume", "{root}/missing-run"],
    ["train", "--config", "{root}/missing.json"],
    ["info", "{root}/missing-run"],
    ["verify", "{root}/missing.png"],
    ["upscale", "{run}", "{root}/missing.png", "--out", "{root}/u.png"],
]


def _cases():
    for command, options, values in TABLE:
        for option in options:
            for value in values:
                yield pytest.param([*command, option, value], id=f"{command[0]} {option} {value}")
    for argv in PATHS:
        yield pytest.param(argv, id=" ".join(argv[:2] + argv[-2:]))


def _snapshot(root):
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.name != LOCK_FILE
    }


@pytest.fixture(scope="module")
def arena(runs):
    root = runs["root"] / "arena"
    root.mkdir()
    (root / "a-file").write_text("not a folder")
    return root


@pytest.mark.parametrize("argv", list(_cases()))
def test_hostile_value_is_one_line_exit_2_and_changes_nothing(runs, arena, capsys, argv):
    names = {"run": runs["image"], "points": runs["points"], "root": arena}
    names["file"] = arena / "a-file"
    argv = [str(a).format(**names) for a in argv]
    before = _snapshot(runs["root"])
    one_line_error(capsys, argv)
    assert _snapshot(runs["root"]) == before
