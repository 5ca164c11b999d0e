"""``artgan eval`` for classifier runs (models/classifier.py, models/dann.py): accuracy on
labelled images, overall and per class.

The labelled images are a folder with one sub-folder per class (all of it is scored), or a
built-in labelled dataset (its test split); without ``--data``, the run's own data's held-out
part. A folder's classes are matched to the run's by name: through ``labels.json`` where the
folder has one (written by ``artgan data export`` and ``artgan augment``: folder name -> class
name), else by the name with case and punctuation ignored ("T-shirt_top" is "T-shirt/top").
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import torch

from ..config import DataConfig
from ..data import load_dataset
from ..data.dataset import InMemoryDataset, images_as_float
from ..data.files import LABELS_FILE
from ..errors import DataError
from ..output_kinds import EVALUATORS
from ..registry import DATASETS


def name_key(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


def folder_class_names(source: str, names: list[str]) -> list[str]:
    """The class names a labelled folder's sub-folders stand for (``labels.json`` when there)."""
    path = Path(source).expanduser() / LABELS_FILE
    if not path.is_file():
        return names
    try:
        mapping = json.loads(path.read_text(encoding="utf-8")).get("classes", {})
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as error:
        raise DataError(f"{path} is unreadable ({error}); remove it or repair it") from None
    return [str(mapping.get(name, name)) for name in names]


def label_map(data_names: list[str], model_names: list[str], source: str) -> torch.Tensor:
    """For each class of the data, the index of the model's class of the same name."""
    keys = {name_key(name): k for k, name in enumerate(model_names)}
    unknown = [name for name in data_names if name_key(name) not in keys]
    if unknown:
        raise DataError(
            f"{source} has classes the classifier does not know: {', '.join(unknown[:5])}; "
            f"its classes: {', '.join(model_names)}"
        )
    return torch.tensor([keys[name_key(name)] for name in data_names])


def labelled_data(model, config: DataConfig, given: bool) -> tuple[InMemoryDataset, str]:
    """The labelled images to score, at the classifier's input size and colour mode, and
    which part of the source they are."""
    built_in = config.source in DATASETS
    config = dataclasses.replace(config, pairing="none", source_b="")
    if built_in or config.held_out_fraction > 0:
        config, part = dataclasses.replace(config, split="test", limit=0), "test split"
    elif given:
        config, part = dataclasses.replace(config, split="train", limit=0), "the whole folder"
    else:
        raise DataError(
            f"the run trained on all of {config.source}: score it on other labelled images "
            "with --data FOLDER (one sub-folder per class) or a labelled built-in dataset"
        )
    data = load_dataset(config, model.input_shape[-1])
    if not isinstance(data, InMemoryDataset) or data.kind != "image":
        raise DataError(f"{config.source} is not a set of images that fits in memory")
    if data.y is None or len(data.class_names) < 2:
        raise DataError(
            f"{config.source} has no class labels: give a folder with one sub-folder per "
            "class, or a labelled built-in dataset (fashion-mnist-m, fashion-mnist, digits)"
        )
    return data, part


@torch.no_grad()
def accuracy_scores(model, images: torch.Tensor, labels: torch.Tensor) -> dict:
    """Accuracy of ``model`` on uint8 images (N, C, H, W) with class indices (N,)."""
    predicted = torch.cat([model.predict(images_as_float(chunk)) for chunk in images.split(1024)])
    correct = predicted == labels
    per_class = {}
    for k, name in enumerate(model.class_names):
        members = labels == k
        if members.any():
            per_class[name] = float(correct[members].float().mean())
    return {"accuracy": float(correct.float().mean()), "per_class": per_class}


@EVALUATORS.register("labels")
def score_labels(model, config: DataConfig, names: list[str], opts: dict) -> dict:
    """Classifier runs: accuracy on labelled images (see the module docstring)."""
    data, part = labelled_data(model, config, given=opts.get("data_given", True))
    if tuple(data.x.shape[1:]) != model.input_shape:
        raise DataError(
            f"{config.source} gives images of shape {tuple(data.x.shape[1:])}, but the "
            f"classifier takes {model.input_shape}"
        )
    class_names = data.class_names
    if config.source not in DATASETS:
        class_names = folder_class_names(config.source, class_names)
    labels = label_map(class_names, model.class_names, config.source)[data.y.cpu()]
    images = data.x.cpu()
    notes = []
    if opts.get("n") and opts["n"] < len(images):  # a seeded subset
        keep = torch.randperm(len(images), generator=torch.Generator().manual_seed(opts["seed"]))
        keep = keep[: opts["n"]]
        images, labels = images[keep], labels[keep]
        notes.append(f"a random {len(keep)} of the {len(data.x)} images (--n)")
    scores = accuracy_scores(model, images, labels)
    return {
        "metrics": scores,
        "floor": {},
        "n": {"images": len(images)},
        "data": {"source": config.source, "held_out": part},
        "notes": notes,
    }
