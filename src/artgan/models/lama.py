"""LaMa: inpainting with fast Fourier convolutions, after Suvorov et al. 2022 ("Resolution-robust
Large Mask Inpainting with Fourier Convolutions"), sized for a CPU.

Generator: the image with its hole and the mask (4 or 2 channels) go through a strided
convolutional encoder (``depth`` stride-2 levels), ``blocks`` residual blocks of fast Fourier
convolutions (FFC, Chi et al. 2020) and a decoder back to full size. An FFC splits its channels
into a local part (3x3 convolutions) and a global part (``global_ratio`` of them) that is
transformed by a 1x1 convolution in the 2-D Fourier domain of the feature map, so every block
sees the whole image: the global receptive field that lets LaMa continue a structure across a
wide hole, at the cost of an FFT. Batch norm and reflect padding as in the paper.

What differs from the paper, for a CPU budget of minutes rather than GPU-days:
- the hole is first filled by the classical harmonic (diffusion) fill (nn/hole_fill.py) and the
  network adds a correction whose last layer starts at zero, so training starts at a classical
  fill instead of grey (as artgan's ``inpaint`` does with push-pull); the paper draws the hole
  from zero;
- the decoder upsamples by nearest neighbour plus convolution (no checkerboard artefacts) rather
  than transposed convolutions;
- the perceptual loss uses the EfficientNet-Lite0 ImageNet trunk (losses/perceptual.py; the
  only ImageNet weights available offline) instead of the paper's "high receptive field" loss on
  a dilated ResNet-50 trained on ADE20k, whose weights are not available offline; it sees the
  completed image;
- the pixel loss is an L1 over the whole output with hole pixels weighted ``hole_weight`` (the
  paper's L1 covers the known pixels only and leaves the hole to the perceptual and
  adversarial losses), because a CPU run of a few thousand steps must learn the hole's colours
  from somewhere direct.
Kept from the paper: the mask as an input channel; the known pixels kept exactly
(``out = x * (1 - m) + G(x, m) * m``); a PatchGAN discriminator on the completed image and the
mask; the non-saturating adversarial loss with the discriminator feature matching term
(objective.feature_matching); training on large masks (data/masks.py ``wide``: thick strokes
and large boxes) mixed with the smaller boxes and strokes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from ..config import DefaultsContext, budget_presets
from ..errors import ConfigError
from ..losses.objective import ObjectiveConfig
from ..losses.perceptual import LITE0_BLOCKS, PerceptualLoss
from ..nn.hole_fill import harmonic_fill
from ..registry import MODELS
from .inpaint import HoleFillingConfig, Inpaint


def _lama_objective() -> ObjectiveConfig:
    # Non-saturating loss plus discriminator feature matching, as the paper's generator loss.
    return ObjectiveConfig(loss="bce", feature_matching=10.0)


@dataclass
class LamaConfig(HoleFillingConfig):
    name: ClassVar[str] = "lama"
    image_size: int = 64
    channels: int = 3
    width: int = 32  # channels after the stem, doubled at each of the ``depth`` levels
    depth: int = 2  # stride-2 levels of the encoder; inputs are padded to a multiple of 2^depth
    blocks: int = 4  # FFC residual blocks at the bottom (the paper's big-lama has 18)
    global_ratio: float = 0.75  # part of the channels in the Fourier (global) branch
    d_width: int = 0  # discriminator channels of the first layer (0 = width)
    d_layers: int = 3  # PatchGAN stride-2 layers
    masks: str = "box,stroke,wide"  # kinds of training holes (data/masks.py)
    l1_weight: float = 100.0
    hole_weight: float = 6.0  # L1 weight of hole pixels relative to known ones
    pixel_loss: str = "l1"  # l1 or l2 (models/inpaint.py)
    perceptual_weight: float = 10.0
    perceptual_blocks: int = 5  # EfficientNet-Lite0 blocks: 5 ends at stride 8
    adversarial_weight: float = 1.0
    objective: ObjectiveConfig = field(default_factory=_lama_objective)

    def __post_init__(self) -> None:
        if self.blocks < 0:
            raise ConfigError("model.blocks must be >= 0")
        if not 0 < self.global_ratio < 1:
            raise ConfigError(f"model.global_ratio must be in (0, 1), got {self.global_ratio}")
        if not 1 <= self.perceptual_blocks <= LITE0_BLOCKS:
            raise ConfigError(f"model.perceptual_blocks must be in 1..{LITE0_BLOCKS}")
        self.check_hole_filling(
            ("l1_weight", "hole_weight", "perceptual_weight", "adversarial_weight")
        )

    @classmethod
    def run_defaults(cls, context: DefaultsContext) -> dict[str, Any]:
        # The paper's Adam: generator 1e-3, discriminator 1e-4, default betas.
        return {"train.lr_g": 1e-3, "train.lr_d": 1e-4, "train.beta1": 0.9, "train.beta2": 0.999}

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about half an hour there; gpu: larger and longer.
        return budget_presets(
            {
                "model.image_size": (32, 64, 128),
                "model.width": (16, 32, 64),
                "model.blocks": (2, 4, 9),
                "train.batch_size": (8, 16, 32),
                "train.steps": (300, 3000, 50000),
            }
        )


def _norm_act(channels: int) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU())


def _conv3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride, 1, padding_mode="reflect", bias=False)


class FourierUnit(nn.Module):
    """A 1x1 convolution over the real and imaginary parts of the feature map's 2-D FFT: each
    output position depends on every input position."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(2 * channels, 2 * channels, 1, bias=False)
        self.norm_act = _norm_act(2 * channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        spectrum = torch.fft.rfft2(x.float(), norm="ortho")  # (B, C, H, W // 2 + 1) complex
        h = torch.cat([spectrum.real, spectrum.imag], dim=1)  # (B, 2C, H, W // 2 + 1)
        real, imag = self.norm_act(self.conv(h)).chunk(2, dim=1)
        return torch.fft.irfft2(torch.complex(real, imag), s=(height, width), norm="ortho")


class SpectralTransform(nn.Module):
    """The global-to-global path: halve the channels, add the Fourier unit's output, restore."""

    def __init__(self, channels: int):
        super().__init__()
        half = max(1, channels // 2)
        self.reduce = nn.Sequential(nn.Conv2d(channels, half, 1, bias=False), _norm_act(half))
        self.fourier = FourierUnit(half)
        self.expand = nn.Conv2d(half, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.reduce(x)
        return self.expand(h + self.fourier(h))


class FFC(nn.Module):
    """A fast Fourier convolution over (local, global) channel groups, each followed by batch
    norm and ReLU: local <- 3x3(local) + 3x3(global); global <- 3x3(local) + spectral(global)."""

    def __init__(self, local: int, global_: int):
        super().__init__()
        self.local_to_local = _conv3(local, local)
        self.global_to_local = _conv3(global_, local)
        self.local_to_global = _conv3(local, global_)
        self.global_to_global = SpectralTransform(global_)
        self.local_out = _norm_act(local)
        self.global_out = _norm_act(global_)

    def forward(self, xl: torch.Tensor, xg: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        yl = self.local_to_local(xl) + self.global_to_local(xg)
        yg = self.local_to_global(xl) + self.global_to_global(xg)
        return self.local_out(yl), self.global_out(yg)


class FFCResBlock(nn.Module):
    def __init__(self, channels: int, global_ratio: float):
        super().__init__()
        self.global_channels = max(1, min(channels - 1, round(channels * global_ratio)))
        local = channels - self.global_channels
        self.first = FFC(local, self.global_channels)
        self.second = FFC(local, self.global_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xl, xg = x.split([x.shape[1] - self.global_channels, self.global_channels], dim=1)
        yl, yg = self.second(*self.first(xl, xg))
        return x + torch.cat([yl, yg], dim=1)


class FourierInpaintGenerator(nn.Module):
    def __init__(self, c: LamaConfig):
        super().__init__()
        widths = [c.width * 2**i for i in range(c.depth + 1)]
        self.stem = nn.Sequential(
            nn.Conv2d(c.channels + 1, widths[0], 7, padding=3, padding_mode="reflect", bias=False),
            _norm_act(widths[0]),
        )
        self.down = nn.Sequential(
            *[
                nn.Sequential(_conv3(widths[i], widths[i + 1], stride=2), _norm_act(widths[i + 1]))
                for i in range(c.depth)
            ]
        )
        self.middle = nn.Sequential(
            *[FFCResBlock(widths[-1], c.global_ratio) for _ in range(c.blocks)]
        )
        self.up = nn.Sequential(
            *[
                nn.Sequential(
                    nn.Upsample(scale_factor=2, mode="nearest"),
                    _conv3(widths[i + 1], widths[i]),
                    _norm_act(widths[i]),
                )
                for i in reversed(range(c.depth))
            ]
        )
        self.out = nn.Conv2d(widths[0], c.channels, 7, padding=3, padding_mode="reflect")
        nn.init.zeros_(self.out.weight)  # start exactly at the harmonic fill
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        start = harmonic_fill(x, mask)  # known pixels kept, hole diffused in from its border
        h = self.stem(torch.cat([start, mask], dim=1))  # (B, w, H, W)
        h = self.up(self.middle(self.down(h)))
        return start + self.out(h)  # a correction of the fill (clamped at inference)


@MODELS.register("lama")
class Lama(Inpaint):
    """Inpaint's interface (``inpaint``, ``draw``, previews, the two phases), with the Fourier
    generator and LaMa's perceptual term added to the generator's losses."""

    name = "lama"
    config_class = LamaConfig
    generator_class = FourierInpaintGenerator

    def __init__(self, config) -> None:
        super().__init__(config)
        self.perceptual = PerceptualLoss(config.perceptual_blocks)  # frozen, not a sub-module

    def generator_losses(
        self, x: torch.Tensor, mask: torch.Tensor, out: torch.Tensor, completed: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        losses = super().generator_losses(x, mask, out, completed)
        weight = self.config.perceptual_weight
        if weight > 0:
            perceptual = self.perceptual(completed, x)
            losses["perceptual"] = perceptual.detach()
            losses["loss"] = losses["loss"] + weight * perceptual
        return losses


__all__ = ["FourierInpaintGenerator", "Lama", "LamaConfig"]
