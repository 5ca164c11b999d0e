"""ResNet GAN of SNGAN (Miyato et al. 2018, "Spectral Normalization for Generative Adversarial
Networks", appendix B), the residual architecture of Gulrajani et al. 2017 scaled from 32 to
128 px: generator blocks upsample x2 with batch norm and ReLU; discriminator blocks downsample
with spectral norm; global sum pooling; hinge loss by default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError
from ..losses.objective import ObjectiveConfig
from ..nn.layers import NORMS, norm2d, spectral
from ..registry import MODELS
from .base import DataSpec
from .gan import GAN

SIZES = (32, 64, 128)


def _hinge_objective() -> ObjectiveConfig:
    return ObjectiveConfig(loss="hinge")


@dataclass
class ResNetGANConfig:
    name: ClassVar[str] = "resnet"
    image_size: int = 32
    channels: int = 3
    z_dim: int = 128
    width: int = 64  # channels of the blocks (SNGAN uses 256 for G, 128 for D at 32 px)
    g_norm: str = "batch"
    spectral_norm: bool = True
    objective: ObjectiveConfig = field(default_factory=_hinge_objective)

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

    def with_data(self, spec: DataSpec) -> ResNetGANConfig:
        if len(spec.shape) != 3:
            raise ConfigError("resnet needs image data; for 2-D points use --model mlp")
        self.channels = spec.shape[0]
        return self


class UpBlock(nn.Module):
    def __init__(self, cin: int, cout: int, norm: str):
        super().__init__()
        self.n1, self.c1 = norm2d(norm, cin), nn.Conv2d(cin, cout, 3, 1, 1)
        self.n2, self.c2 = norm2d(norm, cout), nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.n1(x)), scale_factor=2.0, mode="nearest")
        h = self.c2(F.relu(self.n2(self.c1(h))))
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
        self.blocks = nn.Sequential(*[UpBlock(c.width, c.width, c.g_norm) for _ in range(n_up)])
        self.out = nn.Sequential(
            norm2d(c.g_norm, c.width), nn.ReLU(), nn.Conv2d(c.width, c.channels, 3, 1, 1), nn.Tanh()
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(z.shape[0], self.ch, 4, 4)  # (B, C, 4, 4)
        return self.out(self.blocks(h))


class ResNetDiscriminator(nn.Module):
    def __init__(self, c: ResNetGANConfig):
        super().__init__()
        n_down = int(math.log2(c.image_size)) - 3  # down to 8x8, then two blocks at 8x8
        sn = c.spectral_norm
        blocks: list[nn.Module] = [DownBlock(c.channels, c.width, sn, first=True)]
        blocks += [DownBlock(c.width, c.width, sn) for _ in range(n_down - 1)]
        self.blocks = nn.Sequential(*blocks)
        self.tail = nn.Sequential(
            nn.ReLU(),
            spectral(nn.Conv2d(c.width, c.width, 3, 1, 1), sn),
            nn.ReLU(),
            spectral(nn.Conv2d(c.width, c.width, 3, 1, 1), sn),
        )
        self.linear = spectral(nn.Linear(c.width, 1), sn)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(x)
        h = h + self.tail(h)
        return F.relu(h).sum(dim=(2, 3))  # (B, C) global sum pooling

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear(features).view(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@MODELS.register("resnet")
class ResNetGAN(GAN):
    name = "resnet"
    config_class = ResNetGANConfig

    def build_networks(self):
        G, D = ResNetGenerator(self.config), ResNetDiscriminator(self.config)
        for m in list(G.modules()) + list(D.modules()):
            if isinstance(m, (nn.Conv2d, nn.Linear)) and not hasattr(m, "parametrizations"):
                nn.init.xavier_uniform_(m.weight)
        return G, D
