"""`fashion-mnist-m`: Fashion-MNIST on colour photographs, made offline, following the MNIST-M
recipe of Ganin & Lempitsky (ICML 2015, "Unsupervised Domain Adaptation by Backpropagation",
Sec. 5): each image is blended with a patch of the same size cut at a random place from a
random colour photo, as the absolute difference |patch - image| per channel. A garment's light
pixels invert the photo under them; its dark background leaves the photo as it is.

Labels, splits and sizes are Fashion-MNIST's (train 60,000, test 10,000; data/fashion_mnist.py).
The photos are scikit-image's bundled colour pictures (skimage.data; nothing is downloaded)
where MNIST-M used BSDS500's, each at full and half size for coarser textures, and the patches
may be mirrored. Unlike the common MNIST-M script, garments are not binarised first: their grey
shading carries the class (a shirt's buttons, a sandal's straps). Patch ``i`` of a split is drawn
from a stream seeded by (``data.seed``, split), for every item at once, so image ``i`` is the
same whatever ``data.limit`` keeps and on every machine.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
import torch
from PIL import Image

from ..config import DataConfig
from ..registry import DATASETS
from .dataset import DataReport, InMemoryDataset, resize_images
from .fashion_mnist import load_fashion_mnist

# scikit-image's colour photographs that ship inside the package (no pooch download); the
# astronomy and retina images are left out: mostly black, they would leave garments unchanged.
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry")
SPLIT_STREAM = {"train": 0, "test": 1}


@lru_cache(maxsize=1)
def photos() -> tuple[np.ndarray, ...]:
    """The background photos, (H, W, 3) uint8 each: every photo at full and half size."""
    import skimage.data

    full = [np.asarray(getattr(skimage.data, name)())[..., :3] for name in PHOTOS]
    full += list(skimage.data.stereo_motorcycle()[:2])  # left and right views
    half = [
        np.asarray(Image.fromarray(p).reduce(2)) for p in full
    ]  # box-filtered: coarser textures in a patch
    return tuple(np.ascontiguousarray(p, dtype=np.uint8) for p in full + half)


def patch_draws(n: int, seed: int, split: str) -> dict[str, np.ndarray]:
    """For each of ``n`` items: the photo, the patch's corner as fractions of the free range,
    and whether it is mirrored; one seeded stream per (seed, split)."""
    rng = np.random.default_rng([seed, SPLIT_STREAM[split]])
    return {
        "photo": rng.integers(0, len(photos()), n),
        "top": rng.random(n),
        "left": rng.random(n),
        "mirror": rng.random(n) < 0.5,
    }


def blend(garments: np.ndarray, draws: dict[str, np.ndarray]) -> np.ndarray:
    """|patch - garment|: grey (N, S, S) uint8 garments and their draws -> (N, S, S, 3) uint8."""
    n, side = garments.shape[0], garments.shape[-1]
    out = np.empty((n, side, side, 3), dtype=np.uint8)
    offsets = np.arange(side)
    for k, photo in enumerate(photos()):
        items = np.flatnonzero(draws["photo"][:n] == k)
        if not len(items):
            continue
        top = (draws["top"][items] * (photo.shape[0] - side + 1)).astype(np.int64)
        left = (draws["left"][items] * (photo.shape[1] - side + 1)).astype(np.int64)
        rows = top[:, None] + offsets  # (m, S)
        cols = left[:, None] + offsets
        cols = np.where(draws["mirror"][items, None], cols[:, ::-1], cols)
        patches = photo[rows[:, :, None], cols[:, None, :]].astype(np.int16)  # (m, S, S, 3)
        out[items] = np.abs(patches - garments[items, :, :, None]).astype(np.uint8)
    return out


@DATASETS.register("fashion-mnist-m")
def load_fashion_mnist_m(config: DataConfig, image_size: int | None = None) -> InMemoryDataset:
    split = "test" if config.split == "test" else "train"
    source = load_fashion_mnist(dataclasses.replace(config, limit=0, color="grey", flip=False))
    draws = patch_draws(len(source), config.seed, split)
    count = min(config.limit, len(source)) if config.limit else len(source)
    garments = source.x[:count, 0].numpy()  # (N, 28, 28)
    x = torch.from_numpy(blend(garments, draws)).permute(0, 3, 1, 2).contiguous()  # (N,3,S,S)
    if config.color == "grey":  # ITU-R 601 luma, as Pillow's convert("L")
        luma = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        x = (x.float() * luma).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)
    x = resize_images(x, image_size or 28)
    report = DataReport(name=f"fashion-mnist-m ({split})", count=len(x))
    return InMemoryDataset(x, source.y[:count], source.class_names, report, flip=config.flip)
