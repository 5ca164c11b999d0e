"""Adversarial examples as pure functions of a differentiable classifier (issue 19).

FGSM (Goodfellow, Shlens & Szegedy, ICLR 2015): one step of size epsilon along the sign of the
loss gradient. PGD (Madry et al., ICLR 2018): ``steps`` such steps of ``step_size`` from a
uniform random start inside the L-infinity ball, each projected back onto the ball and the
image range. The C&W margin (Carlini & Wagner, S&P 2017) is AdvGAN's adversarial loss.

Epsilon is given on the [0, 1] pixel scale, as papers quote it (MNIST eps = 0.3 means 0.3 of
the full pixel range). artgan's image tensors are in [-1, 1], twice as wide, so the bound on a
tensor is ``2 * eps`` (:func:`tensor_eps`). Every attack here returns images ``x_adv`` with
``|x_adv - x| <= 2 * eps`` element-wise and ``-1 <= x_adv <= 1``, exactly (the last operation is
a projection onto both).

``classify`` is any function from (B, C, H, W) in [-1, 1] to (B, classes) logits through which
gradients flow (a :class:`~artgan.models.capabilities.Classifier`'s ``classify``); the
attacks do not change its mode or its weights' gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..errors import ConfigError

Logits = Callable[[torch.Tensor], torch.Tensor]

# PGD's default step: 2.5 * eps / steps (the rule of Madry's group's `robustness` library), so
# that the walk can cross the ball from one side to the other within its steps.
PGD_STEP_FACTOR = 2.5


def check_eps(eps: float, what: str = "eps") -> float:
    """``eps`` as a float in (0, 1], or one clear error."""
    try:
        value = float(eps)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a number in (0, 1], got {eps!r}") from None
    if not 0.0 < value <= 1.0:  # also refuses NaN
        raise ConfigError(
            f"{what} must be above 0 and at most 1 (a fraction of the [0, 1] pixel range), "
            f"got {eps!r}"
        )
    return value


def tensor_eps(eps: float) -> float:
    """The bound on a [-1, 1] tensor for ``eps`` on the [0, 1] pixel scale (twice as wide)."""
    return 2.0 * eps


def default_step_size(eps: float, steps: int) -> float:
    """PGD's step on the [0, 1] pixel scale when none is given: 2.5 * eps / steps."""
    return PGD_STEP_FACTOR * eps / max(1, steps)


def project(x_adv: torch.Tensor, x: torch.Tensor, eps: float) -> torch.Tensor:
    """``x_adv`` moved into the L-infinity ball of radius ``eps`` (pixel scale) around ``x``
    and into [-1, 1]: the last step of every attack."""
    bound = tensor_eps(eps)
    x_adv = torch.max(torch.min(x_adv, x + bound), x - bound)
    return x_adv.clamp(-1.0, 1.0)


def _loss_gradient(classify: Logits, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """d cross-entropy(classify(x), y) / d x, without touching any weight's .grad."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = F.cross_entropy(classify(x).float(), y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x)
    return grad


def fgsm(classify: Logits, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """x + eps * sign(grad of the loss at the true labels ``y``), projected."""
    eps = check_eps(eps)
    step = tensor_eps(eps) * _loss_gradient(classify, x, y).sign()
    return project(x + step, x, eps).detach()


def pgd(
    classify: Logits,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    steps: int = 40,
    step_size: float | None = None,
    random_start: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Projected gradient ascent of the loss in the L-infinity ball (pixel-scale ``eps``,
    ``step_size``), from a uniform random point of the ball when ``random_start`` (drawn on
    the CPU from ``generator``, so a seed means the same start everywhere)."""
    eps = check_eps(eps)
    if steps < 1:
        raise ConfigError(f"PGD steps must be at least 1, got {steps}")
    step_size = default_step_size(eps, steps) if step_size is None else float(step_size)
    if not step_size > 0:
        raise ConfigError(f"PGD step size must be above 0, got {step_size}")
    x = x.detach()
    x_adv = x
    if random_start:
        noise = torch.rand(x.shape, generator=generator, dtype=x.dtype) * 2 - 1  # (B, C, H, W)
        x_adv = project(x + tensor_eps(eps) * noise.to(x.device), x, eps)
    for _ in range(steps):
        grad = _loss_gradient(classify, x_adv, y)
        x_adv = project(x_adv + tensor_eps(step_size) * grad.sign(), x, eps)
    return x_adv.detach()


def margin_loss(logits: torch.Tensor, y: torch.Tensor, kappa: float = 0.0) -> torch.Tensor:
    """Carlini & Wagner's untargeted margin, mean over the batch: max(Z_y - max_{i != y} Z_i,
    -kappa). Zero once every image is misclassified by at least ``kappa``."""
    logits = logits.float()
    true = logits.gather(1, y[:, None]).squeeze(1)  # (B,)
    others = logits.masked_fill(F.one_hot(y, logits.shape[1]).bool(), float("-inf"))
    return (true - others.amax(1)).clamp(min=-kappa).mean()


@dataclass
class AdversarialTrainingConfig:
    """PGD adversarial training (Madry et al. 2018) as an objective of a classifier's
    training: each batch is replaced by its PGD examples before the loss. ``eps`` 0: off."""

    eps: float = 0.0  # pixel scale; Madry et al. train MNIST at 0.3
    steps: int = 7  # their CIFAR-10 recipe; 40 on MNIST, 7 costs a sixth as much
    step_size: float = 0.0  # pixel scale; 0: 2.5 * eps / steps
    random_start: bool = True

    def __post_init__(self) -> None:
        if self.eps:
            check_eps(self.eps, "adversarial.eps")
        if self.steps < 1 or self.step_size < 0:
            raise ConfigError("adversarial.steps must be at least 1 and adversarial.step_size >= 0")


def adversarial_batch(
    classify: Logits,
    x: torch.Tensor,
    y: torch.Tensor,
    config: AdversarialTrainingConfig,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The images a classifier trains on this step: ``x`` itself when adversarial training is
    off, else its PGD examples (found against the classifier as it is now)."""
    if not config.eps:
        return x
    return pgd(
        classify,
        x,
        y,
        config.eps,
        config.steps,
        config.step_size or None,
        config.random_start,
        generator,
    )
