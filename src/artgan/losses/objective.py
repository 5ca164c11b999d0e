"""The GAN objective: which adversarial loss, and the stabilisers composed onto it.

Any architecture (MLP, DCGAN, ResNet) trains with any objective: this config is a section of
each GAN family's config, and :class:`GANObjective` does the maths for both players.

Two options change what the discriminator sees, so each family's D reads them when it is built:

- ``pack`` (PacGAN, Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial
  networks"): D judges ``pack`` samples of one kind (all real or all fake) jointly, concatenated
  along the feature/channel axis, which penalises a generator that drops modes. The reshape
  happens here, before every call of D (adversarial loss, gradient penalty, R1, feature
  matching); D's input width is ``pack`` times the data's.
- ``minibatch_std`` (Karras et al. 2018, "Progressive Growing of GANs"): D appends the standard
  deviation across groups of the batch as one more feature near its end, so it can see a lack
  of variety. It is an objective option rather than a model field because, like packing, it is
  a mode-collapse stabiliser composed onto any architecture (DESIGN convention 3).

What D sees is augmented first (every call of D, also for the penalties and feature matching):
either DiffAugment (``diffaugment``, losses/diffaugment.py: a fixed policy) or adaptive
discriminator augmentation (``ada``, losses/ada.py: Karras et al. 2020, a strength ``p`` tuned
from D's outputs on reals, training state of this object: :meth:`GANObjective.state_dict`). The
two are alternatives, not a stack: setting both is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import ConfigError
from ..registry import LOSSES
from . import adversarial  # noqa: F401  (registers the losses)
from .ada import AdaptiveAugment
from .adversarial import discriminator_loss, generator_loss
from .diffaugment import DiffAugment, parse_policy
from .regularizers import feature_matching, gradient_penalty, r1_penalty


@dataclass
class ObjectiveConfig:
    loss: str = "bce"  # bce | minimax | lsgan | wgan | wgan-gp | hinge
    gp_weight: float = 10.0  # gradient penalty weight (used by wgan-gp, or any loss with gp=True)
    gp: bool = False  # add the gradient penalty to a loss other than wgan-gp
    r1_gamma: float = 0.0  # R1 penalty weight on real data (0 = off)
    clip_value: float = 0.01  # weight clipping for the plain wgan critic
    label_smoothing: float = 0.0  # one-sided: real targets become 1 - this (bce, minimax, lsgan)
    feature_matching: float = 0.0  # weight of the feature-matching term in the generator loss
    n_critic: int = 0  # discriminator steps per generator step (0 = 5 for wgan*, else 1)
    diffaugment: str = ""  # comma list of color, translation, cutout (DiffAugment, Zhao et al.)
    pack: int = 1  # PacGAN: D judges this many samples jointly (the batch size must divide by it)
    minibatch_std: bool = False  # D sees the batch's standard deviation (Karras et al. 2018)
    ada: bool = False  # adaptive discriminator augmentation (Karras et al. 2020, losses/ada.py)
    ada_target: float = 0.6  # the paper's target for r_t = E[sign(D(real))]
    # Real images that move p by 1. The paper uses 500k (p can go 0 -> 1 in 500k images, a small
    # part of its 25M-image runs). A CPU run here sees 50-200k images in all, in which p could
    # rise to at most 0.1-0.4 at 500k: too slow to help. 100k lets p reach the paper's typical
    # 0.2-0.6 within a few tens of thousands of images and still move smoothly (a 4-step interval
    # of 16 images changes it by 0.00064). On a GPU run of millions of images, 500 is the paper's.
    ada_kimg: float = 100.0
    ada_interval: int = 4  # D steps between adjustments of p
    ada_p: float = 0.0  # initial p (the training state carries the current one on resume)

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ConfigError(
                f"unknown loss {self.loss!r}; valid names: {', '.join(LOSSES.names())}"
            )
        if not 0.0 <= self.label_smoothing < 0.5:
            raise ConfigError("objective.label_smoothing must be in [0, 0.5)")
        for name in ("gp_weight", "r1_gamma", "clip_value", "feature_matching", "n_critic"):
            if getattr(self, name) < 0:
                raise ConfigError(f"objective.{name} must be >= 0")
        if self.pack < 1:
            raise ConfigError(f"objective.pack must be at least 1, got {self.pack}")
        parse_policy(self.diffaugment)
        self._check_ada()

    def _check_ada(self) -> None:
        if not 0.0 <= self.ada_p < 1.0:
            raise ConfigError(f"objective.ada_p must be in [0, 1), got {self.ada_p}")
        if not 0.0 < self.ada_target < 1.0:
            raise ConfigError(f"objective.ada_target must be in (0, 1), got {self.ada_target}")
        if not self.ada_kimg > 0:
            raise ConfigError(f"objective.ada_kimg must be > 0, got {self.ada_kimg}")
        if self.ada_interval < 1:
            raise ConfigError(f"objective.ada_interval must be >= 1, got {self.ada_interval}")
        if not self.ada:
            return
        if self.diffaugment:
            raise ConfigError(
                "objective.ada and objective.diffaugment both augment what D sees; use one "
                "(leave objective.diffaugment empty for ADA)"
            )
        if self.loss in ("wgan", "wgan-gp"):
            raise ConfigError(
                f"objective.ada tunes p from the sign of D's outputs, which a {self.loss} "
                "critic does not have (its scores shift freely); use bce, hinge or lsgan"
            )

    @property
    def uses_gradient_penalty(self) -> bool:
        return self.loss == "wgan-gp" or self.gp

    @property
    def critic_steps(self) -> int:
        if self.n_critic:
            return self.n_critic
        return 5 if self.loss in ("wgan", "wgan-gp") else 1

    @property
    def real_target(self) -> float:
        return 1.0 - self.label_smoothing

    @property
    def decision_boundary(self) -> float:
        """The score between "fake" and "real": 0 for logits and hinge, the midpoint of the
        targets (0 and real_target) for least squares."""
        return 0.5 * self.real_target if self.loss == "lsgan" else 0.0


class GANObjective:
    """Losses for both players given a discriminator ``D`` with ``D(x)`` and ``D.features(x)``."""

    def __init__(self, config: ObjectiveConfig):
        self.config = config
        self.augment: DiffAugment | AdaptiveAugment = DiffAugment(config.diffaugment)
        self.ada: AdaptiveAugment | None = None
        if config.ada:
            self.ada = AdaptiveAugment(
                config.ada_p,
                config.ada_target,
                config.ada_kimg,
                config.ada_interval,
                config.decision_boundary,
            )
            self.augment = self.ada

    def state_dict(self) -> dict:
        """Training state (the ADA strength and its running sums): plain values only."""
        return {"ada": self.ada.state_dict()} if self.ada is not None else {}

    def load_state_dict(self, state: dict) -> None:
        if self.ada is not None and "ada" in state:
            self.ada.load_state_dict(state["ada"])

    def pack(self, x: torch.Tensor, cond: dict) -> torch.Tensor:
        """(B, F, ...) -> (B / pack, pack * F, ...): ``pack`` consecutive samples side by side
        along the feature/channel axis (PacGAN), the layout D was built for."""
        p = self.config.pack
        if p == 1:
            return x
        if cond:
            raise ConfigError(
                "objective.pack > 1 does not work with a class-conditional "
                "discriminator; set --model.objective.pack 1"
            )
        if x.shape[0] % p:
            raise ConfigError(
                f"the batch of {x.shape[0]} (train.batch_size per process) must divide by "
                f"model.objective.pack {p}; choose a batch size that is a multiple of {p}"
            )
        return x.reshape(x.shape[0] // p, p * x.shape[1], *x.shape[2:])  # (B/p, p*F, ...)

    def discriminator_losses(
        self, D, real: torch.Tensor, fake: torch.Tensor, real_extra=None, **cond
    ) -> dict:
        """D's losses on a real and a fake batch. ``real_extra(real_input, real_features)``,
        when given, returns more named D losses computed from the same forward pass on the
        (augmented) reals: FastGAN's reconstruction loss reuses D's features that way."""
        c = self.config
        real = self.pack(self.augment(real), cond)
        fake = self.pack(self.augment(fake.detach()), cond)
        if c.r1_gamma > 0:
            real = real.detach().requires_grad_(True)
        if real_extra is None:
            real_scores = D(real, **cond)
        else:
            real_features = D.features(real, **cond)
            real_scores = D.head(real_features, **cond)
        fake_scores = D(fake, **cond)
        adv = discriminator_loss(c.loss, real_scores, fake_scores, c.real_target)
        out = {
            "d_adv": adv.detach(),
            "d_real": real_scores.detach().float().mean(),
            "d_fake": fake_scores.detach().float().mean(),
        }
        if self.ada is not None:
            out.update(self.ada.observe(real_scores, images=real.shape[0] * c.pack))
        loss = adv
        if c.uses_gradient_penalty:
            gp = gradient_penalty(lambda x: D(x, **cond), real, fake)
            loss = loss + c.gp_weight * gp
            out["gp"] = gp.detach()
        if c.r1_gamma > 0:
            r1 = r1_penalty(real_scores, real)
            loss = loss + 0.5 * c.r1_gamma * r1
            out["r1"] = r1.detach()
        if real_extra is not None:
            for name, value in real_extra(real, real_features).items():
                loss = loss + value
                out[name] = value.detach()
        out["loss"] = loss
        return out

    def generator_losses(self, D, fake: torch.Tensor, real: torch.Tensor | None = None, **cond):
        c = self.config
        fake = self.pack(self.augment(fake), cond)
        if c.feature_matching > 0 and real is not None:
            fake_features = D.features(fake, **cond)
            scores = D.head(fake_features, **cond)
            with torch.no_grad():
                real_features = D.features(self.pack(self.augment(real), cond), **cond)
            fm = feature_matching(real_features, fake_features)
            adv = generator_loss(c.loss, scores)
            return {"loss": adv + c.feature_matching * fm, "g_adv": adv.detach(), "fm": fm.detach()}
        adv = generator_loss(c.loss, D(fake, **cond))
        return {"loss": adv, "g_adv": adv.detach()}

    def clip_weights(self, D) -> None:
        if self.config.loss == "wgan":
            with torch.no_grad():
                for p in D.parameters():
                    p.clamp_(-self.config.clip_value, self.config.clip_value)
