"""FastGAN (Liu, Zhu, Song & Elgammal, ICLR 2021, "Towards Faster and Stabilized GAN Training
for High-fidelity Few-shot Image Synthesis"): the few-shot family, 128 to 1024 px.

Generator: a 4x4 start grown by upsampling blocks (nearest x2, 3x3 conv, batch norm, GLU; every
other block twice, with injected noise), and *skip-layer excitation* (SLE): a low-resolution
feature map is pooled to 4x4, squeezed to one gate per channel and multiplies a map four
resolutions up (8 -> 128, 16 -> 256, 32 -> 512, 4 -> 64). Spectral norm on every convolution,
as in the authors' code.

Discriminator: residual down blocks (a strided 4x4 conv path averaged with an avg-pool + 1x1
path) with SLE from each level to the level three down, patch logits at 8x8 (5x5 patches), and
a second, shallower branch that judges the image at a lower resolution. It is trained with a
*self-supervised auto-encoding* loss on real images: small decoders reconstruct the whole image
from D's 8x8 features, the low-resolution image from the second branch's, and a random quarter
of the image from the matching quarter of D's 16x16 features. This keeps D's features about the
image, which is what lets the paper train on 100 images without collapse.

Differences from the paper, and why:
- The reconstruction loss is mean squared error on pixels. The paper uses LPIPS on VGG
  features, which cannot be loaded offline here; lightweight-gan (the PyPI implementation of
  the same architecture) uses the mean squared error as well.
- The second D branch sees the *input* image downsampled (area average), for real and fake
  alike. The authors' generator emits a separate 128 px image for it; judging one image keeps
  D(x) a function of one tensor, so every objective option (R1, gradient penalty, packing,
  DiffAugment, ADA) composes onto FastGAN unchanged.
- Injected noise is drawn fresh while training and is a fixed buffer when sampling, so the
  same seed gives the same images (StyleGAN's "const" noise mode).
- Hinge loss from the shared objective (the authors randomise the margin in [0.8, 1]).

Class-conditional (``model.conditional``): conditional batch norm in the generator, and the
patch logits plus a projection / one-head-per-style / AC-GAN term on D's pooled features
(``model.cond_d``), as in the other families.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from ..config import DefaultsContext, ModelConfig, budget_presets
from ..data.image_limits import header_size, sizes_checked_here
from ..errors import ArtganError, ConfigError
from ..losses.objective import ObjectiveConfig
from ..nn.conditional import (
    ConditionalBatchNorm2d,
    ConditionalHead,
    ConditionalSequential,
    reset_conditional_norms,
)
from ..nn.layers import MinibatchStdDev, spectral
from ..registry import MODELS
from .base import DataSpec
from .conditioning import check_conditional_fields, take_image_data
from .gan import GAN

MIN_SIZE, MAX_SIZE = 128, 1024

# Channels per resolution as a multiple of the width (the authors' ``nfc`` table, ngf = 64).
CHANNEL_MULTIPLIERS = {
    4: 16,
    8: 8,
    16: 4,
    32: 2,
    64: 2,
    128: 1,
    256: 0.5,
    512: 0.25,
    1024: 0.125,
}


def channels_at(resolution: int, width: int) -> int:
    return max(1, int(CHANNEL_MULTIPLIERS[resolution] * width))


# What ``artgan train`` picks when the user names no size or width: a CPU gets 128 px and a
# quarter of the paper's width (about 1 M generator weights past the first layer, which is
# what makes tens of thousands of images per CPU-hour possible); a GPU gets 256 px and the
# paper's width. Data smaller than that size gets the smallest size.
DEVICE_DEFAULTS = {"cpu": (128, 16), "mps": (256, 32), "cuda": (256, 64)}


def _fastgan_objective() -> ObjectiveConfig:
    # Hinge as the paper; adaptive augmentation instead of its fixed DiffAugment, so that a
    # large collection is not augmented at all and a small one as much as D needs.
    return ObjectiveConfig(loss="hinge", ada=True)


@dataclass
class FastGANConfig(ModelConfig):
    name: ClassVar[str] = "fastgan"
    image_size: int = 256  # 128, 256, 512 or 1024
    channels: int = 3
    z_dim: int = 256
    width: int = 64  # ngf: generator channels at 128 px (x16 at 4 px, x0.125 at 1024 px)
    d_width: int = 0  # ndf; 0 = same as width
    reconstruction_weight: float = 1.0  # the self-supervised auto-encoding loss of D
    spectral_norm: bool = True  # on every convolution of G and D, as in the paper's code
    objective: ObjectiveConfig = field(default_factory=_fastgan_objective)
    conditional: bool = False  # class-conditional G and D (labels from the data)
    cond_d: str = "projection"  # projection | multihead | acgan
    acgan_weight: float = 1.0  # weight of the AC-GAN class loss
    num_classes: int = 0  # set from the data
    class_names: list[str] = field(default_factory=list)  # set from the data

    def __post_init__(self) -> None:
        size = self.image_size
        if size < MIN_SIZE or size > MAX_SIZE or size & (size - 1):
            raise ConfigError(
                f"fastgan makes images of 128, 256, 512 or 1024 px, got {size}; "
                "choose one with --image-size"
            )
        if self.channels not in (1, 3):
            raise ConfigError(f"channels must be 1 or 3, got {self.channels}")
        if self.z_dim < 1 or self.width < 1 or self.d_width < 0:
            raise ConfigError("model.z_dim and model.width must be positive")
        if self.width < 8 or (self.d_width and self.d_width < 8):
            raise ConfigError("fastgan needs model.width (and d_width) of at least 8")
        if self.reconstruction_weight < 0:
            raise ConfigError("model.reconstruction_weight must be >= 0")
        check_conditional_fields(self)

    @classmethod
    def run_defaults(cls, context: DefaultsContext) -> dict[str, Any]:
        size, width = DEVICE_DEFAULTS.get(context.device, DEVICE_DEFAULTS["cpu"])
        short_side = typical_short_side(context.source)
        if short_side is not None and short_side < size:
            size = MIN_SIZE
        # The paper's batch of 8; its optimiser is the train section's default (Adam 2e-4,
        # betas 0.5/0.999, EMA 0.999).
        return {"model.image_size": size, "model.width": width, "train.batch_size": 8}

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about an hour there; gpu: the paper's scale.
        return budget_presets(
            {
                "model.image_size": (128, 128, 256),
                "model.width": (8, 16, 64),
                "train.batch_size": (8, 8, 8),
                "train.steps": (200, 2000, 50000),
            }
        )

    def with_data(self, spec: DataSpec) -> FastGANConfig:
        return take_image_data(self, spec)

    @property
    def small_size(self) -> int:
        """The resolution of D's second branch and of its reconstructions."""
        return min(128, self.image_size // 2)


@sizes_checked_here()  # a huge image is only measured here; the loader skips and counts it
def typical_short_side(source: str, files: int = 64) -> int | None:
    """The median short side of the first ``files`` images of an image folder, read from
    their headers (no decoding), or None for anything that is not a folder of images."""
    folder = Path(source)
    if not folder.is_dir():
        return None
    suffixes = Image.registered_extensions()  # every format Pillow reads
    sides = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in suffixes):
        try:
            sides.append(min(header_size(path)))
        except (OSError, ValueError, ArtganError):
            continue  # unreadable files are counted and named when the data is loaded
        if len(sides) == files:
            break
    return int(np.median(sides)) if sides else None


# ----------------------------------------------------------------------------- generator


class NoiseInjection(nn.Module):
    """Adds per-pixel noise scaled by a learned weight (zero at the start)."""

    def __init__(self, resolution: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.register_buffer("fixed_noise", torch.randn(1, 1, resolution, resolution))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            noise = torch.randn(x.shape[0], 1, x.shape[2], x.shape[3], device=x.device)
        else:
            noise = self.fixed_noise
        return x + self.weight * noise.to(x.dtype)


class SkipLayerExcitation(nn.Module):
    """SLE: gates each channel of a high-resolution map by a function of a low one."""

    def __init__(self, low_channels: int, high_channels: int, sn: bool):
        super().__init__()
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(4),
            spectral(nn.Conv2d(low_channels, high_channels, 4, 1, 0, bias=False), sn),
            nn.SiLU(),
            spectral(nn.Conv2d(high_channels, high_channels, 1, 1, 0, bias=False), sn),
            nn.Sigmoid(),
        )

    def forward(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        return high * self.gate(low)  # (B, C_high, H, W) * (B, C_high, 1, 1)


def _norm(channels: int, c: FastGANConfig) -> nn.Module:
    if c.conditional:
        return ConditionalBatchNorm2d(channels, c.num_classes)
    return nn.BatchNorm2d(channels)


def up_block(cin: int, cout: int, c: FastGANConfig, resolution: int, noisy: bool) -> nn.Module:
    """Nearest x2, 3x3 conv to 2*cout, batch norm, GLU (halves the channels back to cout);
    a "noisy" block does it twice with injected noise, as the paper's UpBlockComp."""
    sn = c.spectral_norm
    layers: list[nn.Module] = [
        nn.Upsample(scale_factor=2, mode="nearest"),
        spectral(nn.Conv2d(cin, cout * 2, 3, 1, 1, bias=False), sn),
    ]
    if noisy:
        layers.append(NoiseInjection(resolution))
    layers += [_norm(cout * 2, c), nn.GLU(dim=1)]
    if noisy:
        layers += [
            spectral(nn.Conv2d(cout, cout * 2, 3, 1, 1, bias=False), sn),
            NoiseInjection(resolution),
            _norm(cout * 2, c),
            nn.GLU(dim=1),
        ]
    return ConditionalSequential(*layers)


class FastGANGenerator(nn.Module):
    def __init__(self, c: FastGANConfig):
        super().__init__()
        self.z_dim = c.z_dim
        sn = c.spectral_norm
        ch4 = channels_at(4, c.width)
        self.start = ConditionalSequential(
            spectral(nn.ConvTranspose2d(c.z_dim, ch4 * 2, 4, 1, 0, bias=False), sn),
            _norm(ch4 * 2, c),
            nn.GLU(dim=1),
        )  # (B, ch4, 4, 4)
        self.resolutions = [2**k for k in range(3, int(math.log2(c.image_size)) + 1)]
        self.ups = nn.ModuleList()
        cin = ch4
        for i, res in enumerate(self.resolutions):  # 8, 16, 32, ...: noisy every other block
            cout = channels_at(res, c.width)
            self.ups.append(up_block(cin, cout, c, res, noisy=i % 2 == 0))
            cin = cout
        # SLE pairs (low resolution -> the one four doublings above), as in the paper.
        self.sle_sources = {64: 4, 128: 8, 256: 16, 512: 32}
        self.sle = nn.ModuleDict(
            {
                str(high): SkipLayerExcitation(
                    channels_at(low, c.width), channels_at(high, c.width), sn
                )
                for high, low in self.sle_sources.items()
                if high <= c.image_size
            }
        )
        self.to_image = nn.Sequential(
            spectral(nn.Conv2d(cin, c.channels, 3, 1, 1, bias=False), sn), nn.Tanh()
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.start(z.view(z.shape[0], self.z_dim, 1, 1), y)  # (B, ch4, 4, 4)
        maps = {4: h}
        for res, block in zip(self.resolutions, self.ups):
            h = block(h, y)
            if str(res) in self.sle:
                h = self.sle[str(res)](maps[self.sle_sources[res]], h)
            maps[res] = h
        return self.to_image(h)  # (B, C, S, S)

    def latent_weight(self) -> torch.Tensor:
        """The first layer as a matrix (out, z_dim), for SeFa directions."""
        w = self.start[0].weight  # (z_dim, C, 4, 4), spectrally normalised
        return w.reshape(w.shape[0], -1).T


# ----------------------------------------------------------------------------- discriminator


def _d_act() -> nn.Module:
    return nn.LeakyReLU(0.2)


class DownBlock(nn.Module):
    """Halve the resolution: (strided 4x4 conv, BN, LReLU, 3x3 conv, BN, LReLU) averaged with
    (avg-pool, 1x1 conv, BN, LReLU), the paper's DownBlockComp."""

    def __init__(self, cin: int, cout: int, sn: bool):
        super().__init__()
        self.main = nn.Sequential(
            spectral(nn.Conv2d(cin, cout, 4, 2, 1, bias=False), sn),
            nn.BatchNorm2d(cout),
            _d_act(),
            spectral(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), sn),
            nn.BatchNorm2d(cout),
            _d_act(),
        )
        self.direct = nn.Sequential(
            nn.AvgPool2d(2, 2),
            spectral(nn.Conv2d(cin, cout, 1, 1, 0, bias=False), sn),
            nn.BatchNorm2d(cout),
            _d_act(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.main(x) + self.direct(x)) / 2


def simple_down(cin: int, cout: int, sn: bool) -> nn.Module:
    return nn.Sequential(
        spectral(nn.Conv2d(cin, cout, 4, 2, 1, bias=False), sn), nn.BatchNorm2d(cout), _d_act()
    )


class Decoder(nn.Module):
    """D's small decoder: features pooled to 8x8, upsampled to ``size`` px."""

    def __init__(self, cin: int, channels: int, size: int, width: int):
        super().__init__()
        layers: list[nn.Module] = [nn.AdaptiveAvgPool2d(8)]
        res = 8
        while res < size:
            res *= 2
            cout = channels_at(res, width)
            layers += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(cin, cout * 2, 3, 1, 1, bias=False),
                nn.BatchNorm2d(cout * 2),
                nn.GLU(dim=1),
            ]
            cin = cout
        layers += [nn.Conv2d(cin, channels, 3, 1, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class FastGANDiscriminator(nn.Module):
    """``features(x)`` is one flat vector per image (both branches' 8x8 maps, flattened and
    concatenated) so that ``D(x) == D.head(D.features(x))`` and feature matching hold;
    ``head`` splits it back."""

    def __init__(self, c: FastGANConfig):
        super().__init__()
        sn, width = c.spectral_norm, c.d_width or c.width
        self.small_size = c.small_size
        cin = c.channels * c.objective.pack  # PacGAN: samples stacked along the channels
        # The big branch: bring the image to at most 256 px, then halve down to 8x8.
        stem: list[nn.Module] = []
        res = c.image_size
        while res > 256:
            stem += [spectral(nn.Conv2d(cin, channels_at(res, width), 4, 2, 1, bias=False), sn)]
            stem += [_d_act()]
            cin, res = channels_at(res, width), res // 2
        ch = channels_at(min(2 * res, 1024), width)
        stem += [spectral(nn.Conv2d(cin, ch, 3, 1, 1, bias=False), sn), _d_act()]
        self.stem = nn.Sequential(*stem)
        self.level_channels = [ch]
        self.downs = nn.ModuleList()
        while res > 8:
            res //= 2
            cout = channels_at(2 * res, width)
            self.downs.append(DownBlock(ch, cout, sn))
            self.level_channels.append(cout)
            ch = cout
        # SLE from level i to level i + 3 (the paper: 2 -> 16, 4 -> 32, 8 -> 64 at 256 px).
        levels = len(self.level_channels)
        self.sle = nn.ModuleDict(
            {
                str(i + 3): SkipLayerExcitation(
                    self.level_channels[i], self.level_channels[i + 3], sn
                )
                for i in range(levels - 3)
            }
        )
        self.big_channels = ch  # (B, ch, 8, 8) at the end
        self.mbstd = MinibatchStdDev() if c.objective.minibatch_std else nn.Identity()
        extra = 1 if c.objective.minibatch_std else 0
        self.big_logits = nn.Sequential(
            spectral(nn.Conv2d(ch + extra, channels_at(8, width), 1, 1, 0, bias=False), sn),
            nn.BatchNorm2d(channels_at(8, width)),
            _d_act(),
            spectral(nn.Conv2d(channels_at(8, width), 1, 4, 1, 0, bias=False), sn),
        )  # (B, 1, 5, 5) patch logits
        # The small branch: the image at small_size px, halved down to 8x8 (the paper's
        # channels: those of the generator at four times the resolution).
        res = self.small_size // 2
        cin = channels_at(4 * res, width)
        small: list[nn.Module] = [
            spectral(nn.Conv2d(c.channels * c.objective.pack, cin, 4, 2, 1, bias=False), sn),
            _d_act(),
        ]
        while res > 8:
            res //= 2
            small.append(simple_down(cin, channels_at(4 * res, width), sn))
            cin = channels_at(4 * res, width)
        self.small = nn.Sequential(*small)
        self.small_channels = cin
        self.small_logits = spectral(nn.Conv2d(cin, 1, 4, 1, 0, bias=False), sn)
        # Decoders of the self-supervised loss (plain convolutions, as in the paper).
        rec = self.small_size
        self.decode_big = Decoder(self.big_channels, c.channels * c.objective.pack, rec, width)
        self.decode_small = Decoder(self.small_channels, c.channels * c.objective.pack, rec, width)
        self.decode_part = Decoder(
            self.level_channels[-2], c.channels * c.objective.pack, rec, width
        )
        self.conditional = c.conditional
        if c.conditional:
            self.cond = ConditionalHead(ch, c.num_classes, c.cond_d, sn)

    # --- the two branches ----------------------------------------------------------------
    def trunk(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(big 8x8 features, the 16x16 level before them, small-branch 8x8 features)."""
        levels = [self.stem(x)]
        for i, down in enumerate(self.downs, start=1):
            h = down(levels[-1])
            if str(i) in self.sle:
                h = self.sle[str(i)](levels[i - 3], h)
            levels.append(h)
        small_input = F.interpolate(x, size=self.small_size, mode="area")
        return levels[-1], levels[-2], self.small(small_input)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """D's last feature maps as one flat vector per image: the big branch at 8x8, the
        small branch at 8x8, and the big branch's 16x16 level (the reconstruction loss reads
        it). Flat, so that ``D(x) == D.head(D.features(x))`` and feature matching hold."""
        big, level16, small = self.trunk(x)
        return torch.cat([big.flatten(1), small.flatten(1), level16.flatten(1)], dim=1)

    def _split(self, features: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The flat vector of :meth:`features` back into (big, small, level16) maps."""
        cb, cs, c16 = self.big_channels, self.small_channels, self.level_channels[-2]
        big, small, level16 = features.split([cb * 64, cs * 64, c16 * 256], dim=1)
        return big.view(-1, cb, 8, 8), small.view(-1, cs, 8, 8), level16.view(-1, c16, 16, 16)

    def head(self, features: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        big, small, _ = self._split(features)
        patches = torch.cat(
            [self.big_logits(self.mbstd(big)).flatten(1), self.small_logits(small).flatten(1)],
            dim=1,
        )  # (B, 50): 25 patch logits per branch
        if self.conditional:
            pooled = big.sum(dim=(2, 3))  # (B, C)
            patches = patches + self.cond(pooled, y).view(-1, 1)
        return patches.flatten()  # (B * 50,)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        big = self._split(features)[0]
        return self.cond.classify(big.sum(dim=(2, 3)))  # (B, K), AC-GAN only

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x), y)

    # --- the self-supervised auto-encoding loss -------------------------------------------
    def reconstruction_loss(self, x: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Mean squared error of the three reconstructions of the (augmented) real images
        ``x`` that D saw, from D's ``features`` of them: the whole image, its low-resolution
        view, and one random quarter (from the matching quarter of the 16x16 level)."""
        big, small, level16 = self._split(features)
        size = self.small_size
        target = F.interpolate(x, size=size, mode="area").float()
        loss = F.mse_loss(self.decode_big(big).float(), target)
        loss = loss + F.mse_loss(self.decode_small(small).float(), target)
        quarter = int(torch.randint(4, (1,)))  # one quarter per batch, as the paper
        row, col = divmod(quarter, 2)
        part = level16[:, :, row * 8 : (row + 1) * 8, col * 8 : (col + 1) * 8]  # (B, C, 8, 8)
        h = x.shape[2] // 2
        crop = x[:, :, row * h : (row + 1) * h, col * h : (col + 1) * h]
        crop = F.interpolate(crop, size=size, mode="area").float()
        return loss + F.mse_loss(self.decode_part(part).float(), crop)


@MODELS.register("fastgan")
class FastGAN(GAN):
    name = "fastgan"
    config_class = FastGANConfig

    def build_networks(self):
        G, D = FastGANGenerator(self.config), FastGANDiscriminator(self.config)
        for m in list(G.modules()) + list(D.modules()):
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                weight = getattr(m, "parametrizations", None)
                w = weight.weight.original if weight is not None else m.weight
                nn.init.normal_(w, 0.0, 0.02)  # the authors' init
            elif isinstance(m, nn.BatchNorm2d) and m.affine:
                nn.init.normal_(m.weight, 1.0, 0.02)
                nn.init.zeros_(m.bias)
        reset_conditional_norms(G)
        return G, D

    def latent_weight(self) -> torch.Tensor:
        return self.G.latent_weight()  # (out, z_dim), for SeFa

    def real_extra_losses(self):
        """The paper's self-supervised auto-encoding loss, from D's pass over the reals."""
        weight = self.config.reconstruction_weight
        if weight <= 0:
            return None
        return lambda x, features: {"d_rec": weight * self.D.reconstruction_loss(x, features)}
