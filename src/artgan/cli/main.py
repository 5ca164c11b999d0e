"""``artgan`` command line: one module per command group, each a thin layer over the API.

Each command module defines ``add_parser(subparsers)``, which registers its sub-command and sets
``func`` to a function taking the parsed arguments and returning an exit status.
A user error (ArtganError) prints one line and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

from ..errors import ArtganError
from ..version import __version__

# Before torch loads (nothing above imports it): OpenMP threads that spin while they wait
# make a training beside other busy processes many times slower; passive waiting does not.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

COMMAND_MODULES = [
    "train",
    "sample",
    "interpolate",
    "demo",
    "info",
    "verify",
    "keys",
    "data",
    "reconstruct",
    "traverse",
    "explore",
    "invert",
    "edit",
    "augment",
    "upscale",
    "inpaint",
    "denoise",
    "create",
    "stylize",
    "style_transfer",
    "eval",
    "adapt",
    "studio",
    "attack",
]


class OneLineParser(argparse.ArgumentParser):
    """argparse, with its errors on one line (usage is one ``--help`` away) and exit 2."""

    def error(self, message: str):
        self.exit(2, f"artgan: error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or, when ``argv`` starts with a command's name, of that
    command only: each command module imports what it runs (torch, the model and dataset
    registries, ...), and importing all of them cost about 2.5 CPU s before any command ran
    (``artgan studio``'s start, issue 17). ``artgan --help`` and a mistyped name see them all."""
    parser = OneLineParser(
        prog="artgan",
        description="Make art with generative models.",
    )
    parser.add_argument("--version", action="version", version=f"artgan {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in commands_to_parse(argv):
        importlib.import_module(f"{__package__}.{name}").add_parser(subparsers)
    return parser


def commands_to_parse(argv: list[str] | None) -> list[str]:
    """The command modules the parser needs: the one ``argv`` names first, else all."""
    named = argv[0].replace("-", "_") if argv else None  # style-transfer -> style_transfer
    return [named] if named in COMMAND_MODULES else COMMAND_MODULES


def refuse_output_into_training_data(args) -> None:
    """Every command that reads a RUN and writes --out: never into the run's training data."""
    run, out = getattr(args, "run", None), getattr(args, "out", None)
    if run and out:
        from ..run_folder import Run

        Run.of(run).refuse_output_inside_data(out)


def one_line_warning(message, category, filename, lineno, line=None) -> str:
    """Warnings (skipped files, excluded files, ...) as one line a person reads: no internal
    path, line number or warning class."""
    return f"artgan: warning: {message}\n"


def main(argv: list[str] | None = None) -> int:
    # One-line warnings while the command runs; a caller's own format comes back after.
    previous, warnings.formatwarning = warnings.formatwarning, one_line_warning
    try:
        return run_command(argv)
    finally:
        warnings.formatwarning = previous


def run_command(argv: list[str] | None) -> int:
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args, extra = parser.parse_known_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if extra and not getattr(args, "accepts_dotted", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    try:
        refuse_output_into_training_data(args)
        return int(args.func(args) or 0)
    except ArtganError as error:
        print(f"artgan: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as error:  # training's says where it saved (training/interrupt.py)
        print(f"artgan: {str(error) or 'interrupted'}", file=sys.stderr)
        return getattr(error, "exit_status", 130)
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        sys.stderr.close()
        return 0
    except OSError as error:  # a folder that is a file, a read-only or full disk, ...
        where = f": {error.filename}" if error.filename else ""
        print(f"artgan: error: {error.strerror or error}{where}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
