"""What ``artgan attack`` aims at, and the labelled images it attacks.

A target is a classifier run that artgan trained (training/targets.py), a user's TorchScript
file (the data says its input shape and class names), or ``classifier:<data>``: the small CNN
that artgan trains once per labelled dataset for its metrics (metrics/extractors/classifier.py),
attacked through its differentiable forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..cache import file_sha256
from ..config import DataConfig
from ..data import load_dataset
from ..data.dataset import InMemoryDataset
from ..errors import ConfigError, DataError
from ..metrics.extractors.classifier import ClassifierFeatures, to_input
from ..models.capabilities import Classifier
from ..models.torchscript import TorchScriptClassifier
from ..provenance.record import record_for_model
from ..training.targets import load_classifier

EXTRACTOR_PREFIX = "classifier:"


class ExtractorClassifier(nn.Module, Classifier):
    """``classifier:<data>`` as a Classifier: its CNN after its own preprocessing (grey by
    luma, resized to 32 x 32), differentiable in the input."""

    def __init__(self, extractor: ClassifierFeatures, input_shape: tuple[int, int, int]):
        super().__init__()
        self.extractor = extractor
        self.net = extractor.net.eval().requires_grad_(False)
        self._input_shape = input_shape

    @property
    def class_names(self) -> list[str]:
        return self.extractor.class_names

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self._input_shape

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        rgb = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x  # (B, 3, H, W)
        return self.net(to_input(rgb, self.extractor.channels))


@dataclass
class Target:
    """A loaded classifier, what the records say about it, and the images to attack."""

    classifier: Classifier
    source: str
    record_fields: dict = field(default_factory=dict)  # model_family, run_id, weights_sha256


@dataclass
class LabelledImages:
    x: torch.Tensor  # (N, C, H, W) in [-1, 1], on the 8-bit grid
    y: torch.Tensor  # (N,) true labels
    class_names: list[str]
    source: str
    split: str


def load_labelled_images(
    source: str, split: str, n: int, image_size: int | None = None, color: str = "auto"
) -> LabelledImages:
    """The first ``n`` labelled images of ``source``'s ``split``."""
    if n < 1:
        raise ConfigError(f"--n must be at least 1, got {n}")
    dataset = load_dataset(DataConfig(source=source, split=split, limit=n, color=color), image_size)
    if not isinstance(dataset, InMemoryDataset) or dataset.kind != "image":
        raise DataError(f"attacks take images that fit in memory; {source} gives none")
    if dataset.y is None or len(dataset.class_names) < 2:
        raise DataError(
            f"attacks need labelled images (a built-in labelled dataset such as fashion-mnist, "
            f"or a folder with one subfolder per class); {source} has no labels"
        )
    x = dataset.x[:n]
    x = x.float() / 127.5 - 1.0 if x.dtype == torch.uint8 else x.float()
    return LabelledImages(x, dataset.y[:n].long(), dataset.class_names, source, split)


def load_target(
    source: str,
    data: str,
    split: str = "test",
    n: int = 256,
    device: str | torch.device = "cpu",
    input_range: str = "-1,1",
) -> tuple[Target, LabelledImages]:
    """The classifier at ``source`` and ``n`` labelled images of ``data`` at its input size."""
    if source.startswith(EXTRACTOR_PREFIX):
        images = load_labelled_images(data, split, n)
        extractor = ClassifierFeatures(source[len(EXTRACTOR_PREFIX) :], device=device)
        classifier = ExtractorClassifier(extractor, tuple(images.x.shape[1:])).to(device)
        fields = {"model_family": source, "weights_sha256": extractor.version}
        target = Target(classifier, source, fields)
    elif Path(source).is_file():
        images = load_labelled_images(data, split, n)
        shape = tuple(images.x.shape[1:])
        classifier = load_classifier(source, device, shape, images.class_names, input_range)
        fields = {"model_family": "torchscript", "weights_sha256": file_sha256(Path(source))}
        target = Target(classifier, source, fields)
    else:
        classifier = load_classifier(source, device)
        channels, side = classifier.input_shape[0], classifier.input_shape[-1]
        color = "grey" if channels == 1 else "rgb"
        images = load_labelled_images(data, split, n, side, color)
        record = record_for_model(classifier)
        fields = {"model_family": record.model_family, "run_id": record.run_id}
        fields |= {"weights_sha256": record.weights_sha256, "step": record.step}
        target = Target(classifier, source, fields)
    check_classes(target, images)
    return target, images


def check_classes(target: Target, images: LabelledImages) -> None:
    names = list(target.classifier.class_names)
    if isinstance(target.classifier, TorchScriptClassifier):
        return  # it took the data's names when loaded
    if len(names) != len(images.class_names):
        raise ConfigError(
            f"{target.source} tells {len(names)} classes apart but {images.source} has "
            f"{len(images.class_names)}; attack it on the data it was trained for"
        )
