"""Evaluation: metric maths over feature arrays, streaming accumulators, and feature extractors
registered by name (``artgan.registry.FEATURES``). Every reported number should name the
extractor (``name`` and ``version``) and the sample counts it came from."""

from .accumulators import FeatureBank, GaussianStats
from .extractors import FeatureExtractor, get_extractor
from .feature_cache import cached_features
from .functional import (
    DensityCoverage,
    MeanStd,
    PrecisionRecall,
    density_coverage,
    fid_from_features,
    frechet_distance,
    gaussian_stats,
    inception_score,
    kid,
    precision_recall,
)
from .memorization import calibrate_threshold, near_copy_rate, nearest_neighbours

__all__ = [
    "DensityCoverage",
    "FeatureBank",
    "FeatureExtractor",
    "GaussianStats",
    "MeanStd",
    "PrecisionRecall",
    "cached_features",
    "calibrate_threshold",
    "density_coverage",
    "fid_from_features",
    "frechet_distance",
    "gaussian_stats",
    "get_extractor",
    "inception_score",
    "kid",
    "near_copy_rate",
    "nearest_neighbours",
    "precision_recall",
]
