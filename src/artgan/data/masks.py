"""Hole masks for inpainting: random boxes, free-form strokes, and mask files.

A mask is 1 where pixels are missing (the hole) and 0 where they are kept. Training draws a new
mask per image: rectangles as in context encoders (Pathak et al. 2016), or free-form brush
strokes as in DeepFill v2 (Yu et al. 2019, "Free-Form Image Inpainting with Gated Convolution",
Algorithm 1: a random walk of line segments of random width, joined by round caps), or LaMa's
large masks (Suvorov et al. 2022, "Resolution-robust Large Mask Inpainting with Fourier
Convolutions", section 3.3): thick strokes or several large boxes, holes far wider than the
other two kinds, so that a model learns to fill what its receptive field must reach across.
In a mask file white (> 127 after conversion to grey) is the hole.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from ..errors import ConfigError, DataError
from .image_file import read_image

MASK_KINDS = ("box", "stroke", "wide")


def box_mask(
    height: int, width: int, rng: np.random.Generator, min_frac: float = 0.2, max_frac: float = 0.5
) -> np.ndarray:
    """One rectangle whose sides are ``min_frac``..``max_frac`` of the image's: (H, W) bool."""
    h = max(1, round(height * rng.uniform(min_frac, max_frac)))
    w = max(1, round(width * rng.uniform(min_frac, max_frac)))
    top = int(rng.integers(0, height - h + 1))
    left = int(rng.integers(0, width - w + 1))
    mask = np.zeros((height, width), dtype=bool)
    mask[top : top + h, left : left + w] = True
    return mask


def stroke_mask(
    height: int,
    width: int,
    rng: np.random.Generator,
    max_strokes: int = 4,
    max_vertices: int = 8,
    max_width_frac: float = 0.12,
    min_width_frac: float = 0.04,
) -> np.ndarray:
    """Free-form brush strokes (DeepFill v2's random walk): (H, W) bool."""
    side = min(height, width)
    image = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(1, max_strokes + 1))):
        x, y = float(rng.uniform(0, width)), float(rng.uniform(0, height))
        brush = max(2, round(side * rng.uniform(min_width_frac, max_width_frac)))
        angle = rng.uniform(0, 2 * math.pi)
        for _ in range(int(rng.integers(2, max_vertices + 1))):
            angle += rng.uniform(-math.pi / 2, math.pi / 2)
            length = side * rng.uniform(0.1, 0.35)
            nx = float(np.clip(x + length * math.cos(angle), 0, width - 1))
            ny = float(np.clip(y + length * math.sin(angle), 0, height - 1))
            draw.line((x, y, nx, ny), fill=255, width=brush)
            r = brush / 2
            draw.ellipse((nx - r, ny - r, nx + r, ny + r), fill=255)  # a round joint
            x, y = nx, ny
    return np.asarray(image) > 127


def wide_mask(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """LaMa's wide masks (its "thick" strokes and boxes, scaled from 256 px): half of them
    1-4 strokes with a brush of 10-30 % of the side, half of them 1-3 boxes with sides
    20-60 %: (H, W) bool, typically a quarter to a half of the image."""
    if rng.uniform() < 0.5:
        return stroke_mask(
            height,
            width,
            rng,
            max_strokes=4,
            max_vertices=5,
            max_width_frac=0.3,
            min_width_frac=0.1,
        )
    mask = np.zeros((height, width), dtype=bool)
    for _ in range(int(rng.integers(1, 4))):
        mask |= box_mask(height, width, rng, min_frac=0.2, max_frac=0.6)
    return mask


MASK_DRAWERS = {"box": box_mask, "stroke": stroke_mask, "wide": wide_mask}


def random_masks(
    n: int, size: int, rng: np.random.Generator, kinds: tuple[str, ...] = ("box", "stroke")
) -> torch.Tensor:
    """``n`` masks, each of a kind drawn from ``kinds``: float (n, 1, size, size) of 0/1."""
    for kind in kinds:
        if kind not in MASK_KINDS:
            raise ConfigError(f"unknown mask kind {kind!r}; valid: {', '.join(MASK_KINDS)}")
    out = np.zeros((n, 1, size, size), dtype=np.float32)  # (N, 1, H, W)
    for i in range(n):
        kind = kinds[int(rng.integers(0, len(kinds)))]
        out[i, 0] = MASK_DRAWERS[kind](size, size, rng)
    return torch.from_numpy(out)


def load_mask(path: str | Path, height: int, width: int) -> np.ndarray:
    """A mask file (white = hole) as (H, W) bool; it must have the image's size."""
    array = read_image(path, color="grey", what="mask")[:, :, 0]
    if array.shape != (height, width):
        raise DataError(
            f"the mask {Path(path).name} is {array.shape[1]}x{array.shape[0]} but the image is "
            f"{width}x{height}; make a mask of the same size (white = the hole to fill)"
        )
    mask = array > 127
    if not mask.any():
        raise DataError(
            f"the mask {Path(path).name} has no white pixels, so there is nothing to fill "
            "(white = the hole)"
        )
    return mask
