"""The degradation that super-resolution models learn to invert: bicubic downscaling.

Low-resolution inputs are made on the fly from high-resolution crops, as in SRResNet/SRGAN
(Ledig et al. 2017): ``LR = quantize(bicubic_down(HR, scale))``. The bicubic kernel is Keys'
cubic with a = -0.5 and, when shrinking, widened by the scale (antialiased), which is what
MATLAB's ``imresize`` and Pillow's ``BICUBIC`` do; the LR image is rounded to 8 bits, so a model
trains on the same kind of input that it will be given from a file.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import ConfigError
from .dataset import random_crop


def quantize(x: torch.Tensor) -> torch.Tensor:
    """Round images in [-1, 1] to the 256 levels of an 8-bit file."""
    return torch.round((x.clamp(-1, 1) + 1) * 127.5) / 127.5 - 1


def bicubic_resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, *size), antialiased bicubic, clamped to [-1, 1]."""
    return F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True).clamp_(
        -1, 1
    )


def bicubic_downscale(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H / scale, W / scale) LR images (8-bit levels)."""
    h, w = hr.shape[-2:]
    if h % scale or w % scale:
        raise ConfigError(f"a {h}x{w} image does not divide by the scale {scale}")
    return quantize(bicubic_resize(hr, (h // scale, w // scale)))


def bicubic_upscale(lr: torch.Tensor, scale: int) -> torch.Tensor:
    """The classical baseline: (B, C, h, w) -> (B, C, h * scale, w * scale)."""
    return bicubic_resize(lr, (lr.shape[-2] * scale, lr.shape[-1] * scale))


def training_pair(
    images: torch.Tensor, patch: int, scale: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random ``patch`` x ``patch`` HR crops of ``images`` (B, C, H, W) and their LR versions
    (B, C, patch / scale, patch / scale)."""
    if patch % scale:
        raise ConfigError(f"the HR patch size {patch} must divide by the scale {scale}")
    hr = images
    if images.shape[-1] > patch or images.shape[-2] > patch:
        hr = random_crop(images, patch, generator)
    return bicubic_downscale(hr, scale), hr
