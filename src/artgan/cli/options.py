"""Shared command-line plumbing: dotted config overrides (``--model.width 64``)."""

from __future__ import annotations

import sys
from typing import Any

from ..config import parse_value
from ..devices import select_device
from ..errors import ConfigError
from ..sample import truncation_note


def parse_dotted(extra: list[str]) -> dict[str, Any]:
    """``["--model.width", "64", "--train.ema_decay=0"]`` -> {"model.width": 64, ...}.
    A dotted flag with no value is ``true``."""
    overrides: dict[str, Any] = {}
    i = 0
    while i < len(extra):
        token = extra[i]
        if not token.startswith("--") or "." not in token.split("=")[0]:
            raise ConfigError(
                f"unrecognised argument {token!r} (options look like --model.width 64)"
            )
        key, eq, value = token[2:].partition("=")
        key = key.replace("-", "_")
        if not eq:
            if i + 1 < len(extra) and not extra[i + 1].startswith("--"):
                value = extra[i + 1]
                i += 1
            else:
                value = "true"
        overrides[key] = parse_value(value)
        i += 1
    return overrides


def add_device(parser) -> None:
    parser.add_argument(
        "--device",
        default="auto",
        type=device_option,
        help="auto (default: a GPU when there is one, else the CPU), cpu, cuda, cuda:N or mps",
    )


def add_force(parser) -> None:
    """``--force``: use a checkpoint whose weights hold NaN or infinity (a diverged run), with a
    warning; without it such a checkpoint is refused (training/checkpoint.py, load_model)."""
    parser.add_argument(
        "--force",
        action="store_true",
        help="use the checkpoint even when its weights hold NaN or infinity (a diverged run, "
        "refused by default); its outputs are likely noise",
    )


def device_option(name: str) -> str:
    """``auto`` becomes the device it picks (training's rule, devices.select_device); any other
    name is checked where the model is loaded."""
    return str(select_device("auto")) if name == "auto" else name


def say_truncation_note(model, truncation: float | None) -> None:
    """Print, on stderr, what was measured about truncation for this family when it is asked
    for and does not help (sample.truncation_note)."""
    note = truncation_note(model, truncation)
    if note:
        print(note, file=sys.stderr)
