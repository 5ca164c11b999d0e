"""Translate an image of any size with a trained image-to-image run (cyclegan, pix2pix): what
the ``artgan stylize`` command and ``artgan create --stylize`` run. (Neural style transfer from
one style image, Gatys et al., is artgan.style_transfer.)

The generators are fully convolutional but need sides that are a multiple of their stride
(4 for CycleGAN's ResNet generator, 2^depth for pix2pix's U-Net): each piece is padded up to the
multiple (mirrored where the image is large enough, else its edge repeated) and the result
cropped back, so the output has exactly the input's size. Images larger than ``tile`` are
processed in overlapping tiles with feathered seams (artgan.tiling), so memory stays bounded.
Instance normalisation makes a tile's output depend a little on the tile's own statistics; large
tiles (the default 1024 px) keep that effect away from all but very large images.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from .errors import ArtganError
from .models import families_with
from .models.capabilities import Translator
from .models.cyclegan import check_direction
from .tiling import tiled_apply
from .training.checkpoint import load_model

DEFAULT_TILE = 1024
DEFAULT_OVERLAP = 64
DEFAULT_MAX_MEGAPIXELS = 100.0


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad (B, C, H, W) at the bottom and right up to multiples of ``multiple``: mirrored when
    the image is larger than the padding, else by repeating the edge."""
    h, w = x.shape[-2:]
    pad = (0, -w % multiple, 0, -h % multiple)  # (left, right, top, bottom)
    if not any(pad):
        return x
    mode = "reflect" if pad[1] < w and pad[3] < h else "replicate"
    return F.pad(x, pad, mode=mode)


def translate_any_size(model, x: torch.Tensor, direction: str = "a2b") -> torch.Tensor:
    """``model.translate`` on (B, C, H, W) of any H, W: padded, translated, cropped back."""
    h, w = x.shape[-2:]
    out = model.translate(pad_to_multiple(x, model.input_multiple), direction)
    return out[..., :h, :w]


def check_translator(model, source: str = "the run") -> None:
    if not isinstance(model, Translator):
        raise ArtganError(
            f"{source} holds {model.name} weights; restyling needs an image-to-image run "
            f"({' or '.join(families_with(Translator))}: artgan train --model cyclegan --data-a "
            "./photos --data-b ./paintings)"
        )


def check_direction_of(model, direction: str) -> None:
    """An error unless the translator ``model`` does ``direction`` (a2b, or b2a for cyclegan)."""
    check_direction(direction)
    if direction not in model.directions:
        raise ArtganError(
            f"a {model.name} run translates {' and '.join(model.directions)} only, not "
            f"{direction}; for B -> A train a run on the swapped pairs"
        )


def match_channels(image: np.ndarray, channels: int) -> np.ndarray:
    """Grey <-> RGB (ITU-R 601 luma) so that an image fits the model's input."""
    if image.shape[2] == channels:
        return image
    if channels == 3:
        return np.repeat(image, 3, axis=2)
    luma = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.clip(np.rint(luma), 0, 255).astype(np.uint8)[:, :, None]  # (H, W, 1)


def translate_array(
    model,
    image: np.ndarray,
    direction: str = "a2b",
    tile: int = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS,
) -> np.ndarray:
    """uint8 (H, W, C) -> uint8 (H, W, C') restyled, C' the model's channels."""
    check_translator(model)
    height, width = image.shape[:2]
    if not 0 < max_megapixels < float("inf"):
        raise ArtganError(f"--max-megapixels must be a number above 0, got {max_megapixels:g}")
    if height * width / 1e6 > max_megapixels:
        raise ArtganError(
            f"a {width}x{height} image is {height * width / 1e6:.3g} megapixels, more than "
            f"--max-megapixels {max_megapixels:g}; pass a larger limit or a smaller image"
        )
    if tile < 16 or overlap < 0 or 2 * overlap >= tile:
        raise ArtganError(
            f"--tile must be at least 16 and more than twice --overlap (got {tile} and {overlap})"
        )
    image = match_channels(image, model.config.channels)
    return tiled_apply(lambda x: translate_any_size(model, x, direction), image, 1, tile, overlap)


def load_translator(
    path: str,
    direction: str = "a2b",
    device: str = "cpu",
    tile: int = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
    allow_nonfinite: bool = False,
) -> tuple[Callable[[np.ndarray], np.ndarray], object]:
    """A function restyling one uint8 (H, W, C) image with the run at ``path``, and the model.
    A run of another kind, or a direction the run cannot do, is a clear error."""
    model = load_model(path, device=device, allow_nonfinite=allow_nonfinite)
    check_translator(model, str(path))
    check_direction_of(model, direction)

    def restyle(image: np.ndarray) -> np.ndarray:
        return translate_array(model, image, direction, tile, overlap)

    return restyle, model
