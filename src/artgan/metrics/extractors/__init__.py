"""Feature extractors registered by name in ``artgan.registry.FEATURES``."""

from . import classifier, efficientnet_lite, inception
from .base import FeatureExtractor, as_rgb_pm1, get_extractor

__all__ = [
    "FeatureExtractor",
    "as_rgb_pm1",
    "classifier",
    "efficientnet_lite",
    "get_extractor",
    "inception",
]
