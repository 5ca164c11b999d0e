"""The classifier an attack or an AdvGAN run is aimed at: a classifier run folder that artgan
trained (any family declaring :class:`~artgan.models.capabilities.Classifier`) or a user's
TorchScript file. Loaded frozen (eval mode, no weight gradients), on ``device``."""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import ConfigError
from ..models import families_with
from ..models.capabilities import Classifier
from ..models.torchscript import load_torchscript_classifier
from .checkpoint import load_model

TORCHSCRIPT_SUFFIXES = (".pt", ".pth", ".ts", ".jit")


def classifier_families() -> str:
    return ", ".join(families_with(Classifier)) or "none registered"


def load_classifier(
    source: str,
    device: str | torch.device = "cpu",
    input_shape: tuple[int, ...] | None = None,
    class_names: list[str] | None = None,
    input_range: str = "-1,1",
) -> Classifier:
    """The classifier at ``source``; ``input_shape`` and ``class_names`` (the data's) are what
    a TorchScript file cannot say about itself, and are checked against a run."""
    path = Path(source)
    if path.is_file() and path.suffix.lower() in TORCHSCRIPT_SUFFIXES:
        if input_shape is None:
            raise ConfigError(f"{source}: a TorchScript classifier needs the data's image shape")
        shape = (int(input_shape[0]), int(input_shape[1]), int(input_shape[2]))
        return load_torchscript_classifier(path, shape, class_names, input_range, device)
    if not path.exists():
        raise ConfigError(
            f"{source} does not exist; name a classifier run folder or a TorchScript file "
            f"({', '.join(TORCHSCRIPT_SUFFIXES)})"
        )
    if path.is_file():
        raise ConfigError(
            f"{source} is neither a run folder nor a TorchScript file "
            f"({', '.join(TORCHSCRIPT_SUFFIXES)})"
        )
    model = load_model(source, device=str(device))
    if not isinstance(model, Classifier):
        raise ConfigError(
            f"{source} holds a {model.name} model, not a classifier; attacks need a classifier "
            f"run ({classifier_families()}) or a TorchScript file"
        )
    if input_shape is not None and tuple(input_shape) != tuple(model.input_shape):
        raise ConfigError(
            f"{source} classifies {'x'.join(map(str, model.input_shape))} images but the data "
            f"gives {'x'.join(map(str, input_shape))}"
        )
    return model.eval().requires_grad_(False)
