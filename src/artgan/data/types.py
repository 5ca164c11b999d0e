"""What the data layer hands to models: a batch, and the shape of one item."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Batch:
    x: torch.Tensor  # (B, ...) float, images in [-1, 1]
    y: torch.Tensor | None = None  # (B,) int64 class labels, when the data has them
    x_b: torch.Tensor | None = None  # (B, C, H, W) domain-B images of two-domain data


@dataclass
class DataSpec:
    """What the model needs to know about its data to build itself."""

    shape: tuple[int, ...]  # one item: (C, H, W) for images, (D,) for points
    num_classes: int = 0
    class_names: list[str] = field(default_factory=list)
