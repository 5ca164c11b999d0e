"""DANN: domain-adversarial training (Ganin, Ustinova, Ajakan, Germain, Larochelle, Laviolette,
Marchand & Lempitsky, JMLR 2016, "Domain-Adversarial Training of Neural Networks").

The classifier of models/classifier.py (a shared feature extractor and a label predictor) gains
a domain classifier (dense 100, ReLU, dense 1: the paper's MNIST one) that tells source features
from target features, behind a gradient reversal layer: the identity going forward, and the
gradient times -lambda going back. One loss is minimized,

    L = CE(label_head(f(x_s)), y_s) + BCE(domain_head(GRL(f(x_s), f(x_t))), [0 ... 1 ...])

so the domain classifier learns to tell the domains apart while the feature extractor learns
features it cannot tell apart, and that still predict the source labels. The target images are
unlabelled. lambda follows the paper's schedule 2 / (1 + exp(-gamma p)) - 1 with gamma = 10,
where p rises from 0 to 1 over the run (``ramp_steps``; 0: the run's train.steps), so the
domain signal is off while the features are still noise.

Data: labelled source images in ``data.source`` and unlabelled target images in
``data.source_b`` (``data.pairing unpaired``: each source item beside a random target image;
``artgan adapt --method dann`` sets it up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError
from ..registry import MODELS
from .base import Batch, Phase
from .classifier import ClassifierConfig, CNNClassifier


class GradientReversal(torch.autograd.Function):
    """Identity forward; the incoming gradient times ``-scale`` backward (Ganin et al. Eq. 13)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad.neg() * ctx.scale, None


def reverse_gradient(x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    return GradientReversal.apply(x, scale)


def lambda_schedule(progress: float, gamma: float = 10.0) -> float:
    """The paper's adaptation factor 2 / (1 + exp(-gamma p)) - 1, for p in [0, 1]."""
    p = min(1.0, max(0.0, progress))
    return 2.0 / (1.0 + math.exp(-gamma * p)) - 1.0


@dataclass
class DANNConfig(ClassifierConfig):
    name: ClassVar[str] = "dann"
    domain_hidden: int = 100  # the domain classifier's dense layer
    gamma: float = 10.0  # steepness of the lambda schedule (the paper's 10)
    max_lambda: float = 1.0  # lambda's final value (the schedule's scale)
    ramp_steps: int = 0  # lambda rises over this many steps (0: the run's train.steps)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.domain_hidden < 1 or self.ramp_steps < 0:
            raise ConfigError("model.domain_hidden must be >= 1 and model.ramp_steps >= 0")
        if self.gamma <= 0 or self.max_lambda < 0:
            raise ConfigError("model.gamma must be positive and model.max_lambda >= 0")
        if self.translator:
            raise ConfigError("dann adapts features; model.translator is for --method pixel")
        if self.adversarial.eps:
            raise ConfigError(
                "model.adversarial (PGD adversarial training) is an option of --model classifier"
            )


@MODELS.register("dann")
class DANN(CNNClassifier):
    name = "dann"
    config_class = DANNConfig

    def __init__(self, config: DANNConfig) -> None:
        super().__init__(config)
        self.domain_head = nn.Sequential(
            nn.Linear(self.features.dim, config.domain_hidden),
            nn.ReLU(),
            nn.Linear(config.domain_hidden, 1),
        )
        self.ramp_steps = config.ramp_steps or 1  # the run's train.steps, from phases()

    def phases(self, train) -> list[Phase]:
        self.ramp_steps = self.config.ramp_steps or train.steps
        modules = ["features", "label_head", "domain_head"]
        return [Phase("C", modules, train.lr_g, (train.beta1, train.beta2))]

    def adaptation_factor(self, step: int) -> float:
        c = self.config
        return c.max_lambda * lambda_schedule(step / self.ramp_steps, c.gamma)

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        source, labels = self.labelled(batch)
        if batch.x_b is None:
            raise ConfigError(
                "dann needs unlabelled target images beside the labelled source: "
                "artgan adapt --source SOURCE --target FOLDER --method dann"
            )
        n = len(source)
        features = self.features(torch.cat([source, batch.x_b]))  # (2B, F): source, target
        logits = self.label_head(features[:n])
        label_loss = F.cross_entropy(logits.float(), labels)
        factor = self.adaptation_factor(step)
        domain_logits = self.domain_head(reverse_gradient(features, factor)).view(-1)  # (2B,)
        domain = torch.cat([torch.zeros(n), torch.ones(len(batch.x_b))]).to(features.device)
        domain_loss = F.binary_cross_entropy_with_logits(domain_logits.float(), domain)
        domain_accuracy = ((domain_logits > 0).float() == domain).float().mean()
        return {
            "loss": label_loss + domain_loss,
            "label_loss": label_loss.detach(),
            "domain_loss": domain_loss.detach(),
            "domain_accuracy": domain_accuracy.detach(),
            "train_accuracy": (logits.argmax(1) == labels).float().mean().detach(),
            "lambda": torch.tensor(factor),
        }
