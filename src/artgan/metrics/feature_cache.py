"""Features cached on disk by content, so a reference dataset is embedded once per extractor.

The key is the sha256 of the images' dtype, shape and bytes, the extractor's name and its
``version`` (which changes with its weights or preprocessing). Files are safetensors, written
atomically; a cache file that cannot be read is recomputed and replaced.

Cached files (features, trained classifiers) live under :func:`cache_root`.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ..cache import cache_root
from ..errors import DataError
from .extractors.base import FeatureExtractor

CACHE_FORMAT = "1"  # bump if the key or the file layout changes


def safe_name(name: str) -> str:
    """``name`` usable in a file name on any system (e.g. ``classifier:./my data`` ->
    ``classifier-my-data``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "features"


def content_key(images: torch.Tensor, extractor: FeatureExtractor) -> str:
    """Hex sha256 naming the features of ``images`` under ``extractor``."""
    if not isinstance(images, torch.Tensor):
        raise DataError(f"images must be a torch tensor, got {type(images).__name__}")
    digest = hashlib.sha256()
    header = f"{CACHE_FORMAT}|{extractor.name}|{extractor.version}|{images.dtype}|"
    digest.update((header + ",".join(map(str, images.shape)) + "|").encode())
    # The raw bytes of any dtype, hashed without a further copy (the tensor may be large).
    raw = images.detach().cpu().contiguous().reshape(-1).view(torch.uint8)
    digest.update(memoryview(raw.numpy()))
    return digest.hexdigest()


def cached_features(
    extractor: FeatureExtractor, images: torch.Tensor, cache_dir: str | os.PathLike | None = None
) -> torch.Tensor:
    """``extractor(images)``, read from ``cache_dir`` when these exact images were embedded
    before by the same extractor version; (N, dim) float32. uint8 images are the natural key
    (what is stored on disk); float images work too but any change of a bit is a new entry.
    ``cache_dir`` defaults to ``cache_root()/features``."""
    key = content_key(images, extractor)
    folder = Path(cache_dir) if cache_dir is not None else cache_root() / "features"
    path = folder / f"{safe_name(extractor.name)}-{key[:32]}.safetensors"
    if path.is_file():
        try:
            features = load_file(path)["features"]
            if features.shape == (len(images), extractor.dim):
                return features
        except (SafetensorError, OSError, KeyError):
            pass  # unreadable or foreign file: recompute and overwrite below
    features = extractor(images)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {
        "extractor": extractor.name,
        "version": extractor.version,
        "key": key,
        "count": str(len(images)),
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        save_file({"features": features.contiguous()}, tmp, metadata=metadata)
        os.replace(tmp, path)  # atomic: readers never see a half-written file
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return features
