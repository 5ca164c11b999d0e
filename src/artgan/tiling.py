"""Apply a fully convolutional image-to-image network to an image of any size in tiles, with
bounded memory and no visible seams.

The input is cut into ``tile`` x ``tile`` tiles that overlap by ``overlap`` pixels (the last
tile of a row or column is moved back to end at the border, so every tile is whole and any image
size works; an image smaller than a tile is one tile). Each output tile is weighted by a
feathered window: 1 inside, a linear ramp across the overlap with its outer third at 0 (where
the network saw the tile's zero padding instead of the real neighbours), and 1 up to the image's
own border. Overlapping tiles are blended by the normalised weighted sum, so the result equals
the untiled output wherever the network's receptive field fits inside the blended margin.

Memory: the float32 accumulator of the output and its weight sum (16 bytes per output pixel with
three channels; 256 MB for 4000 x 4000) plus one tile's activations. The final conversion to
uint8 runs in row bands.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .errors import ConfigError

BAND_ROWS = 256  # rows normalised and converted to uint8 at a time


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles covering ``length`` pixels (the last one ends at the border)."""
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)
    return starts


def ramp(length: int, margin: int, before: bool, after: bool) -> np.ndarray:
    """1-D feather window of ``length`` output pixels: ramps over ``margin`` pixels at the
    sides that have a neighbour tile (``before`` / ``after``), with their outer third at 0."""
    w = np.ones(length, dtype=np.float32)
    if margin <= 0:
        return w
    dead = margin // 3
    positions = np.arange(margin, dtype=np.float32)
    rising = np.clip((positions - dead + 0.5) / max(1, margin - 2 * dead), 0.0, 1.0)
    if before:
        w[:margin] = np.minimum(w[:margin], rising)
    if after:
        w[length - margin :] = np.minimum(w[length - margin :], rising[::-1])
    return w


def tiled_apply(
    fn: Callable[[torch.Tensor], torch.Tensor],
    image: np.ndarray,
    scale: int = 1,
    tile: int = 128,
    overlap: int = 16,
) -> np.ndarray:
    """``fn`` maps (1, C, h, w) in [-1, 1] to (1, C', h * scale, w * scale); ``image`` is uint8
    (H, W, C). Returns uint8 (H * scale, W * scale, C')."""
    if tile < 1 or overlap < 0 or overlap * 2 >= tile:
        raise ConfigError(f"the tile ({tile}) must be more than twice the overlap ({overlap})")
    height, width, _ = image.shape
    acc: np.ndarray | None = None
    weight_sum = np.zeros((height * scale, width * scale), dtype=np.float32)
    ys, xs = tile_starts(height, tile, overlap), tile_starts(width, tile, overlap)
    for y in ys:
        for x in xs:
            patch = image[y : y + tile, x : x + tile]  # (h, w, C) uint8
            t = torch.from_numpy(np.ascontiguousarray(patch)).permute(2, 0, 1)[None]
            with torch.no_grad():
                out = fn(t.float().div_(127.5).sub_(1.0))  # (1, C', h * s, w * s)
            out = out[0].float().cpu().clamp_(-1, 1).permute(1, 2, 0).numpy()  # (h*s, w*s, C')
            if acc is None:
                acc = np.zeros((height * scale, width * scale, out.shape[2]), dtype=np.float32)
            oh, ow = out.shape[:2]
            margin = overlap * scale
            wy = ramp(oh, margin, y > 0, y + patch.shape[0] < height)
            wx = ramp(ow, margin, x > 0, x + patch.shape[1] < width)
            weights = wy[:, None] * wx[None, :]  # (h*s, w*s)
            top, left = y * scale, x * scale
            acc[top : top + oh, left : left + ow] += out * weights[:, :, None]
            weight_sum[top : top + oh, left : left + ow] += weights
    assert acc is not None
    result = np.empty(acc.shape, dtype=np.uint8)
    for r in range(0, acc.shape[0], BAND_ROWS):  # normalise in bands: no full-size temporaries
        band = acc[r : r + BAND_ROWS] / np.maximum(weight_sum[r : r + BAND_ROWS, :, None], 1e-8)
        band += 1.0
        band *= 127.5
        np.rint(band, out=band)
        result[r : r + BAND_ROWS] = np.clip(band, 0, 255, out=band)
    return result
