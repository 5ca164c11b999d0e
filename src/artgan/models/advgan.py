"""AdvGAN (Xiao, Li, Zhu, He, Liu & Song, IJCAI 2018, "Generating Adversarial Examples with
Adversarial Networks").

A generator G maps an image x to a perturbation in one forward pass; x + G(x) should fool a
fixed target classifier f while a discriminator D cannot tell it from real images. The loss
(their Eq. 4) is

    L = L_adv + alpha * L_GAN + beta * L_hinge
    L_adv   = E max(f(x + G(x))_y - max_{i != y} f(x + G(x))_i, -kappa)    (C&W margin)
    L_GAN   = least squares (Mao et al.), D on real x against x + G(x)
    L_hinge = E max(0, ||G(x)||_2 - c)                                     (soft size bound)

Differences, and why: the perturbation is ``eps * tanh`` of the generator's output, so the
L-infinity bound holds exactly by construction (the paper clips; the hinge alone bounds only
the L2 norm), and the image is then clamped to its range. The weights (adversarial 10, GAN 1,
hinge 1, c = 0.1 in L2 on the [0, 1] pixel scale) are those of the widely used PyTorch
reimplementation (mathcamp/advGAN_pytorch), as the paper gives none. y is the true label when
the data has one, else the target's own prediction on x. G is the paper's (after CycleGAN):
c8-d16-d32, four residual blocks, u16-u8, c; D is a small PatchGAN (C8-C16-C32).

``eps`` is on the [0, 1] pixel scale, as papers quote it: the perturbation of a [-1, 1] tensor
is at most ``2 * eps`` (losses/attacks.py). The target (``--target``: a classifier run or a
TorchScript file) is loaded by the trainer and never becomes part of this model's weights;
making adversarial examples later needs only G.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from ..config import DefaultsContext, ModelConfig, budget_presets
from ..errors import ConfigError
from ..losses.adversarial import discriminator_loss, generator_loss
from ..losses.attacks import check_eps, margin_loss, tensor_eps
from ..nn.image_to_image import PatchDiscriminator, ResnetGenerator
from ..nn.modes import evaluating
from ..registry import MODELS
from .base import Batch, DataSpec, GenerativeModel, Phase, TargetSpec, critic_then_generator
from .capabilities import Classifier, Perturber
from .torchscript import check_input_range

NO_TARGET = (
    "advgan trains against a target classifier: artgan train --model advgan --target runs/clf "
    "(a classifier run or a TorchScript file) --data DATA --eps 0.1"
)


@dataclass
class AdvGANConfig(ModelConfig):
    name: ClassVar[str] = "advgan"
    target: str = ""  # the classifier attacked: a classifier run folder or a TorchScript file
    target_range: str = "-1,1"  # a TorchScript target's input range: -1,1 or 0,1
    eps: float = 0.3  # L-infinity bound on the [0, 1] pixel scale (the paper's MNIST value)
    image_size: int = 0  # set from the data (0: the data's own size); a multiple of 4
    channels: int = 1  # set from the data
    width: int = 8  # G's first layer (c8)
    blocks: int = 4
    d_width: int = 8
    adversarial_weight: float = 10.0
    gan_weight: float = 1.0  # alpha
    hinge_weight: float = 1.0  # beta
    hinge_bound: float = 0.1  # c: L2 norm of the perturbation on the [0, 1] pixel scale
    kappa: float = 0.0  # C&W confidence margin

    def __post_init__(self) -> None:
        check_eps(self.eps, "model.eps")
        check_input_range(self.target_range)
        if self.image_size < 0 or self.image_size % 4:
            raise ConfigError(f"model.image_size must be a multiple of 4, got {self.image_size}")
        if self.channels not in (1, 3):
            raise ConfigError(f"model.channels must be 1 or 3, got {self.channels}")
        if min(self.width, self.blocks, self.d_width) < 1:
            raise ConfigError("model.width, model.blocks and model.d_width must be at least 1")
        weights = (self.adversarial_weight, self.gan_weight, self.hinge_weight, self.hinge_bound)
        if min(weights) < 0 or self.kappa < 0:
            raise ConfigError("advgan's loss weights, hinge_bound and kappa must be >= 0")

    @classmethod
    def run_defaults(cls, context: DefaultsContext) -> dict[str, Any]:
        # Adam at 1e-3 for both networks, batch 128 (the reimplementation's).
        return {"train.lr_g": 1e-3, "train.lr_d": 1e-3, "train.batch_size": 128}

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        return budget_presets({"train.steps": (300, 3000, 30000)})

    def with_data(self, spec: DataSpec) -> AdvGANConfig:
        if len(spec.shape) != 3 or spec.shape[1] != spec.shape[2]:
            raise ConfigError(f"advgan needs square images, got items of shape {spec.shape}")
        self.channels, self.image_size = int(spec.shape[0]), int(spec.shape[-1])
        self.__post_init__()
        return self


@MODELS.register("advgan")
class AdvGAN(GenerativeModel, Perturber):
    name = "advgan"
    config_class = AdvGANConfig

    def __init__(self, config: AdvGANConfig) -> None:
        super().__init__(config)
        c = config
        self.G = ResnetGenerator(c.channels, c.channels, c.width, c.blocks, norm="instance")
        self.D = PatchDiscriminator(c.channels, c.d_width, layers=2, norm="instance")
        self._target: Classifier | None = None  # attached by the trainer, never saved

    # --- the target --------------------------------------------------------------------
    def target_classifier(self) -> TargetSpec | None:
        if not self.config.target:
            raise ConfigError(NO_TARGET)
        return TargetSpec(self.config.target, self.config.target_range)

    def attach_target(self, classifier: Classifier) -> None:
        c = self.config
        if tuple(classifier.input_shape) != (c.channels, c.image_size, c.image_size):
            shape = "x".join(map(str, classifier.input_shape))
            raise ConfigError(
                f"the target classifies {shape} images, but advgan's data gives "
                f"{c.channels}x{c.image_size}x{c.image_size}; pass --image-size to match"
            )
        # A plain attribute, not a sub-module: the target is no part of the state dict.
        object.__setattr__(self, "_target", classifier)

    def target(self) -> Classifier:
        if self._target is None:
            raise ConfigError(NO_TARGET)
        return self._target

    # --- generation --------------------------------------------------------------------
    @property
    def eps(self) -> float:
        return self.config.eps

    def perturbation(self, x: torch.Tensor) -> torch.Tensor:
        """G(x) scaled into the L-infinity ball: |delta| <= 2 * eps on the [-1, 1] scale."""
        return tensor_eps(self.config.eps) * self.G(x)  # G ends in tanh

    def adversarial(self, x: torch.Tensor) -> torch.Tensor:
        return (x + self.perturbation(x)).clamp(-1.0, 1.0)

    @torch.no_grad()
    def perturb(self, x: torch.Tensor) -> torch.Tensor:
        with evaluating(self):
            return self.adversarial(x.to(self.device).float()).float().cpu()

    @torch.no_grad()
    def draw(
        self,
        n: int,
        seed: int | None = None,
        images: torch.Tensor | None = None,
        batch_size: int = 256,
    ) -> torch.Tensor:
        """``images`` (N, C, H, W) in [-1, 1] -> their adversarial versions, on the CPU."""
        images = self.require_images(images)
        return torch.cat([self.perturb(chunk) for chunk in images.split(batch_size)])

    @torch.no_grad()
    def preview_grid(self, dataset, n: int = 8) -> tuple[torch.Tensor, int]:
        """Rows of (clean, adversarial, perturbation scaled to fill [-1, 1]; grey is none)."""
        indices = torch.arange(min(n, len(dataset)))
        x = dataset.get(indices, torch.Generator().manual_seed(0)).x.float().cpu()
        adv = self.perturb(x)
        delta = (adv - x) / tensor_eps(self.config.eps)  # (n, C, H, W) in [-1, 1]
        return torch.stack([x, adv, delta], dim=1).flatten(0, 1), 3

    # --- training ----------------------------------------------------------------------
    def phases(self, train) -> list[Phase]:
        return critic_then_generator(train)

    def labels_to_fool(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """The true labels, or the target's own predictions for unlabelled data."""
        if y is not None:
            return y
        with torch.no_grad():
            return self.target().classify(x).argmax(1)

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        c = self.config
        x = batch.x
        if phase == "D":
            with torch.no_grad():
                fake = self.adversarial(x)
            loss = discriminator_loss("lsgan", self.D(x), self.D(fake))
            return {"loss": loss}
        y = self.labels_to_fool(x, batch.y)
        delta = self.perturbation(x)
        fake = (x + delta).clamp(-1.0, 1.0)
        logits = self.target().classify(fake)
        adversarial = margin_loss(logits, y, c.kappa)
        gan = generator_loss("lsgan", self.D(fake))
        size = (delta.float() / 2).flatten(1).norm(dim=1)  # L2 on the [0, 1] pixel scale, (B,)
        hinge = F.relu(size - c.hinge_bound).mean()
        loss = c.adversarial_weight * adversarial + c.gan_weight * gan + c.hinge_weight * hinge
        fooled = (logits.argmax(1) != y).float().mean()
        return {
            "loss": loss,
            "adv": adversarial.detach(),
            "gan": gan.detach(),
            "hinge": hinge.detach(),
            "fooled": fooled.detach(),
        }
