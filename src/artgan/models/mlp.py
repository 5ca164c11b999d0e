"""Fully connected GAN (Goodfellow et al. 2014): the flattened-image GAN of the seeds' code,
and the standard model for 2-D mixtures (Metz et al. 2017; Srivastava et al. 2017, VEEGAN).

Works on any data shape: 2-D points (linear output) or images (C, H, W) flattened (tanh output).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import nn

from ..errors import ConfigError
from ..losses.objective import ObjectiveConfig
from ..nn.layers import MinibatchStdDev
from ..registry import MODELS
from .base import DataSpec
from .gan import GAN


@dataclass
class MLPGANConfig:
    name: ClassVar[str] = "mlp"
    data_shape: list[int] = field(default_factory=lambda: [2])  # set from the data
    z_dim: int = 64
    width: int = 256
    depth: int = 3  # hidden layers in each network
    g_batch_norm: bool = False
    d_dropout: float = 0.0
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)

    def __post_init__(self) -> None:
        if not self.data_shape or any(d < 1 for d in self.data_shape):
            raise ConfigError("model.data_shape must be positive sizes")
        if self.z_dim < 1 or self.width < 1 or self.depth < 1:
            raise ConfigError("z_dim, width and depth must be positive")
        if not 0 <= self.d_dropout < 1:
            raise ConfigError("d_dropout must be in [0, 1)")

    def with_data(self, spec: DataSpec) -> MLPGANConfig:
        self.data_shape = list(spec.shape)
        return self

    @property
    def is_image(self) -> bool:
        return len(self.data_shape) == 3


class MLPGenerator(nn.Module):
    def __init__(self, c: MLPGANConfig):
        super().__init__()
        layers: list[nn.Module] = []
        width_in = c.z_dim
        for _ in range(c.depth):
            layers += [nn.Linear(width_in, c.width)]
            if c.g_batch_norm:
                layers += [nn.BatchNorm1d(c.width)]
            layers += [nn.ReLU(True)]
            width_in = c.width
        layers += [nn.Linear(width_in, math.prod(c.data_shape))]
        if c.is_image:
            layers += [nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.shape = tuple(c.data_shape)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.shape)


class MLPDiscriminator(nn.Module):
    """Input: ``objective.pack`` flattened samples side by side (PacGAN). With
    ``objective.minibatch_std`` the batch statistic enters before the last hidden layer, so a
    nonlinearity still follows it (a linear read-out could only use it as a bias)."""

    def __init__(self, c: MLPGANConfig):
        super().__init__()
        layers: list[nn.Module] = []
        width_in = math.prod(c.data_shape) * c.objective.pack
        for i in range(c.depth):
            if c.objective.minibatch_std and i == c.depth - 1:
                layers += [MinibatchStdDev()]
                width_in += 1
            layers += [nn.Linear(width_in, c.width), nn.LeakyReLU(0.2, True)]
            if c.d_dropout:
                layers += [nn.Dropout(c.d_dropout)]
            width_in = c.width
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(width_in, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x.flatten(1))

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.out(features).view(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@MODELS.register("mlp")
class MLPGAN(GAN):
    name = "mlp"
    config_class = MLPGANConfig

    @property
    def output_kind(self) -> str:  # type: ignore[override]
        return "image" if self.config.is_image else "points"

    def build_networks(self):
        return MLPGenerator(self.config), MLPDiscriminator(self.config)
