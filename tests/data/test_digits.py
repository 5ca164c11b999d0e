"""scikit-learn's bundled digits: split sizes, pixel range, resizing and colour."""

import torch

from artgan.config import DataConfig
from artgan.data import load_dataset


def test_train_and_test_splits():
    train = load_dataset(DataConfig(source="digits"))
    test = load_dataset(DataConfig(source="digits", split="test"))
    assert len(train) + len(test) == 1797 and len(test) == 360  # every fifth image
    assert train.x.shape[1:] == (1, 8, 8) and train.x.dtype == torch.uint8
    assert train.x.max() == 255 and train.x.min() == 0  # 0..16 scaled to the full range
    assert train.class_names == [str(i) for i in range(10)]
    assert torch.bincount(train.y, minlength=10).min() > 130


def test_resize_colour_and_limit():
    data = load_dataset(DataConfig(source="digits", color="rgb", limit=10), 16)
    assert data.x.shape == (10, 3, 16, 16)
    assert torch.equal(data.x[:, 0], data.x[:, 2])  # grey copied into three channels
