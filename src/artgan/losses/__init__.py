"""Adversarial objectives (pure functions) and regularizers."""

from .adversarial import discriminator_loss, generator_loss
from .objective import ObjectiveConfig

__all__ = ["ObjectiveConfig", "discriminator_loss", "generator_loss"]
