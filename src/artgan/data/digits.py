"""scikit-learn's bundled handwritten digits: 1,797 grey 8x8 images, 10 classes (no download).

The test split is every fifth image (stable, about 20 %); train is the rest.
"""

from __future__ import annotations

import numpy as np
import torch

from ..config import DataConfig
from ..registry import DATASETS
from .dataset import DataReport, InMemoryDataset, resize_images


def grey_to_color(x: torch.Tensor, color: str) -> torch.Tensor:
    return x.expand(-1, 3, -1, -1).contiguous() if color == "rgb" else x


@DATASETS.register("digits")
def load_digits(config: DataConfig, image_size: int | None = None) -> InMemoryDataset:
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = np.asarray(bunch.images)  # (N, 8, 8) values 0..16
    labels = np.asarray(bunch.target)
    test = np.arange(len(images)) % 5 == 0
    keep = test if config.split == "test" else ~test
    images, labels = images[keep], labels[keep]
    if config.limit:
        images, labels = images[: config.limit], labels[: config.limit]
    x = torch.from_numpy(np.round(images * (255.0 / 16.0)).astype(np.uint8))[:, None]  # (N,1,8,8)
    x = resize_images(x, image_size or 8)
    x = grey_to_color(x, config.color)
    report = DataReport(name="digits", count=len(x))
    return InMemoryDataset(
        x, torch.from_numpy(labels).long(), [str(i) for i in range(10)], report, flip=False
    )
