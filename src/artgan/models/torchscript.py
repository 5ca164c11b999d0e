"""A user's own classifier, saved as TorchScript (``torch.jit.save(torch.jit.script(net))``), as a
:class:`~artgan.models.capabilities.Classifier`: the target of attacks and of AdvGAN training.

Not a family (nothing trains it here): a frozen wrapper. The file holds no class names or input
size, so the caller gives them (from the data it is attacked on), and the range its inputs
take: artgan's [-1, 1] ("-1,1") or [0, 1] ("0,1", torchvision's ToTensor convention), mapped
here so that ``classify`` always takes artgan's [-1, 1]. TorchScript archives are read by
``torch.jit.load``, which restores only TorchScript code and tensors (no arbitrary pickled
Python objects, unlike ``torch.load`` of a whole model).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from ..errors import ConfigError
from .capabilities import Classifier

INPUT_RANGES = ("-1,1", "0,1")


def check_input_range(value: str) -> str:
    if value not in INPUT_RANGES:
        raise ConfigError(f"the input range must be -1,1 or 0,1, got {value!r}")
    return value


class TorchScriptClassifier(nn.Module, Classifier):
    """(B, C, H, W) in [-1, 1] -> the scripted module's logits, with gradients to the input."""

    def __init__(
        self,
        module: torch.jit.ScriptModule,
        input_shape: tuple[int, int, int],
        class_names: list[str],
        input_range: str = "-1,1",
        source: str = "",
    ) -> None:
        super().__init__()
        self.net = module.eval()
        for parameter in self.net.parameters():  # (a ScriptModule has no requires_grad_)
            parameter.requires_grad_(False)
        self._input_shape = tuple(int(d) for d in input_shape)
        self._class_names = list(class_names)
        self.input_range = check_input_range(input_range)
        self.source = source
        self.name = "torchscript"

    @property
    def class_names(self) -> list[str]:
        return self._class_names

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self._input_shape  # type: ignore[return-value]

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        if self.input_range == "0,1":
            x = (x + 1) / 2
        return self.net(x)


def load_torchscript_classifier(
    path: str | Path,
    input_shape: tuple[int, int, int],
    class_names: list[str] | None,
    input_range: str = "-1,1",
    device: str | torch.device = "cpu",
) -> TorchScriptClassifier:
    """Load ``path`` and check, on one blank image, that it gives one logit per class."""
    try:
        with warnings.catch_warnings():  # torch 2.9+ calls TorchScript deprecated; it still loads
            warnings.simplefilter("ignore", DeprecationWarning)
            module = torch.jit.load(str(path), map_location=device)
    except (RuntimeError, ValueError, OSError) as error:
        first = str(error).strip().splitlines()[0][:160] if str(error).strip() else ""
        raise ConfigError(
            f"{path} is not a TorchScript model ({first}); save yours with "
            "torch.jit.save(torch.jit.script(net), 'net.pt')"
        ) from None
    probe = torch.zeros(1, *input_shape, device=device)
    try:
        with torch.no_grad():
            logits = TorchScriptClassifier(module, input_shape, [], input_range).classify(probe)
    except RuntimeError as error:
        raise ConfigError(
            f"{path} fails on a {'x'.join(map(str, input_shape))} image (the data's shape): "
            f"{str(error).strip().splitlines()[-1][:160]}"
        ) from None
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
        raise ConfigError(f"{path} must return (batch, classes) logits")
    names = list(class_names or [str(i) for i in range(logits.shape[1])])
    if logits.shape[1] != len(names):
        raise ConfigError(
            f"{path} gives {logits.shape[1]} logits, but the data has {len(names)} classes"
        )
    return TorchScriptClassifier(module, input_shape, names, input_range, str(path))
