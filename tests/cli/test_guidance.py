"""Guidance that fits the run: the "next:" hint per capability, dry-run data checks, resumes."""

import pytest

from artgan.cli.main import main
from tests.conftest import QUIET_CLI, TINY_DCGAN_CLI, TINY_MODELS


def _dotted(family: str) -> list[str]:
    options = []
    for key, value in TINY_MODELS[family].items():
        if key != "name":
            options += [f"--model.{key}", str(value)]
    return options


@pytest.mark.parametrize(
    "family, data, command",
    [
        ("dcgan", "digits", "artgan sample {run} --n 64 --out grid.png"),
        ("srresnet", "art", "artgan upscale {run} small.png --out big.png"),
        ("inpaint", "art", "artgan inpaint {run} photo.png --mask mask.png --out out.png"),
    ],
)
def test_the_next_hint_names_the_command_the_run_is_for(tmp_path, capsys, family, data, command):
    run = tmp_path / family
    argv = ["train", "--model", family, "--data", data, *_dotted(family), *QUIET_CLI]
    assert main([*argv, "--batch-size", "4", "--steps", "1", "--run-dir", str(run)]) == 0
    assert f"next:     {command.format(run=run)}" in capsys.readouterr().out


def test_dry_run_rejects_a_data_path_that_does_not_exist(tmp_path, capsys):
    missing = tmp_path / "no_such_folder"
    assert main(["train", "--data", str(missing), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"no built-in dataset or path named {str(missing)!r}" in err
    assert "built-in datasets: " in err and "art" in err


def test_dry_run_accepts_a_class_of_a_built_in_dataset(capsys):
    argv = ["train", "--model", "cyclegan", "--data-a", "art:mondrian", "--data-b", "art:rothko"]
    assert main([*argv, "--dry-run"]) == 0


def test_a_resumed_run_says_where_it_resumed(tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["train", "--model", "dcgan", "--data", "digits", *TINY_DCGAN_CLI]
    assert main([*argv, "--steps", "2", "--run-dir", str(run)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--steps", "3"]) == 0
    assert f"resumed from step 2 ({run / 'checkpoints' / 'step-00000002'})" in (
        capsys.readouterr().out
    )


def test_device_defaults_to_auto_in_every_command():
    from artgan.cli.main import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # name -> sub-parser
    defaults = {
        name: action.default
        for name, sub in commands.items()
        for action in sub._actions
        if "--device" in action.option_strings
    }
    assert defaults and all(value in (None, "auto") for value in defaults.values()), defaults
    args = parser.parse_args(["sample", "runs/x", "--out", "g.png"])
    assert args.device == ("cuda:0" if __import__("torch").cuda.is_available() else "cpu")
