"""Where artgan keeps what it can recompute: cached features, trained evaluation classifiers,
the synthesised spoken-digits set.

``$ARTGAN_CACHE``, else ``$ARTGAN_HOME/cache``, else ``$XDG_CACHE_HOME/artgan``, else
``~/.cache/artgan``. Deleting it loses nothing but time.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    if os.environ.get("ARTGAN_CACHE"):
        return Path(os.environ["ARTGAN_CACHE"]).expanduser()
    if os.environ.get("ARTGAN_HOME"):
        return Path(os.environ["ARTGAN_HOME"]).expanduser() / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "artgan"
