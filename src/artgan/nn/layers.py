"""Layers shared by several families."""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ConfigError

NORMS = ("batch", "instance", "layer", "none")


def spectral(module: nn.Module, enabled: bool) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) when ``enabled``."""
    return nn.utils.parametrizations.spectral_norm(module) if enabled else module


def norm2d(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    if kind == "none":
        return nn.Identity()
    raise ConfigError(f"unknown norm {kind!r}; valid: {', '.join(NORMS)}")


NORM_LAYERS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.GroupNorm, nn.InstanceNorm2d)


def dcgan_init(module: nn.Module) -> None:
    """Weight init of Radford et al. 2016: N(0, 0.02) for convs (2-D and 3-D), N(1, 0.02) for norm
    scales."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Conv3d, nn.ConvTranspose3d, nn.Linear)):
            weight = getattr(m, "parametrizations", None)
            w = weight.weight.original if weight is not None else m.weight
            nn.init.normal_(w, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(
            m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.GroupNorm, nn.InstanceNorm2d)
        ):
            if m.weight is not None:
                nn.init.normal_(m.weight, 1.0, 0.02)
                nn.init.zeros_(m.bias)


class MinibatchStdDev(nn.Module):
    """Appends the mean over features of the per-feature std across groups of the batch
    (Karras et al. 2018), so the discriminator can see a lack of variety."""

    def __init__(self, group_size: int = 4):
        super().__init__()
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        g = min(self.group_size, b)
        while b % g:
            g -= 1
        y = x.reshape(g, b // g, *x.shape[1:])  # (G, B/G, ...)
        y = (y.var(dim=0, unbiased=False) + 1e-8).sqrt()
        y = y.flatten(1).mean(dim=1)  # (B/G,)
        y = y.repeat(g)  # (B,)
        shape = (b, 1, *x.shape[2:])
        return torch.cat([x, y.view(b, *([1] * (x.dim() - 1))).expand(shape)], dim=1)
