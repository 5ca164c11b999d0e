"""Class conditioning shared by the GAN families.

Labels travel as *soft* one-hot rows (B, K): a hard label is one-hot, and a blend of styles
("monet:0.5,vangogh:0.5") is a mixture; every conditional layer is linear in that row, so a blend
interpolates the classes' embeddings.

- ConditionalBatchNorm2d: batch norm whose scale and shift come from the class (de Vries et al.
  2017; Miyato & Koyama 2018) — the generator's conditioning.
- ProjectionHead: the projection discriminator (Miyato & Koyama 2018,
  "cGANs with Projection Discriminator"): logit = psi(phi(x)) + <embed(y), phi(x)>.
- MultiHead: one real/fake head per class on a shared trunk — the seeds' ArtGAN "several
  discriminators for several styles" (each head judges real vs fake within its style).
- AuxiliaryClassifier: the AC-GAN head (Odena et al. 2017).
- ConditionalHead: the discriminator end the families use, one of the three by name
  (``model.cond_d``); ConditionalSequential passes labels to the conditional layers of a stack.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import spectral


def as_soft_labels(y: torch.Tensor | None, num_classes: int) -> torch.Tensor | None:
    """int labels (B,) or soft rows (B, K) -> float rows (B, K)."""
    if y is None:
        return None
    if y.dim() == 1:
        return F.one_hot(y.long(), num_classes).float()
    return y.float()


class ConditionalBatchNorm2d(nn.Module):
    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.num_classes = num_classes
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gamma = nn.Linear(num_classes, channels, bias=False)
        self.beta = nn.Linear(num_classes, channels, bias=False)
        nn.init.ones_(self.gamma.weight)  # each class starts as the identity transform
        nn.init.zeros_(self.beta.weight)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        y = as_soft_labels(y, self.num_classes)
        gamma = self.gamma(y)[:, :, None, None]  # (B, C, 1, 1)
        beta = self.beta(y)[:, :, None, None]
        return gamma * self.bn(x) + beta


class ProjectionHead(nn.Module):
    def __init__(self, features: int, num_classes: int, sn: bool):
        super().__init__()
        self.num_classes = num_classes
        self.linear = spectral(nn.Linear(features, 1), sn)
        self.embed = spectral(nn.Linear(num_classes, features, bias=False), sn)

    def forward(self, phi: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        y = as_soft_labels(y, self.num_classes)
        return self.linear(phi).view(-1) + (self.embed(y) * phi).sum(dim=1)


class MultiHead(nn.Module):
    def __init__(self, features: int, num_classes: int, sn: bool):
        super().__init__()
        self.num_classes = num_classes
        self.linear = spectral(nn.Linear(features, num_classes), sn)

    def forward(self, phi: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        y = as_soft_labels(y, self.num_classes)
        return (self.linear(phi) * y).sum(dim=1)  # the head(s) of the asked-for style(s)


class AuxiliaryClassifier(nn.Module):
    def __init__(self, features: int, num_classes: int):
        super().__init__()
        self.linear = nn.Linear(features, num_classes)

    def forward(self, phi: torch.Tensor) -> torch.Tensor:
        return self.linear(phi)  # class logits (B, K)


D_CONDITIONING = ("projection", "multihead", "acgan")


class ConditionalHead(nn.Module):
    """The real/fake logit of a conditional discriminator from its feature vector ``phi``:
    projection, one head per class, or (AC-GAN) an unconditional head plus a class classifier
    (``classify``), which the model trains with a cross-entropy term."""

    def __init__(self, features: int, num_classes: int, method: str, sn: bool):
        super().__init__()
        self.method = method
        if method == "projection":
            self.adv: nn.Module = ProjectionHead(features, num_classes, sn)
        elif method == "multihead":
            self.adv = MultiHead(features, num_classes, sn)
        elif method == "acgan":
            self.adv = spectral(nn.Linear(features, 1), sn)
            self.classifier = AuxiliaryClassifier(features, num_classes)
        else:
            raise ValueError(f"unknown conditioning {method!r}; valid: {D_CONDITIONING}")

    def forward(self, phi: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        if self.method == "acgan":
            return self.adv(phi).view(-1)  # (B,)
        if y is None:
            raise ValueError("a class-conditional discriminator needs labels y")
        return self.adv(phi, y)

    def classify(self, phi: torch.Tensor) -> torch.Tensor:
        return self.classifier(phi)  # (B, K) class logits


def takes_label(module: nn.Module) -> bool:
    return isinstance(module, ConditionalBatchNorm2d)


def apply_norm(norm: nn.Module, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    """``norm(x, y)`` for a conditional norm, ``norm(x)`` for any other layer."""
    return norm(x, y) if takes_label(norm) else norm(x)


class ConditionalSequential(nn.Sequential):
    """``nn.Sequential`` whose conditional layers also receive the labels; with no conditional
    layer it is a plain Sequential (same parameter names, so unconditional weights still load)."""

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:  # type: ignore[override]
        for module in self:
            x = apply_norm(module, x, y)
        return x


def reset_conditional_norms(module: nn.Module) -> None:
    """Put every conditional norm back to the identity per class (gamma 1, beta 0); call after
    a family's weight init, which would otherwise draw the embedding weights at random."""
    for m in module.modules():
        if isinstance(m, ConditionalBatchNorm2d):
            nn.init.ones_(m.gamma.weight)
            nn.init.zeros_(m.beta.weight)
