"""pix2pix (Isola, Zhu, Zhou & Efros 2017, "Image-to-Image Translation with Conditional
Adversarial Networks").

A conditional GAN on aligned pairs (a, b): the U-Net generator G maps a to b (nn/image_to_image.py;
depth 8 is the paper's 256 px encoder C64-C128-C256-C512-C512-C512-C512-C512 and its mirror with
skip connections, dropout 0.5 near the bottleneck while training), and a 70x70 PatchGAN judges
the pair (a, b) stacked along channels, so it scores whether b is a plausible translation of a.
The objective (Sec. 3.1):

    G* = arg min_G max_D  L_cGAN(G, D) + lambda * E|b - G(a)|_1,   lambda = 100

with the non-saturating BCE loss (losses/objective.py; another ``objective.loss`` can be
chosen). Adam(2e-4, beta1 0.5), batch 1, random 286 -> 256 crops and flips applied to both
images of a pair, constant rate then linear decay (the family's ``run_defaults``).

Normalisation: the paper uses batch norm with batch 1 and test-batch statistics, which is
instance normalisation; ``norm instance`` (the default) is that, and stays the same in eval
mode. Dropout is off at inference, so outputs are deterministic.

Data: ``artgan train --model pix2pix --data ./pairs`` (side-by-side A|B files) or
``--data-a ./a --data-b ./b`` (two folders matched by file name); see data/two_domain.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch

from ..config import DefaultsContext, ModelConfig, budget_presets
from ..data.two_domain import translation_run_defaults
from ..errors import ConfigError
from ..losses.objective import GANObjective, ObjectiveConfig
from ..nn.image_to_image import PatchDiscriminator, UNetGenerator
from ..nn.layers import NORMS, dcgan_init
from ..nn.modes import evaluating
from ..registry import MODELS
from .base import Batch, DataSpec, GenerativeModel, Phase, critic_then_generator
from .capabilities import Translator
from .cyclegan import check_translation_objective


@dataclass
class Pix2PixConfig(ModelConfig):
    name: ClassVar[str] = "pix2pix"
    image_size: int = 256  # training crop side (multiple of 2^depth)
    channels: int = 3  # both images of a pair (set from the data)
    width: int = 64  # ngf
    depth: int = 8  # U-Net levels (8: unet_256, 7: unet_128)
    d_width: int = 64  # ndf
    d_layers: int = 3  # PatchGAN stride-2 layers: 3 gives 70x70 patches
    norm: str = "instance"
    dropout: float = 0.5  # in the decoder levels next to the bottleneck, while training
    l1_weight: float = 100.0  # lambda
    adversarial_weight: float = 1.0
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)

    def __post_init__(self) -> None:
        if self.depth < 2:
            raise ConfigError("model.depth must be at least 2")
        if self.image_size < 2**self.depth or self.image_size % 2**self.depth:
            raise ConfigError(
                f"model.image_size {self.image_size} must be a multiple of 2^depth = "
                f"{2**self.depth} (lower model.depth for small images)"
            )
        if self.channels not in (1, 3):
            raise ConfigError(f"channels must be 1 or 3, got {self.channels}")
        if min(self.width, self.d_width, self.d_layers) < 1:
            raise ConfigError("model.width, d_width and d_layers must be positive")
        if self.norm not in NORMS:
            raise ConfigError(f"model.norm must be one of {', '.join(NORMS)}")
        if self.l1_weight < 0 or self.adversarial_weight < 0:
            raise ConfigError("model.l1_weight and model.adversarial_weight must be >= 0")
        if not 0 <= self.dropout < 1:
            raise ConfigError("model.dropout must be in [0, 1)")
        check_translation_objective(self.objective, "pix2pix")
        if self.objective.diffaugment:
            raise ConfigError(
                "pix2pix's discriminator sees the input beside the output; DiffAugment would "
                "move them apart: leave objective.diffaugment empty"
            )
        if self.objective.ada:
            raise ConfigError(
                "objective.ada is not supported by pix2pix: its discriminator sees the input "
                "beside the output, which ADA's geometric transforms would move apart"
            )

    @classmethod
    def run_defaults(cls, context: DefaultsContext) -> dict[str, Any]:
        return translation_run_defaults("paired")

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about an hour there; gpu: the paper's scale.
        return budget_presets(
            {
                "model.image_size": (64, 128, 256),
                "model.width": (16, 32, 64),
                "model.depth": (6, 7, 8),
                "model.d_width": (16, 32, 64),
                "train.steps": (300, 3000, 100000),
            }
        )

    def with_data(self, spec: DataSpec) -> Pix2PixConfig:
        if len(spec.shape) != 3:
            raise ConfigError("pix2pix needs paired images: --data ./pairs (A|B side by side)")
        self.channels = spec.shape[0]
        return self


class PairDiscriminator(PatchDiscriminator):
    """PatchGAN on the pair (condition a, image b) stacked along channels."""

    def features(self, x: torch.Tensor, a: torch.Tensor | None = None) -> torch.Tensor:
        return super().features(torch.cat([a, x], dim=1))  # (B, C', H', W')

    def head(self, features: torch.Tensor, a: torch.Tensor | None = None) -> torch.Tensor:
        return super().head(features)

    def forward(self, x: torch.Tensor, a: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, a))


@MODELS.register("pix2pix")
class Pix2Pix(GenerativeModel, Translator):
    name = "pix2pix"
    config_class = Pix2PixConfig
    directions = ("a2b",)  # one generator, A -> B

    def __init__(self, config: Pix2PixConfig) -> None:
        super().__init__(config)
        c = config
        self.G = UNetGenerator(c.channels, c.channels, c.width, c.depth, c.norm, c.dropout)
        self.D = PairDiscriminator(2 * c.channels, c.d_width, c.d_layers, c.norm)
        dcgan_init(self.G)
        dcgan_init(self.D)
        self.objective = GANObjective(c.objective)

    @property
    def input_multiple(self) -> int:
        return 2**self.config.depth

    # --- generation ----------------------------------------------------------------------
    @torch.no_grad()
    def translate(self, x: torch.Tensor, direction: str = "a2b") -> torch.Tensor:
        """(B, C, H, W) in [-1, 1], sides multiples of 2^depth -> G(x), on the CPU. pix2pix
        learns one direction only."""
        if direction != "a2b":
            raise ConfigError(
                "a pix2pix run translates A -> B only (--direction a2b); train another run on "
                "the swapped pairs for B -> A"
            )
        with evaluating(self):
            return self.G(x.to(self.device).float()).float().cpu()

    @torch.no_grad()
    def draw(
        self,
        n: int,
        seed: int | None = None,
        images: torch.Tensor | None = None,
        batch_size: int = 16,
    ) -> torch.Tensor:
        """``images`` (N, C, H, W) translated A -> B, on the CPU."""
        images = self.require_images(images)
        return torch.cat([self.translate(chunk) for chunk in images.split(batch_size)])

    @torch.no_grad()
    def preview_grid(self, dataset, n: int = 8) -> tuple[torch.Tensor, int]:
        """Rows of (A, G(A), B) for the first ``n`` training pairs."""
        indices = torch.arange(min(n, len(dataset)))
        batch = dataset.get(indices, torch.Generator().manual_seed(0))
        a, b = batch.x.float().cpu(), batch.x_b.float().cpu()
        rows = torch.stack([a, self.translate(a), b], dim=1)
        return rows.flatten(0, 1), 3  # (3n, C, H, W)

    # --- training ------------------------------------------------------------------------
    def phases(self, train) -> list[Phase]:
        return critic_then_generator(train, self.config.objective.critic_steps)

    def ema_modules(self) -> list[str]:
        return ["G"]

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        if batch.x_b is None:
            raise ConfigError("pix2pix needs paired data: --data ./pairs or --data-a/--data-b")
        c = self.config
        a, b = batch.x, batch.x_b
        if phase == "D":
            with torch.no_grad():
                fake = self.G(a)
            return self.objective.discriminator_losses(self.D, b, fake, a=a)
        fake = self.G(a)
        l1 = (fake.float() - b).abs().mean()
        adv = self.objective.generator_losses(self.D, fake, real=b, a=a)
        loss = c.l1_weight * l1 + c.adversarial_weight * adv["loss"]
        return {"loss": loss, "l1": l1.detach(), "g_adv": adv["g_adv"]}

    def after_phase_step(self, phase: str) -> None:
        if phase == "D":
            self.objective.clip_weights(self.D)
