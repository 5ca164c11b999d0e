"""Inputs for image-to-image models that are sampled without a user's image.

Super-resolution and inpainting models, which transform an image rather than draw one from
noise, sample on procedural paintings (data/art.py) drawn from the seed when no input is given.
(Translators take the images they are given: ``Translator.require_images``.)
"""

from __future__ import annotations

import numpy as np
import torch

from ..data.art import render

ART_SAMPLE_SPLIT = 2  # a stream of paintings used by neither the train nor the test split


def art_images(n: int, size: int, channels: int, seed: int | None) -> torch.Tensor:
    """``n`` procedural paintings from ``seed``: (n, C, size, size) in [-1, 1]."""
    seed = int(np.random.SeedSequence().entropy % 2**31) if seed is None else int(seed)
    images = np.stack([render(i, size, seed, ART_SAMPLE_SPLIT)[0] for i in range(n)])
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1)  # (n, 3, H, W)
    if channels == 1:
        luma = torch.tensor([0.299, 0.587, 0.114])[None, :, None, None]  # ITU-R 601
        x = (x * luma).sum(1, keepdim=True)  # (n, 1, H, W)
    return x
