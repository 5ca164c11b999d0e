"""Latent-space exploration of GAN generators: discovered directions (SeFa, label-derived),
inversion of real images by optimisation, and editing along a direction."""

from .directions import label_directions, sefa_directions
from .inversion import Inversion, invert, load_latent, save_latent

__all__ = [
    "Inversion",
    "invert",
    "label_directions",
    "load_latent",
    "save_latent",
    "sefa_directions",
]
