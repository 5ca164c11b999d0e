"""Discriminator regularizers and the feature-matching generator term."""

from __future__ import annotations

from collections.abc import Callable

import torch


def _mix(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device)
    return (alpha * real + (1 - alpha) * fake).requires_grad_(True)


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    target_norm: float = 1.0,
) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): E[(||grad D(x_hat)|| - 1)^2] on real/fake mixtures."""
    mixed = _mix(real.detach().float(), fake.detach().float())
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    norms = grad.flatten(1).norm(2, dim=1)
    return ((norms - target_norm) ** 2).mean()


def r1_penalty(real_scores: torch.Tensor, real_inputs: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): E[||grad D(x)||^2] on real data. ``real_inputs`` must
    have had ``requires_grad`` set before the forward pass that produced ``real_scores``."""
    (grad,) = torch.autograd.grad(real_scores.sum(), real_inputs, create_graph=True)
    return grad.flatten(1).pow(2).sum(1).mean()


def feature_matching(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """Salimans et al. 2016: match the mean discriminator features of real and fake batches."""
    return (real_features.detach().float().mean(0) - fake_features.float().mean(0)).pow(2).mean()
