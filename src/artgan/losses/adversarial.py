"""Adversarial losses as pure functions of discriminator outputs (logits / critic values).

Each loss is registered by name. ``d(real, fake, real_target)`` is what the discriminator
minimizes; ``g(fake)`` is what the generator minimizes. ``real_target`` < 1 gives one-sided
label smoothing (Salimans et al. 2016) for the losses that have targets.

- bce:     non-saturating GAN (Goodfellow et al. 2014, the practical generator loss)
- minimax: the original saturating min-max game, G minimizes log(1 - D(G(z)))
- lsgan:   least squares (Mao et al. 2017), targets 0/1
- wgan:    Wasserstein critic (Arjovsky et al. 2017); pair with weight clipping
- wgan-gp: the same critic loss; the gradient penalty lives in regularizers.py
- hinge:   (Lim & Ye 2017; Miyato et al. 2018)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..registry import LOSSES


@dataclass(frozen=True)
class AdversarialLoss:
    d: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]
    g: Callable[[torch.Tensor], torch.Tensor]


def _bce_d(real: torch.Tensor, fake: torch.Tensor, real_target: float) -> torch.Tensor:
    real_loss = F.binary_cross_entropy_with_logits(real, torch.full_like(real, real_target))
    fake_loss = F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    return real_loss + fake_loss


def _nonsaturating_g(fake: torch.Tensor) -> torch.Tensor:
    return F.softplus(-fake).mean()  # -log sigmoid(fake)


def _minimax_g(fake: torch.Tensor) -> torch.Tensor:
    return -F.softplus(fake).mean()  # log(1 - sigmoid(fake))


def _lsgan_d(real: torch.Tensor, fake: torch.Tensor, real_target: float) -> torch.Tensor:
    return 0.5 * ((real - real_target) ** 2).mean() + 0.5 * (fake**2).mean()


def _lsgan_g(fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((fake - 1.0) ** 2).mean()


def _wasserstein_d(real: torch.Tensor, fake: torch.Tensor, real_target: float) -> torch.Tensor:
    return fake.mean() - real.mean()


def _wasserstein_g(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


def _hinge_d(real: torch.Tensor, fake: torch.Tensor, real_target: float) -> torch.Tensor:
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


LOSSES.register("bce")(AdversarialLoss(_bce_d, _nonsaturating_g))
LOSSES.register("minimax")(AdversarialLoss(_bce_d, _minimax_g))
LOSSES.register("lsgan")(AdversarialLoss(_lsgan_d, _lsgan_g))
LOSSES.register("wgan")(AdversarialLoss(_wasserstein_d, _wasserstein_g))
LOSSES.register("wgan-gp")(AdversarialLoss(_wasserstein_d, _wasserstein_g))
LOSSES.register("hinge")(AdversarialLoss(_hinge_d, _wasserstein_g))


def discriminator_loss(
    name: str, real: torch.Tensor, fake: torch.Tensor, real_target: float = 1.0
) -> torch.Tensor:
    return LOSSES.get(name).d(real.float(), fake.float(), real_target)


def generator_loss(name: str, fake: torch.Tensor) -> torch.Tensor:
    return LOSSES.get(name).g(fake.float())
