"""DCGAN (Radford, Metz & Chintala 2016, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks").

Generator: a 1x1 latent grown to 4x4 by a transposed convolution, then doubled by strided
transposed convolutions with batch norm and ReLU, tanh output. Discriminator: the mirror image
with strided convolutions and LeakyReLU(0.2). With image_size 64 and width 64 this is exactly
the reference architecture (ngf = ndf = 64, nz = 100).

Class-conditional (``model.conditional``): the generator's batch norms become conditional batch
norms (de Vries et al. 2017), and the discriminator judges its flattened 4x4 features with a
projection head (Miyato & Koyama 2018), one head per class, or an AC-GAN classifier
(``model.cond_d``; see nn/conditional.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from ..config import DefaultsContext, ModelConfig, budget_presets
from ..errors import ConfigError
from ..losses.objective import ObjectiveConfig
from ..nn.conditional import (
    ConditionalBatchNorm2d,
    ConditionalHead,
    ConditionalSequential,
    reset_conditional_norms,
)
from ..nn.layers import NORMS, MinibatchStdDev, dcgan_init, norm2d, spectral
from ..registry import MODELS
from .base import DataSpec
from .conditioning import check_conditional_fields, take_image_data
from .gan import GAN

SIZES = (32, 64, 128)


@dataclass
class DCGANConfig(ModelConfig):
    name: ClassVar[str] = "dcgan"
    image_size: int = 64
    channels: int = 3
    z_dim: int = 100
    width: int = 64  # ngf: generator channels at the last hidden layer
    d_width: int = 0  # ndf; 0 = same as width
    g_norm: str = "batch"
    d_norm: str = "auto"  # auto: batch norm, or none when a gradient penalty / spectral norm is on
    spectral_norm: bool = False  # on the discriminator's layers
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    conditional: bool = False  # class-conditional G and D (labels from the data)
    cond_d: str = "projection"  # projection | multihead | acgan
    acgan_weight: float = 1.0  # weight of the AC-GAN class loss
    num_classes: int = 0  # set from the data
    class_names: list[str] = field(default_factory=list)  # set from the data

    def __post_init__(self) -> None:
        if self.image_size not in SIZES:
            raise ConfigError(
                f"dcgan supports image sizes {', '.join(map(str, SIZES))}, got {self.image_size}"
            )
        if self.channels not in (1, 3):
            raise ConfigError(f"channels must be 1 or 3, got {self.channels}")
        if self.z_dim < 1 or self.width < 1 or self.d_width < 0:
            raise ConfigError("z_dim and width must be positive")
        if self.g_norm not in NORMS or self.d_norm not in (*NORMS, "auto"):
            raise ConfigError(f"norms must be one of {', '.join(NORMS)} (d_norm also auto)")
        check_conditional_fields(self)
        if self.conditional and self.g_norm != "batch":
            raise ConfigError("a conditional dcgan uses conditional batch norm: set g_norm batch")

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about an hour there; gpu: the paper's scale.
        return budget_presets(
            {
                "model.image_size": (32, 32, 64),
                "model.width": (16, 32, 64),
                "train.batch_size": (32, 64, 128),
                "train.steps": (400, 4000, 20000),
            }
        )

    def with_data(self, spec: DataSpec) -> DCGANConfig:
        return take_image_data(self, spec)

    @property
    def resolved_d_norm(self) -> str:
        if self.d_norm != "auto":
            return self.d_norm
        if self.objective.uses_gradient_penalty or self.objective.r1_gamma or self.spectral_norm:
            return "none"
        return "batch"


class DCGANGenerator(nn.Module):
    def __init__(self, c: DCGANConfig):
        super().__init__()
        n_up = int(math.log2(c.image_size)) - 2  # 4x4 -> image_size
        ch = c.width * 2 ** (n_up - 1)

        def norm(channels: int) -> nn.Module:
            if c.conditional:
                return ConditionalBatchNorm2d(channels, c.num_classes)
            return norm2d(c.g_norm, channels)

        layers: list[nn.Module] = [
            nn.ConvTranspose2d(c.z_dim, ch, 4, 1, 0, bias=False),
            norm(ch),
            nn.ReLU(True),
        ]
        for _ in range(n_up - 1):
            layers += [
                nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),
                norm(ch // 2),
                nn.ReLU(True),
            ]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, c.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = ConditionalSequential(*layers)
        self.z_dim = c.z_dim

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z.view(z.shape[0], self.z_dim, 1, 1), y)  # (B, C, H, W)

    def latent_weight(self) -> torch.Tensor:
        """The first layer as a matrix (out, z_dim): each latent unit's 4x4xC kernel."""
        w = self.net[0].weight  # (z_dim, C, 4, 4)
        return w.reshape(w.shape[0], -1).T


class DCGANDiscriminator(nn.Module):
    def __init__(self, c: DCGANConfig):
        super().__init__()
        n_down = int(math.log2(c.image_size)) - 2
        ch = c.d_width or c.width
        sn = c.spectral_norm
        norm = c.resolved_d_norm
        # Biases only without normalisation: a batch norm brings its own; with none (spectral
        # norm, gradient penalties) a bias-free LeakyReLU network is positively homogeneous,
        # D(0) = 0 with no useful gradient there, and a generator collapsed to grey stayed so.
        bias = norm == "none"
        layers: list[nn.Module] = [
            # PacGAN: objective.pack samples arrive stacked along the channels.
            spectral(nn.Conv2d(c.channels * c.objective.pack, ch, 4, 2, 1, bias=bias), sn),
            nn.LeakyReLU(0.2, True),
        ]
        for _ in range(n_down - 1):
            layers += [
                spectral(nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=bias), sn),
                norm2d(norm, ch * 2),
                nn.LeakyReLU(0.2, True),
            ]
            ch *= 2
        if c.objective.minibatch_std:  # Karras et al. 2018: the statistic, then a 3x3 conv
            layers += [
                MinibatchStdDev(),
                spectral(nn.Conv2d(ch + 1, ch, 3, 1, 1, bias=bias), sn),
                nn.LeakyReLU(0.2, True),
            ]
        self.body = nn.Sequential(*layers)
        if c.conditional:
            self.cond = ConditionalHead(ch * 4 * 4, c.num_classes, c.cond_d, sn)
        else:
            self.out = spectral(nn.Conv2d(ch, 1, 4, 1, 0, bias=bias), sn)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.body(x)  # (B, C, 4, 4)

    def head(self, features: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if hasattr(self, "cond"):
            return self.cond(features.flatten(1), y)  # (B,)
        return self.out(features).view(-1)  # (B,)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.cond.classify(features.flatten(1))  # (B, K), AC-GAN only

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x), y)


@MODELS.register("dcgan")
class DCGAN(GAN):
    name = "dcgan"
    config_class = DCGANConfig
    # bench/truncation.py: FID and KID worse at every T, resample or scale (BENCHMARKS.md)
    truncation_helps = False
    channels_last = True

    def build_networks(self):
        G, D = DCGANGenerator(self.config), DCGANDiscriminator(self.config)
        dcgan_init(G)
        dcgan_init(D)
        reset_conditional_norms(G)
        return G, D

    def latent_weight(self) -> torch.Tensor:
        return self.G.latent_weight()  # (out, z_dim), for SeFa
