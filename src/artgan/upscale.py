"""Super-resolution of whole pictures: any size, in overlapping tiles (tiling.py), refusing
outputs larger than a limit before any work."""

from __future__ import annotations

import numpy as np

from .errors import ArtganError
from .models.capabilities import Upscaler
from .tiling import tiled_apply


def upscale_image(
    model: Upscaler, image: np.ndarray, tile: int, overlap: int, max_megapixels: float
) -> np.ndarray:
    """uint8 (H, W, C) -> uint8 (H * scale, W * scale, C), tiled."""
    height, width, channels = image.shape
    scale = model.scale
    megapixels = height * width * scale * scale / 1e6
    if not 0 < max_megapixels < float("inf"):
        raise ArtganError(f"--max-megapixels must be a number above 0, got {max_megapixels:g}")
    if megapixels > max_megapixels:
        raise ArtganError(
            f"a {width}x{height} image enlarged {scale}x is {megapixels:.3g} megapixels, more than "
            f"--max-megapixels {max_megapixels:g}; pass a larger limit or a smaller image"
        )
    if channels != model.config.channels:
        raise ArtganError(
            f"the image has {channels} channel(s) but the model works on {model.config.channels}"
        )
    return tiled_apply(lambda x: model.G(x.to(model.device)), image, scale, tile, overlap)
