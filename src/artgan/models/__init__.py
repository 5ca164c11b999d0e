"""Model families. Each file registers itself; they are imported here by hand (no scanning)."""

from ..registry import MODELS
from . import (  # noqa: F401  (registration)
    advgan,
    charrnn,
    classifier,
    cyclegan,
    dann,
    dcgan,
    fastgan,
    inpaint,
    lama,
    mlp,
    pix2pix,
    resnet,
    segan,
    super_resolution,
    vae,
    vaegan,
    voxelgan,
    wavegan,
)
from .base import Batch, DataSpec, GenerativeModel, Phase


def model_class(name: str) -> type[GenerativeModel]:
    return MODELS.get(name)


def model_config_class(name: str) -> type:
    return model_class(name).config_class


def build_model(config) -> GenerativeModel:
    return model_class(config.name)(config)


def families_with(capability: type) -> list[str]:
    """The registered families that declare ``capability`` (e.g. ``Upscaler``), for messages
    that tell a user which runs can do a task."""
    return [name for name in MODELS.names() if issubclass(MODELS.get(name), capability)]


__all__ = [
    "Batch",
    "DataSpec",
    "GenerativeModel",
    "Phase",
    "build_model",
    "families_with",
    "model_class",
    "model_config_class",
]
