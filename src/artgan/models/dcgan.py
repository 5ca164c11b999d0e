"""DCGAN (Radford, Metz & Chintala 2016, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks").

Generator: a 1x1 latent grown to 4x4 by a transposed convolution, then doubled by strided
transposed convolutions with batch norm and ReLU, tanh output. Discriminator: the mirror image
with strided convolutions and LeakyReLU(0.2). With image_size 64 and width 64 this is exactly
the reference architecture (ngf = ndf = 64, nz = 100).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import nn

from ..errors import ConfigError
from ..losses.objective import ObjectiveConfig
from ..nn.layers import NORMS, dcgan_init, norm2d, spectral
from ..registry import MODELS
from .base import DataSpec
from .gan import GAN

SIZES = (32, 64, 128)


@dataclass
class DCGANConfig:
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

    def with_data(self, spec: DataSpec) -> DCGANConfig:
        if len(spec.shape) != 3:
            raise ConfigError("dcgan needs image data; for 2-D points use --model mlp")
        self.channels = spec.shape[0]
        return self

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
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(c.z_dim, ch, 4, 1, 0, bias=False),
            norm2d(c.g_norm, ch),
            nn.ReLU(True),
        ]
        for _ in range(n_up - 1):
            layers += [
                nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),
                norm2d(c.g_norm, ch // 2),
                nn.ReLU(True),
            ]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, c.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.z_dim = c.z_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], self.z_dim, 1, 1))  # (B, C, H, W)


class DCGANDiscriminator(nn.Module):
    def __init__(self, c: DCGANConfig):
        super().__init__()
        n_down = int(math.log2(c.image_size)) - 2
        ch = c.d_width or c.width
        sn = c.spectral_norm
        norm = c.resolved_d_norm
        layers: list[nn.Module] = [
            spectral(nn.Conv2d(c.channels, ch, 4, 2, 1, bias=False), sn),
            nn.LeakyReLU(0.2, True),
        ]
        for _ in range(n_down - 1):
            layers += [
                spectral(nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), sn),
                norm2d(norm, ch * 2),
                nn.LeakyReLU(0.2, True),
            ]
            ch *= 2
        self.body = nn.Sequential(*layers)
        self.out = spectral(nn.Conv2d(ch, 1, 4, 1, 0, bias=False), sn)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)  # (B, C, 4, 4)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.out(features).view(-1)  # (B,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@MODELS.register("dcgan")
class DCGAN(GAN):
    name = "dcgan"
    config_class = DCGANConfig

    def build_networks(self):
        G, D = DCGANGenerator(self.config), DCGANDiscriminator(self.config)
        dcgan_init(G)
        dcgan_init(D)
        return G, D
