"""ResNet GAN of SNGAN (Miyato et al. 2018, "Spectral Normalization for Generative Adversarial
Networks", appendix B), the residual architecture of Gulrajani et al. 2017 scaled from 32 to
128 px: generator blocks upsample x2 with batch norm and ReLU; discriminator blocks downsample
with spectral norm; global sum pooling; hinge loss by default.

Class-conditional (``model.conditional``), as in Miyato & Koyama 2018 ("cGANs with Projection
Discriminator"): conditional batch norm in every generator block, and a projection head on the
pooled discriminator features (or one head per class, or an AC-GAN classifier: ``model.cond_d``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..config import DefaultsContext, ModelConfig, budget_presets
from ..errors import ConfigError
from ..losses.objective import ObjectiveConfig
from ..nn.conditional import (
    ConditionalBatchNorm2d,
    ConditionalHead,
    ConditionalSequential,
    apply_norm,
    reset_conditional_norms,
)
from ..nn.layers import NORMS, MinibatchStdDev, norm2d, spectral
from ..registry import MODELS
from .base import DataSpec
from .conditioning import check_conditional_fields, take_image_data
from .gan import GAN

SIZES = (32, 64, 128)


def _hinge_objective() -> ObjectiveConfig:
    return ObjectiveConfig(loss="hinge")


@dataclass
class ResNetGANConfig(ModelConfig):
    name: ClassVar[str] = "resnet"
    image_size: int = 32
    channels: int = 3
    z_dim: int = 128
    width: int = 64  # channels of the blocks (SNGAN uses 256 for G, 128 for D at 32 px)
    g_norm: str = "batch"
    spectral_norm: bool = True
    objective: ObjectiveConfig = field(default_factory=_hinge_objective)
    conditional: bool = False  # class-conditional G and D (labels from the data)
    cond_d: str = "projection"  # projection | multihead | acgan
    acgan_weight: float = 1.0  # weight of the AC-GAN class loss
    num_classes: int = 0  # set from the data
    class_names: list[str] = field(default_factory=list)  # set from the data

    def __post_init__(self) -> None:
        if self.image_size not in SIZES:
            raise ConfigError(
                f"resnet supports image sizes {', '.join(map(str, SIZES))}, got {self.image_size}"
            )
        if self.channels not in (1, 3):
            raise ConfigError(f"channels must be 1 or 3, got {self.channels}")
        if self.z_dim < 1 or self.width < 1:
            raise ConfigError("z_dim and width must be positive")
        if self.g_norm not in NORMS:
            raise ConfigError(f"g_norm must be one of {', '.join(NORMS)}")
        check_conditional_fields(self)
        if self.conditional and self.g_norm != "batch":
            raise ConfigError("a conditional resnet uses conditional batch norm: set g_norm batch")

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about an hour there; gpu: the paper's scale.
        return budget_presets(
            {
                "model.image_size": (32, 32, 32),
                "model.width": (16, 32, 128),
                "train.batch_size": (32, 32, 64),
                "train.steps": (300, 3000, 50000),
            }
        )

    def with_data(self, spec: DataSpec) -> ResNetGANConfig:
        return take_image_data(self, spec)


def generator_norm(c: ResNetGANConfig, channels: int) -> nn.Module:
    if c.conditional:
        return ConditionalBatchNorm2d(channels, c.num_classes)
    return norm2d(c.g_norm, channels)


class UpBlock(nn.Module):
    def __init__(self, cin: int, cout: int, c: ResNetGANConfig):
        super().__init__()
        self.n1, self.c1 = generator_norm(c, cin), nn.Conv2d(cin, cout, 3, 1, 1)
        self.n2, self.c2 = generator_norm(c, cout), nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = F.interpolate(F.relu(apply_norm(self.n1, x, y)), scale_factor=2.0, mode="nearest")
        h = self.c2(F.relu(apply_norm(self.n2, self.c1(h), y)))
        return h + self.skip(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class DownBlock(nn.Module):
    def __init__(self, cin: int, cout: int, sn: bool, first: bool = False):
        super().__init__()
        self.first = first
        self.c1 = spectral(nn.Conv2d(cin, cout, 3, 1, 1), sn)
        self.c2 = spectral(nn.Conv2d(cout, cout, 3, 1, 1), sn)
        self.skip = spectral(nn.Conv2d(cin, cout, 1), sn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else F.relu(x)  # the first block sees raw pixels
        h = F.avg_pool2d(self.c2(F.relu(self.c1(h))), 2)
        skip = self.skip(F.avg_pool2d(x, 2)) if self.first else F.avg_pool2d(self.skip(x), 2)
        return h + skip


class ResNetGenerator(nn.Module):
    def __init__(self, c: ResNetGANConfig):
        super().__init__()
        self.ch = c.width
        self.fc = nn.Linear(c.z_dim, 4 * 4 * c.width)
        n_up = int(math.log2(c.image_size)) - 2
        self.blocks = nn.Sequential(*[UpBlock(c.width, c.width, c) for _ in range(n_up)])
        self.out = ConditionalSequential(
            generator_norm(c, c.width),
            nn.ReLU(),
            nn.Conv2d(c.width, c.channels, 3, 1, 1),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.fc(z).view(z.shape[0], self.ch, 4, 4)  # (B, C, 4, 4)
        for block in self.blocks:
            h = block(h, y)
        return self.out(h, y)

    def latent_weight(self) -> torch.Tensor:
        """The first layer as a matrix (out, z_dim)."""
        return self.fc.weight


class ResNetDiscriminator(nn.Module):
    def __init__(self, c: ResNetGANConfig):
        super().__init__()
        n_down = int(math.log2(c.image_size)) - 3  # down to 8x8, then two blocks at 8x8
        sn = c.spectral_norm
        # PacGAN: objective.pack samples arrive stacked along the channels.
        blocks: list[nn.Module] = [
            DownBlock(c.channels * c.objective.pack, c.width, sn, first=True)
        ]
        blocks += [DownBlock(c.width, c.width, sn) for _ in range(n_down - 1)]
        self.blocks = nn.Sequential(*blocks)
        # Karras et al. 2018: the batch statistic enters the last residual branch (B, C+1, 8, 8).
        self.mbstd = MinibatchStdDev() if c.objective.minibatch_std else nn.Identity()
        extra = 1 if c.objective.minibatch_std else 0
        self.tail = nn.Sequential(
            nn.ReLU(),
            spectral(nn.Conv2d(c.width + extra, c.width, 3, 1, 1), sn),
            nn.ReLU(),
            spectral(nn.Conv2d(c.width, c.width, 3, 1, 1), sn),
        )
        if c.conditional:
            self.cond = ConditionalHead(c.width, c.num_classes, c.cond_d, sn)
        else:
            self.linear = spectral(nn.Linear(c.width, 1), sn)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.blocks(x)
        h = h + self.tail(self.mbstd(h))
        return F.relu(h).sum(dim=(2, 3))  # (B, C) global sum pooling

    def head(self, features: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if hasattr(self, "cond"):
            return self.cond(features, y)
        return self.linear(features).view(-1)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.cond.classify(features)  # (B, K), AC-GAN only

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x), y)


@MODELS.register("resnet")
class ResNetGAN(GAN):
    name = "resnet"
    config_class = ResNetGANConfig
    channels_last = True  # 31 % less CPU a training step in fp32, 48 % in bf16 (models/base.py)
    # bench/truncation.py (art 32 px, preset quick = 300 steps, a weak run): FID and KID worse
    # at every T, resample or scale
    truncation_helps = False

    def build_networks(self):
        G, D = ResNetGenerator(self.config), ResNetDiscriminator(self.config)
        for m in list(G.modules()) + list(D.modules()):
            if isinstance(m, (nn.Conv2d, nn.Linear)) and not hasattr(m, "parametrizations"):
                nn.init.xavier_uniform_(m.weight)
        reset_conditional_norms(G)
        return G, D

    def latent_weight(self) -> torch.Tensor:
        return self.G.latent_weight()  # (out, z_dim), for SeFa
