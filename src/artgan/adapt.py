"""Domain adaptation (``artgan adapt``): train a classifier on a labelled source domain that
works on an unlabelled target domain. Each method is a classifier run trained by the one
trainer, which ``artgan eval RUN --data LABELLED_TARGET`` scores:

- ``source-only``: the classifier on the source images alone (the baseline);
- ``dann``: domain-adversarial training on labelled source and unlabelled target images
  (models/dann.py; Ganin et al., JMLR 2016);
- ``pixel``: the classifier on source images translated into the target's style by an image
  translator run (``--translator``: a CycleGAN trained from source to target, artgan train
  --model cyclegan --data-a SOURCE --data-b TARGET), with the source labels.

Grey sources are read as RGB (the grey value in each channel), as MNIST -> MNIST-M is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .data.files import IMAGE_SUFFIXES, find_images
from .errors import ConfigError, DataError
from .models import model_class
from .models.capabilities import Translator
from .registry import DATASETS
from .training.checkpoint import read_meta, resolve_checkpoint
from .training.trainer import train

METHODS = ("source-only", "dann", "pixel")
IMAGE_SIZE = 28  # the paper's MNIST network; Fashion-MNIST's side


def check_images(source: str, role: str) -> None:
    """``source`` is a built-in dataset or a folder holding images; else one clear error."""
    if source in DATASETS:
        return
    path = Path(source).expanduser()
    if not path.is_dir():
        raise DataError(
            f"--{role} {source}: no such folder or built-in dataset ({', '.join(DATASETS.names())})"
        )
    if not find_images(path):
        raise DataError(f"--{role} {source}: no images ({' '.join(IMAGE_SUFFIXES)}) in it")


def check_translator(run: str) -> None:
    """``run`` (a run or checkpoint folder) holds an image translator: its family declares
    Translator."""
    family = read_meta(resolve_checkpoint(run))["family"]
    if not issubclass(model_class(family), Translator):
        raise ConfigError(
            f"--translator {run} is a {family} run, not an image translator; train one from "
            "source to target with artgan train --model cyclegan --data-a SOURCE --data-b TARGET"
        )


def adapt_config(
    source: str, target: str | None, method: str, translator: str | None = None
) -> dict[str, Any]:
    """The run config of ``method`` (checked: the method, the folders, the translator)."""
    if method not in METHODS:
        raise ConfigError(f"unknown adaptation method {method!r}; methods: {', '.join(METHODS)}")
    check_images(source, "source")
    if target is not None:
        check_images(target, "target")
    elif method == "dann":
        raise ConfigError("--method dann learns from the target images: give --target FOLDER")
    if method == "pixel" and not translator:
        raise ConfigError(
            "--method pixel needs --translator RUN: a CycleGAN run from source to target"
        )
    if translator and method != "pixel":
        raise ConfigError(f"--translator is for --method pixel, not {method}")
    model: dict[str, Any] = {"name": "dann" if method == "dann" else "classifier"}
    model["image_size"] = IMAGE_SIZE
    data: dict[str, Any] = {"source": source, "color": "rgb"}
    if method == "dann":
        data.update(source_b=target, pairing="unpaired")
    if method == "pixel":
        check_translator(translator)
        model["translator"] = str(translator)
    return {"model": model, "data": data}


def adapt(
    source: str,
    target: str | None,
    method: str = "dann",
    translator: str | None = None,
    **overrides,
) -> Path | None:
    """Train a classifier for the target domain by ``method``; returns its run folder.
    ``overrides`` are :func:`artgan.train`'s (``steps=2000``, ``run_dir="runs/a"``, dotted
    ``**{"model.hidden": 200}``)."""
    return train(adapt_config(source, target, method, translator), **overrides)
