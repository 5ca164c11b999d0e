"""Fashion-MNIST-M (the MNIST-M recipe on Fashion-MNIST): the |patch - garment| blend with a
known answer, determinism by seed, range, labels, and independence from data.limit."""

import numpy as np
import pytest
import torch

from artgan.config import DataConfig
from artgan.data import fashion_mnist, fashion_mnist_m, load_dataset
from tests.data.test_fashion_mnist import write_idx


@pytest.fixture
def idx_folder(tmp_path, monkeypatch):
    """Train: 12 garments 28x28 (image i has pixels 20 * i); test: 4."""
    train = np.stack([np.full((28, 28), 20 * i) for i in range(12)])
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", train)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(12) % 10)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", train[:4])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([3, 1, 4, 1]))
    monkeypatch.setenv(fashion_mnist.ENV_VAR, str(tmp_path))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "absent")
    return tmp_path


def load(image_size=None, **options):
    return load_dataset(DataConfig(source="fashion-mnist-m", **options), image_size)


def test_blend_is_the_absolute_difference_with_a_photo_patch():
    photo = fashion_mnist_m.photos()[0]
    garments = np.stack([np.zeros((4, 4)), np.full((4, 4), 255), np.full((4, 4), 100)])
    garments = garments.astype(np.uint8)
    draws = {
        "photo": np.zeros(3, dtype=np.int64),
        "top": np.zeros(3),
        "left": np.zeros(3),
        "mirror": np.array([False, False, True]),
    }
    out = fashion_mnist_m.blend(garments, draws)
    patch = photo[:4, :4].astype(np.int16)
    assert out.shape == (3, 4, 4, 3) and out.dtype == np.uint8
    assert np.array_equal(out[0], patch)  # a black background leaves the photo as it is
    assert np.array_equal(out[1], 255 - patch)  # a white garment inverts it
    assert np.array_equal(out[2], np.abs(patch[:, ::-1] - 100))  # mirrored patch


def test_deterministic_by_seed_in_range_with_fashion_mnist_labels(idx_folder):
    a, b = load(), load()
    assert a.x.shape == (12, 3, 28, 28) and a.x.dtype == torch.uint8
    assert torch.equal(a.x, b.x)
    assert a.y.tolist() == (torch.arange(12) % 10).tolist()
    assert a.class_names == fashion_mnist.CLASS_NAMES
    assert a.x.float().std() > 10  # colour photos, not flat garments
    assert not torch.equal(load(seed=1).x, a.x)
    test = load(split="test")
    assert test.y.tolist() == [3, 1, 4, 1]
    assert not torch.equal(test.x, a.x[:4])  # another stream of patches


def test_an_image_does_not_depend_on_the_limit_and_resizes(idx_folder):
    whole = load()
    assert torch.equal(load(limit=5).x, whole.x[:5])
    assert load(16, limit=2).x.shape == (2, 3, 16, 16)
    assert load(color="grey", limit=2).x.shape == (2, 1, 28, 28)
