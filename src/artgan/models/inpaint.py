"""Inpainting: a conditional GAN that fills holes, after the context encoder (Pathak et al.
2016, "Context Encoders: Feature Learning by Inpainting") and pix2pix (Isola et al. 2017,
"Image-to-Image Translation with Conditional Adversarial Networks").

Generator: an encoder-decoder with skip connections (a U-Net) whose input is the image with the
hole blanked out plus the mask (4 or 2 channels); ``depth`` stride-2 convolutions down,
``mid_blocks`` residual blocks with dilated convolutions at the bottom (dilations 2, 4, 8, ...,
widening the context as in Iizuka et al. 2017), and nearest-neighbour upsampling plus
convolution back up (no checkerboard artefacts). Instance norm.
The result keeps the known pixels: ``out = x * (1 - m) + G(x * (1 - m), m) * m``.

``smooth_start`` (the default): the hole is first filled by a push-pull pyramid (the weighted
mean of the known pixels at successively coarser scales, Gortler et al. 1996), the generator
sees that fill instead of a blank hole and adds a correction to it whose last layer starts at
zero, so training starts at a classical smooth fill and only has to add what it lacks; the same
idea as the super-resolution models' bicubic residual. Without it the generator draws the hole
from nothing through a tanh, and after a CPU budget of a few thousand steps it stayed below a
classical fill inside the hole (bench/inpainting.py).

Discriminator: a PatchGAN (pix2pix; 70x70 receptive field with ``d_layers`` 3) that judges
overlapping patches of the completed image, with the mask as an extra input channel.

Loss: pix2pix's L1 + adversarial, lambda 100. The L1 is taken over the whole generator output
with hole pixels weighted ``hole_weight`` (6, as in Liu et al. 2018) over known ones, so the
network learns the hole first; the adversarial loss (losses/objective.py) judges the completed
image. Each training image gets a new random mask (data/masks.py): rectangles, free-form
strokes, or either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..config import DefaultsContext, ModelConfig, budget_presets
from ..data.masks import MASK_KINDS, random_masks
from ..errors import ConfigError
from ..losses.objective import GANObjective, ObjectiveConfig
from ..nn.hole_fill import pyramid_fill
from ..nn.image_to_image import PatchDiscriminator
from ..nn.modes import evaluating
from ..registry import MODELS
from .base import Batch, DataSpec, GenerativeModel, Phase, critic_then_generator, make_generator
from .capabilities import Inpainter

PIXEL_LOSSES = ("l1", "l2")
# Batch-norm statistics of the averaged generator are re-measured on this many of the latest
# training images, with holes from a private seed (see Inpaint.refresh_ema_statistics).
STANDING_STATISTICS_IMAGES = 64
STANDING_STATISTICS_SEED = 1_000_003


class HoleFillingConfig(ModelConfig):
    """What the hole-filling families (inpaint, lama) share: their checks and mask kinds."""

    def check_hole_filling(self, weights: tuple[str, ...]) -> None:
        if self.channels not in (1, 3):
            raise ConfigError(f"channels must be 1 or 3, got {self.channels}")
        if self.width < 1 or self.d_width < 0 or self.depth < 1:
            raise ConfigError("model.width and model.depth must be positive")
        if self.d_layers < 1:
            raise ConfigError("model.d_layers must be at least 1")
        if self.image_size < 2**self.depth or self.image_size % 2**self.depth:
            raise ConfigError(
                f"model.image_size {self.image_size} must be a multiple of 2^depth = "
                f"{2**self.depth}"
            )
        kinds = self.mask_kinds
        if not kinds or any(k not in MASK_KINDS for k in kinds):
            raise ConfigError(f"model.masks must list some of {', '.join(MASK_KINDS)}")
        for name in weights:
            if getattr(self, name) < 0:
                raise ConfigError(f"model.{name} must be >= 0")
        if self.pixel_loss not in PIXEL_LOSSES:
            raise ConfigError(
                f"model.pixel_loss must be one of {', '.join(PIXEL_LOSSES)}, "
                f"got {self.pixel_loss!r}"
            )
        if self.objective.pack != 1:
            raise ConfigError(
                f"{self.name}'s discriminator sees the mask; objective.pack must be 1"
            )
        if self.objective.ada:
            raise ConfigError(
                f"objective.ada is not supported by {self.name}: its discriminator sees the mask "
                "beside the image, which ADA's geometric transforms would move apart"
            )

    @property
    def mask_kinds(self) -> tuple[str, ...]:
        return tuple(k.strip() for k in self.masks.split(",") if k.strip())

    def with_data(self, spec: DataSpec):
        if len(spec.shape) != 3:
            raise ConfigError(f"{self.name} needs image data")
        self.channels = spec.shape[0]
        return self


@dataclass
class InpaintConfig(HoleFillingConfig):
    name: ClassVar[str] = "inpaint"
    image_size: int = 64
    channels: int = 3
    width: int = 32  # generator channels of the first layer (doubled per level, at most 8x)
    depth: int = 3  # stride-2 levels of the U-Net; inputs are padded to a multiple of 2^depth
    mid_blocks: int = 4  # dilated residual blocks at the bottom
    d_width: int = 0  # discriminator channels of the first layer (0 = width)
    d_layers: int = 3  # PatchGAN stride-2 layers (3: 70x70 patches)
    masks: str = "box,stroke"  # kinds of training holes: box, stroke, wide (comma list)
    l1_weight: float = 100.0  # pix2pix's lambda (the weight of the pixel loss, L1 or L2)
    hole_weight: float = 6.0  # L1 weight of hole pixels relative to known ones
    pixel_loss: str = "l1"  # l1 (pix2pix) or l2 (the squared error, which PSNR measures)
    adversarial_weight: float = 1.0
    smooth_start: bool = True  # correct a push-pull fill of the hole instead of drawing it anew
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)

    def __post_init__(self) -> None:
        if self.mid_blocks < 0:
            raise ConfigError("model.mid_blocks must be >= 0")
        self.check_hole_filling(("l1_weight", "hole_weight", "adversarial_weight"))

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about an hour there; gpu: the paper's scale.
        return budget_presets(
            {
                "model.image_size": (32, 64, 64),
                "model.width": (16, 16, 32),
                "train.batch_size": (16, 16, 64),
                "train.steps": (300, 2000, 20000),
            }
        )


def _conv_block(cin: int, cout: int, stride: int = 1, kernel: int = 3) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2),
        nn.InstanceNorm2d(cout, affine=True),
        nn.LeakyReLU(0.2),
    )


class DilatedBlock(nn.Module):
    def __init__(self, width: int, dilation: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=dilation, dilation=dilation),
            nn.InstanceNorm2d(width, affine=True),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, width, 3, padding=1),
            nn.InstanceNorm2d(width, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class InpaintGenerator(nn.Module):
    def __init__(self, c: InpaintConfig):
        super().__init__()
        self.smooth_start = c.smooth_start
        widths = [c.width * min(2**i, 8) for i in range(c.depth + 1)]
        self.stem = _conv_block(c.channels + 1, widths[0], kernel=5)
        self.down = nn.ModuleList(
            _conv_block(widths[i], widths[i + 1], stride=2) for i in range(c.depth)
        )
        self.middle = nn.Sequential(
            *[DilatedBlock(widths[-1], 2 ** (1 + i % 3)) for i in range(c.mid_blocks)]
        )
        self.up = nn.ModuleList(
            _conv_block(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(c.depth))
        )
        self.out = nn.Conv2d(widths[0], c.channels, 3, padding=1)
        if self.smooth_start:  # start exactly at the smooth fill
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        start = pyramid_fill(x, mask) if self.smooth_start else x * (1 - mask)
        h = self.stem(torch.cat([start, mask], dim=1))  # (B, w, H, W)
        skips = [h]
        for layer in self.down:
            h = layer(h)
            skips.append(h)
        h = self.middle(skips.pop())
        for layer in self.up:
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            h = layer(torch.cat([h, skips.pop()], dim=1))
        if self.smooth_start:
            return start + self.out(h)  # a correction of the fill (clamped at inference)
        return torch.tanh(self.out(h))


class MaskedPatchDiscriminator(nn.Module):
    """The PatchGAN of nn/image_to_image.py on (image, mask): a map of real/fake scores, one
    per overlapping patch."""

    def __init__(self, c: InpaintConfig):
        super().__init__()
        self.net = PatchDiscriminator(c.channels + 1, c.d_width or c.width, c.d_layers)

    def features(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.net.features(torch.cat([x, mask], dim=1))

    def head(self, features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.net.head(features)  # (B, patches)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x, mask))


@MODELS.register("inpaint")
class Inpaint(GenerativeModel, Inpainter):
    name = "inpaint"
    config_class = InpaintConfig
    generator_class: ClassVar[type[nn.Module]] = InpaintGenerator

    def __init__(self, config) -> None:
        super().__init__(config)
        self.G = self.generator_class(config)
        self.D = MaskedPatchDiscriminator(config)
        self.objective = GANObjective(config.objective)
        self._recent_images: list[torch.Tensor] = []  # for refresh_ema_statistics, not saved

    def complete(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The generator's raw output and the completed image (known pixels kept)."""
        out = self.G(x, mask)
        return out, x * (1 - mask) + out * mask

    # --- generation ----------------------------------------------------------------------
    @torch.no_grad()
    def inpaint(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Fill the holes of (B, C, H, W) images in [-1, 1] where ``mask`` (B, 1, H, W) is 1.
        Any size: the input is padded (edge pixels repeated) to a multiple of 2^depth and the
        result cropped back. Returned on the CPU."""
        h, w = x.shape[-2:]
        k = 2**self.config.depth
        pad = (0, -w % k, 0, -h % k)  # (left, right, top, bottom)
        x = F.pad(x.to(self.device).float(), pad, mode="replicate")
        mask = F.pad(mask.to(self.device).float(), pad, mode="replicate")
        with evaluating(self):
            _, completed = self.complete(x, mask)
        return completed[..., :h, :w].clamp(-1, 1).cpu()

    @torch.no_grad()
    def draw(
        self,
        n: int,
        seed: int | None = None,
        images: torch.Tensor | None = None,
        masks: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``images`` with their ``masks`` filled (random holes drawn from ``seed`` when no
        masks are given): (N, C, H, W)."""
        c = self.config
        images = self.require_images(images)
        if masks is None:
            rng = np.random.default_rng(int(make_generator(seed).initial_seed()))
            masks = random_masks(len(images), images.shape[-1], rng, c.mask_kinds)
        return self.inpaint(images, masks)

    @torch.no_grad()
    def preview_grid(self, dataset, n: int = 8) -> tuple[torch.Tensor, int]:
        """Rows of (damaged, filled, original) for the first ``n`` training images, with
        masks from a fixed seed, and the number of columns."""
        x = dataset.get(torch.arange(min(n, len(dataset)))).x.float().cpu()
        masks = random_masks(len(x), x.shape[-1], np.random.default_rng(0), self.config.mask_kinds)
        damaged = x * (1 - masks) + masks  # holes shown white
        rows = torch.stack([damaged, self.inpaint(x, masks), x], dim=1)
        return rows.flatten(0, 1), 3  # (3n, C, H, W)

    # --- training ------------------------------------------------------------------------
    def phases(self, train) -> list[Phase]:
        return critic_then_generator(train, self.config.objective.critic_steps)

    def ema_modules(self) -> list[str]:
        return ["G"]

    def remember_images(self, x: torch.Tensor) -> None:
        """Keep the latest training images (up to STANDING_STATISTICS_IMAGES) for
        refresh_ema_statistics: unlike a GAN's latents, an inpainter's inputs are real images."""
        if any(isinstance(m, _BatchNorm) for m in self.G.modules()):
            self._recent_images.append(x.detach().clone())
            kept = self._recent_images
            while len(kept) > 1 and sum(map(len, kept)) > STANDING_STATISTICS_IMAGES:
                kept.pop(0)

    @torch.no_grad()
    def refresh_ema_statistics(self) -> None:
        """Batch-norm statistics for the averaged generator (in ``self.G`` when the trainer
        calls this). The EMA averages weights only and would otherwise carry the live
        generator's running statistics, measured on activations that the averaged weights do not
        produce: in eval mode its fill then differs from what it learned. Re-measured here on the
        latest training images, batch by batch as in training, with holes from a private seed
        (the training RNG is untouched). Nothing to do without batch norm or before a step."""
        norms = [m for m in self.G.modules() if isinstance(m, _BatchNorm)]
        if not norms or not self._recent_images:
            return
        was_training, momenta = self.G.training, [m.momentum for m in norms]
        rng = np.random.default_rng(STANDING_STATISTICS_SEED)
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # a cumulative average over the batches
        self.G.train()
        for x in self._recent_images:
            x = x.to(self.device)
            masks = random_masks(len(x), x.shape[-1], rng, self.config.mask_kinds)
            self.G(x, masks.to(x.device, x.dtype))
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum
        self.G.train(was_training)

    def training_masks(self, x: torch.Tensor) -> torch.Tensor:
        """A new random mask per image, drawn from torch's RNG (so a resumed run continues
        with the same masks)."""
        seed = int(torch.randint(0, 2**31 - 1, (1,)).item())
        masks = random_masks(
            x.shape[0], x.shape[-1], np.random.default_rng(seed), self.config.mask_kinds
        )
        return masks.to(x.device, x.dtype)

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        x = batch.x
        mask = self.training_masks(x)
        if phase == "G":
            self.remember_images(x)
        if phase == "D":
            with torch.no_grad():
                _, completed = self.complete(x, mask)
            return self.objective.discriminator_losses(self.D, x, completed, mask=mask)
        out, completed = self.complete(x, mask)
        return self.generator_losses(x, mask, out, completed)

    def generator_losses(
        self, x: torch.Tensor, mask: torch.Tensor, out: torch.Tensor, completed: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """The G phase's named losses, ``loss`` their weighted sum: the hole-weighted pixel
        loss (L1 or L2) on the raw output and the adversarial loss on the completed image."""
        c = self.config
        weights = c.hole_weight * mask + (1 - mask)
        error = out.float() - x
        pixel = ((error.abs() if c.pixel_loss == "l1" else error.square()) * weights).mean()
        out_losses = {c.pixel_loss: pixel.detach()}
        loss = c.l1_weight * pixel
        if c.adversarial_weight > 0:
            adv = self.objective.generator_losses(self.D, completed, real=x, mask=mask)
            loss = loss + c.adversarial_weight * adv["loss"]
            out_losses.update({k: v for k, v in adv.items() if k != "loss"})
        out_losses["loss"] = loss
        return out_losses

    def after_phase_step(self, phase: str) -> None:
        if phase == "D":
            self.objective.clip_weights(self.D)
