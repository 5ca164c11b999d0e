"""Tiny classifiers for the attack tests: the ``Classifier`` capability on any image shape,
seeded, a few hundred weights (no training needed for the maths; a few steps where an attack
must have something to undo)."""

from __future__ import annotations

import torch
from torch import nn

from artgan.models.capabilities import Classifier


class TinyClassifier(nn.Module, Classifier):
    """(B, C, H, W) in [-1, 1] -> (B, classes): one 3x3 convolution, a mean pool, a linear."""

    def __init__(self, shape=(1, 16, 16), classes: int = 3, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.shape = tuple(shape)
        self.names = [f"class{i}" for i in range(classes)]
        self.conv = nn.Conv2d(shape[0], 8, 3, padding=1)
        self.head = nn.Linear(8 * 4 * 4, classes)

    @property
    def class_names(self) -> list[str]:
        return self.names

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.shape

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        h = nn.functional.adaptive_avg_pool2d(torch.relu(self.conv(x)), 4)  # (B, 8, 4, 4)
        return self.head(h.flatten(1))


class LinearClassifier(nn.Module, Classifier):
    """logits = W x (flattened), for known-answer tests: the loss gradient's sign is known."""

    def __init__(self, weight: torch.Tensor, shape):
        super().__init__()
        self.weight = nn.Parameter(weight)
        self.shape = tuple(shape)

    @property
    def class_names(self) -> list[str]:
        return [str(i) for i in range(self.weight.shape[0])]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.shape

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1) @ self.weight.T
