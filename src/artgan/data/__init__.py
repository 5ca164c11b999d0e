"""Data sources: built-in datasets by name, image folders, 2-D point files, text files and
folders of sound files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..audio import AUDIO_SUFFIXES
from ..config import DataConfig
from ..errors import DataError
from ..registry import DATASETS
from . import (  # noqa: F401  (registration)
    art,
    digits,
    fashion_mnist,
    fashion_mnist_m,
    points,
    shapes3d,
    spoken_digits,
    text,
)
from .audio import is_audio_folder, load_audio_folder
from .dataset import BatchStream, DataReport, InMemoryDataset, one_class
from .folder import IMAGE_SUFFIXES, load_image_folder
from .noisy_speech import is_paired_audio, load_noisy_speech, load_paired_folders
from .points import POINT_SUFFIXES, load_point_file
from .text import load_text_file
from .two_domain import load_two_domain

POINT_DATASETS = ("ring8", "grid25")


def is_point_source(source: str) -> bool:
    """True when ``source`` names 2-D point data (so the default model is the MLP GAN)."""
    return source in POINT_DATASETS or Path(source).suffix.lower() in POINT_SUFFIXES


def check_source(source: str, classes: bool = False) -> None:
    """An error unless ``source`` is a built-in dataset (with ``classes``, also one class of
    one, ``art:mondrian``, as two-domain models take) or an existing path: what ``--dry-run``
    checks before anything is loaded."""
    name = source.partition(":")[0] if classes or ":" in source else source
    if name in DATASETS or Path(source).expanduser().exists():
        return
    raise DataError(
        f"no built-in dataset or path named {source!r}; "
        f"built-in datasets: {', '.join(DATASETS.names())}"
    )


def load_dataset(config: DataConfig, image_size: int | None = None):
    """Load ``config.source``: a built-in name, an image folder, a .npy/.csv point file, a text
    file, or a folder of sound files. ``image_size`` is the size of one item: the image side,
    or the text window / audio clip length of the model being trained."""
    if config.pairing == "noise":
        return load_noisy_speech(config, image_size)
    if is_paired_audio(config):
        return load_paired_folders(config, image_size)
    if config.pairing != "none":
        return load_two_domain(config, image_size)
    if config.source_b:
        raise DataError(
            "data.source_b (--data-b) is for two-domain models; train --model cyclegan "
            "(unpaired) or --model pix2pix (paired)"
        )
    if config.source in DATASETS:
        return DATASETS.get(config.source)(config, image_size)
    name, _, wanted = config.source.partition(":")
    if wanted and name in DATASETS:  # one class of a built-in: shapes3d:vase, art:mondrian
        return one_class(DATASETS.get(name)(replace(config, source=name), image_size), wanted)
    check_source(config.source)
    path = Path(config.source).expanduser()
    if path.is_file() and path.suffix.lower() in POINT_SUFFIXES:
        return load_point_file(path, config)
    if path.is_file() and path.suffix.lower() in (*IMAGE_SUFFIXES, *AUDIO_SUFFIXES):
        raise DataError(
            f"{path} is a single file; put the images or sounds to train on in a "
            "folder and pass the folder"
        )
    if path.is_file():
        return load_text_file(path, config, image_size)
    if path.is_dir() and is_audio_folder(path):
        return load_audio_folder(path, config, image_size)
    if path.is_dir():
        return load_image_folder(path, config, image_size)
    raise DataError(
        f"{path} is neither a folder of images or sounds, a text file nor a .npy/.csv point file"
    )


__all__ = ["BatchStream", "DataReport", "InMemoryDataset", "is_point_source", "load_dataset"]
