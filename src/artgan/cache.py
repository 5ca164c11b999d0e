"""Where artgan keeps what it can recompute: cached features, trained evaluation classifiers,
the synthesised spoken-digits set.

``$ARTGAN_CACHE``, else ``$ARTGAN_HOME/cache``, else ``$XDG_CACHE_HOME/artgan``, else
``~/.cache/artgan``. Deleting it loses nothing but time.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file (weights, cached data), read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_root() -> Path:
    if os.environ.get("ARTGAN_CACHE"):
        return Path(os.environ["ARTGAN_CACHE"]).expanduser()
    if os.environ.get("ARTGAN_HOME"):
        return Path(os.environ["ARTGAN_HOME"]).expanduser() / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "artgan"
