"""CycleGAN (Zhu, Park, Isola & Efros 2017, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks").

Two generators translate between unpaired domains, G_AB: A -> B and G_BA: B -> A (ResNet
generators, nn/image_to_image.py: 9 residual blocks at 256 px, 6 at 128 px), and two 70x70
PatchGAN discriminators judge each domain, D_A real A against G_BA(B), D_B real B against
G_AB(A). The objective (Sec. 3 and 4):

    L_G = L_adv(G_AB, D_B) + L_adv(G_BA, D_A)
          + lambda_cyc * (|G_BA(G_AB(a)) - a|_1 + |G_AB(G_BA(b)) - b|_1)
          + lambda_idt * lambda_cyc * (|G_AB(b) - b|_1 + |G_BA(a) - a|_1)

with least-squares adversarial losses (Mao et al. 2017), lambda_cyc = 10 and lambda_idt = 0.5.
``adversarial_weight`` is 2 because artgan's lsgan generator loss is 1/2 mean((D - 1)^2) and
the paper's is mean((D - 1)^2); the discriminator loss, 1/2 (mean((D(real) - 1)^2) +
mean(D(fake)^2)), is the paper's (it halves D's objective). D is updated on fakes from a history
pool of the last 50 generated images (models/history_pool.py; part of the training state, so a
resumed run continues exactly). Adam(2e-4, beta1 0.5), batch 1, constant for the first half of
the run and then a linear decay to zero (the trainer's ``lr_decay linear``, from the family's
``run_defaults``), random 286 -> 256 crops and flips.

Phases, one loop: G (both generators), then D (both discriminators, on the fakes of this step's
G phase). ``sample`` translates the images it is given (none: an error naming artgan stylize);
``translate`` takes any images whose sides are multiples of 4 (artgan.translate pads and tiles
any image for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch

from ..config import DefaultsContext, ModelConfig, budget_presets
from ..data.two_domain import translation_run_defaults
from ..errors import ConfigError
from ..losses.objective import GANObjective, ObjectiveConfig
from ..nn.image_to_image import PatchDiscriminator, ResnetGenerator
from ..nn.layers import NORMS, dcgan_init
from ..nn.modes import evaluating
from ..registry import MODELS
from .base import Batch, DataSpec, GenerativeModel, Phase
from .capabilities import Translator
from .history_pool import HistoryPool

DIRECTIONS = ("a2b", "b2a")


def check_translation_objective(objective: ObjectiveConfig, family: str) -> None:
    """The PatchGAN sees one image at a time: PacGAN packing and minibatch std do not apply."""
    if objective.pack != 1 or objective.minibatch_std:
        raise ConfigError(
            f"{family}'s PatchGAN judges single images: set objective.pack 1 and "
            "objective.minibatch_std false"
        )


def check_direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ConfigError(f"direction must be a2b or b2a, got {direction!r}")
    return direction


@dataclass
class CycleGANConfig(ModelConfig):
    name: ClassVar[str] = "cyclegan"
    image_size: int = 256  # training crop side (multiple of 4)
    channels: int = 3  # both domains (set from the data)
    width: int = 64  # ngf: generator channels of the first layer
    blocks: int = 9  # residual blocks (the paper: 9 at 256 px, 6 at 128 px)
    d_width: int = 64  # ndf
    d_layers: int = 3  # PatchGAN stride-2 layers: 3 gives 70x70 patches
    norm: str = "instance"
    dropout: float = 0.0  # in the residual blocks (the paper: none)
    cycle_weight: float = 10.0  # lambda_cyc
    identity_weight: float = 0.5  # lambda_idt, relative to cycle_weight (0 = off)
    adversarial_weight: float = 2.0  # see the module docstring
    pool_size: int = 50  # history of generated images shown to D (0 = newest only)
    objective: ObjectiveConfig = field(default_factory=lambda: ObjectiveConfig(loss="lsgan"))

    def __post_init__(self) -> None:
        if self.image_size < 4 or self.image_size % 4:
            raise ConfigError(f"model.image_size must be a multiple of 4, got {self.image_size}")
        if self.channels not in (1, 3):
            raise ConfigError(f"channels must be 1 or 3, got {self.channels}")
        if min(self.width, self.d_width, self.d_layers) < 1 or self.blocks < 0:
            raise ConfigError("model.width, d_width and d_layers must be positive, blocks >= 0")
        if self.norm not in NORMS:
            raise ConfigError(f"model.norm must be one of {', '.join(NORMS)}")
        for name in ("cycle_weight", "identity_weight", "adversarial_weight", "pool_size"):
            if getattr(self, name) < 0:
                raise ConfigError(f"model.{name} must be >= 0")
        if not 0 <= self.dropout < 1:
            raise ConfigError("model.dropout must be in [0, 1)")
        check_translation_objective(self.objective, "cyclegan")

    @classmethod
    def run_defaults(cls, context: DefaultsContext) -> dict[str, Any]:
        return translation_run_defaults("unpaired")

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about an hour there; gpu: the paper's scale.
        return budget_presets(
            {
                "model.image_size": (64, 128, 256),
                "model.width": (8, 16, 64),
                "model.blocks": (3, 6, 9),
                "model.d_width": (16, 32, 64),
                "train.steps": (300, 2000, 100000),  # cpu: 1.35 s a step on 2 busy cores
            }
        )

    def with_data(self, spec: DataSpec) -> CycleGANConfig:
        if len(spec.shape) != 3:
            raise ConfigError("cyclegan needs image data: --data-a ./photos --data-b ./paintings")
        self.channels = spec.shape[0]
        return self


@MODELS.register("cyclegan")
class CycleGAN(GenerativeModel, Translator):
    name = "cyclegan"
    config_class = CycleGANConfig
    input_multiple = 4  # translate() needs sides that are multiples of this
    directions = DIRECTIONS

    def __init__(self, config: CycleGANConfig) -> None:
        super().__init__(config)
        c = config

        def generator() -> ResnetGenerator:
            return ResnetGenerator(c.channels, c.channels, c.width, c.blocks, c.norm, c.dropout)

        def discriminator() -> PatchDiscriminator:
            return PatchDiscriminator(c.channels, c.d_width, c.d_layers, c.norm)

        self.G_AB, self.G_BA = generator(), generator()
        self.D_A, self.D_B = discriminator(), discriminator()
        for net in (self.G_AB, self.G_BA, self.D_A, self.D_B):
            dcgan_init(net)  # N(0, 0.02), the reference initialisation
        self.objective = GANObjective(c.objective)
        self.pool_a, self.pool_b = HistoryPool(c.pool_size), HistoryPool(c.pool_size)
        self._fakes: tuple[torch.Tensor, torch.Tensor] | None = None  # G phase -> D phase

    # --- generation ----------------------------------------------------------------------
    def generator(self, direction: str) -> ResnetGenerator:
        return self.G_AB if check_direction(direction) == "a2b" else self.G_BA

    @torch.no_grad()
    def translate(self, x: torch.Tensor, direction: str = "a2b") -> torch.Tensor:
        """(B, C, H, W) in [-1, 1], H and W multiples of 4 -> translated, on the CPU."""
        with evaluating(self):
            return self.generator(direction)(x.to(self.device).float()).float().cpu()

    @torch.no_grad()
    def draw(
        self,
        n: int,
        seed: int | None = None,
        images: torch.Tensor | None = None,
        direction: str = "a2b",
        batch_size: int = 16,
    ) -> torch.Tensor:
        """``images`` (N, C, H, W) translated in ``direction``, on the CPU."""
        images = self.require_images(images)
        return torch.cat([self.translate(chunk, direction) for chunk in images.split(batch_size)])

    @torch.no_grad()
    def preview_grid(self, dataset, n: int = 8) -> tuple[torch.Tensor, int]:
        """Rows of (A, A -> B, B, B -> A) for the first ``n`` items of the training data."""
        indices = torch.arange(min(n, len(dataset)))
        batch = dataset.get(indices, torch.Generator().manual_seed(0))
        a, b = batch.x.float().cpu(), batch.x_b.float().cpu()
        rows = torch.stack([a, self.translate(a, "a2b"), b, self.translate(b, "b2a")], dim=1)
        return rows.flatten(0, 1), 4  # (4n, C, H, W)

    # --- training ------------------------------------------------------------------------
    def phases(self, train) -> list[Phase]:
        betas = (train.beta1, train.beta2)
        return [
            Phase("G", ["G_AB", "G_BA"], train.lr_g, betas),
            Phase("D", ["D_A", "D_B"], train.lr_d, betas),
        ]

    def ema_modules(self) -> list[str]:
        return ["G_AB", "G_BA"]

    @staticmethod
    def _domains(batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        if batch.x_b is None:
            raise ConfigError(
                "cyclegan needs two-domain data: --data-a ./photos --data-b ./paintings"
            )
        return batch.x, batch.x_b

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        a, b = self._domains(batch)
        return self._generator_step(a, b) if phase == "G" else self._discriminator_step(a, b)

    def _generator_step(self, a: torch.Tensor, b: torch.Tensor) -> dict[str, torch.Tensor]:
        c = self.config
        fake_b, fake_a = self.G_AB(a), self.G_BA(b)
        adv_ab = self.objective.generator_losses(self.D_B, fake_b, real=b)["loss"]
        adv_ba = self.objective.generator_losses(self.D_A, fake_a, real=a)["loss"]
        cycle_a = (self.G_BA(fake_b).float() - a).abs().mean()  # a -> b -> a
        cycle_b = (self.G_AB(fake_a).float() - b).abs().mean()  # b -> a -> b
        loss = c.adversarial_weight * (adv_ab + adv_ba) + c.cycle_weight * (cycle_a + cycle_b)
        out = {
            "g_adv_ab": adv_ab.detach(),
            "g_adv_ba": adv_ba.detach(),
            "cycle_a": cycle_a.detach(),
            "cycle_b": cycle_b.detach(),
        }
        if c.identity_weight > 0:
            idt_a = (self.G_BA(a).float() - a).abs().mean()
            idt_b = (self.G_AB(b).float() - b).abs().mean()
            loss = loss + c.identity_weight * c.cycle_weight * (idt_a + idt_b)
            out["identity_a"], out["identity_b"] = idt_a.detach(), idt_b.detach()
        self._fakes = (fake_a.detach(), fake_b.detach())
        out["loss"] = loss
        return out

    def _discriminator_step(self, a: torch.Tensor, b: torch.Tensor) -> dict[str, torch.Tensor]:
        if self._fakes is None:  # D alone (no G phase before it this step)
            with torch.no_grad():
                self._fakes = (self.G_BA(b), self.G_AB(a))
        fake_a, fake_b = self._fakes
        self._fakes = None
        losses_a = self.objective.discriminator_losses(self.D_A, a, self.pool_a.query(fake_a))
        losses_b = self.objective.discriminator_losses(self.D_B, b, self.pool_b.query(fake_b))
        out = {
            "loss": losses_a["loss"] + losses_b["loss"],
            "d_a": losses_a["loss"].detach(),
            "d_b": losses_b["loss"].detach(),
        }
        if "ada_p" in losses_a:  # one ADA strength for both discriminators
            out["ada_p"] = losses_a["ada_p"]
            out["ada_rt"] = 0.5 * (losses_a["ada_rt"] + losses_b["ada_rt"])
        return out

    def after_phase_step(self, phase: str) -> None:
        if phase == "D":
            self.objective.clip_weights(self.D_A)
            self.objective.clip_weights(self.D_B)

    # --- resumable state -----------------------------------------------------------------
    def extra_training_state(self) -> dict:
        return {
            "pool_a": self.pool_a.state_dict(),
            "pool_b": self.pool_b.state_dict(),
            "objective": self.objective.state_dict(),  # the ADA strength p
        }

    def load_extra_training_state(self, state: dict) -> None:
        self.objective.load_state_dict(state.get("objective", {}))
        if "pool_a" in state:
            self.pool_a.load_state_dict(state["pool_a"], self.device)
            self.pool_b.load_state_dict(state["pool_b"], self.device)
