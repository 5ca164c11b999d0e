"""``artgan train --help``'s list of every dotted option, generated from the config dataclasses:
each field's name, its default and the comment beside it in the source (so the help cannot go
stale), plus the registered families and built-in datasets."""

from __future__ import annotations

import dataclasses
import inspect
import re
import textwrap

from ..config import DataConfig, TrainConfig
from ..models import model_config_class
from ..registry import DATASETS, MODELS

FIELD_COMMENT = re.compile(r"^\s+(\w+)\s*:[^#\n]*?(?:#\s*(.*))?$")


def field_comments(cls: type) -> dict[str, str]:
    """``{field: the comment on its line}`` from the dataclass's source, for every class in its
    hierarchy (a subclass's comment wins)."""
    comments: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        for line in source.splitlines():
            match = FIELD_COMMENT.match(line)
            if match and match.group(2):
                comments[match.group(1)] = match.group(2).strip()
    return comments


def option_lines(section: str, cls: type) -> list[str]:
    """``--section.field DEFAULT  comment`` for each plain field of ``cls``."""
    comments = field_comments(cls)
    lines = []
    for f in dataclasses.fields(cls):
        if not f.init or f.name == "name":
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
            if dataclasses.is_dataclass(value):
                lines += option_lines(f"{section}.{f.name}", type(value))
                continue
            default = value
        else:
            default = "(required)"
        shown = (default or '""') if isinstance(default, str) else default
        text = f"  --{section}.{f.name} {shown}"
        comment = comments.get(f.name, "")
        lines.append(f"{text:<44} {comment}".rstrip())
    return lines


def train_epilog() -> str:
    """The families, the built-in datasets and every dotted option with its default."""
    families = ", ".join(name for name in MODELS.names() if name != "template")
    blocks = [
        "model families (--model): " + families,
        "built-in datasets (--data): " + ", ".join(DATASETS.names()),
        "",
        "training options (default, meaning):",
        *option_lines("train", TrainConfig),
        "",
        "data options:",
        *option_lines("data", DataConfig),
    ]
    for name in MODELS.names():
        if name != "template":
            blocks += ["", f"{name} options:", *option_lines("model", model_config_class(name))]
    wrapped = []
    for line in blocks:
        wrapped += textwrap.wrap(line, 100, subsequent_indent=" " * 45) or [""]
    return "\n".join(wrapped)
