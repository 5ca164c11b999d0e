"""The procedural `art` dataset: deterministic, balanced, five distinct styles."""

import numpy as np
import pytest
import torch

from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.data.art import STYLES, render


def art(size: int = 100, image_size: int | None = 32, **options):
    return load_dataset(DataConfig(source="art", size=size, **options), image_size)


def test_shapes_labels_and_names():
    data = art(size=50)
    assert data.x.shape == (50, 3, 32, 32) and data.x.dtype == torch.uint8
    assert data.class_names == list(STYLES) and len(STYLES) >= 4
    assert {"mondrian", "rothko", "kandinsky", "pollock"} <= set(STYLES)
    assert data.y.tolist() == [i % len(STYLES) for i in range(50)]  # balanced, by index
    assert data.spec.shape == (3, 32, 32) and data.spec.num_classes == len(STYLES)
    assert data.report.count == 50


def test_default_and_limit():
    assert art(size=0, image_size=None, limit=10).x.shape == (10, 3, 64, 64)
    assert len(art(size=20, limit=100)) == 20  # a limit never adds items


def test_deterministic_by_seed_and_split():
    a, b = art(size=20, seed=3), art(size=20, seed=3)
    assert torch.equal(a.x, b.x)
    assert not torch.equal(a.x, art(size=20, seed=4).x)
    test = art(size=20, seed=3, split="test")
    assert all(not torch.equal(a.x[i], test.x[i]) for i in range(20))
    image, label = render(7, 32, seed=3)
    assert np.array_equal(image, a.x[7].permute(1, 2, 0).numpy()) and label == a.y[7]


def test_grey_is_the_luma_of_rgb():
    rgb, grey = art(size=10), art(size=10, color="grey")
    assert grey.x.shape == (10, 1, 32, 32)
    luma = (rgb.x.float() * torch.tensor([0.299, 0.587, 0.114])[:, None, None]).sum(1)
    assert (luma.round() - grey.x[:, 0].float()).abs().max() <= 1


def _features(x: torch.Tensor) -> torch.Tensor:
    """Five simple statistics of each image: edges, near-white, near-black, saturation, spread."""
    x = x.float() / 255
    edges = (x[..., 1:, :] - x[..., :-1, :]).abs().mean((1, 2, 3))
    edges = edges + (x[..., 1:] - x[..., :-1]).abs().mean((1, 2, 3))
    white = (x.min(1).values > 0.85).float().mean((1, 2))
    black = (x.max(1).values < 0.2).float().mean((1, 2))
    saturation = (x.max(1).values - x.min(1).values).mean((1, 2))
    return torch.stack([edges, white, black, saturation, x.std((1, 2, 3))], 1)


@pytest.mark.parametrize("image_size", [32, 64])
def test_styles_are_distinct(image_size):
    """A nearest-centroid rule on five statistics, fitted on one seed, names the style of
    another seed's paintings far above chance (0.2): the styles differ visibly."""
    train, test = art(300, image_size, seed=0), art(300, image_size, seed=1)
    f_train, f_test = _features(train.x), _features(test.x)
    mean, std = f_train.mean(0), f_train.std(0)
    centroids = torch.stack(
        [((f_train - mean) / std)[train.y == c].mean(0) for c in range(len(STYLES))]
    )
    predicted = torch.cdist((f_test - mean) / std, centroids).argmin(1)
    assert (predicted == test.y).float().mean() > 0.8
    by_style = {name: f_train[train.y == c].mean(0) for c, name in enumerate(STYLES)}
    # Rothko's soft fields have the fewest edges; Mondrian's canvas is the most white.
    assert min(by_style, key=lambda s: by_style[s][0]) == "rothko"
    assert by_style["mondrian"][1] > max(by_style[s][1] for s in ("rothko", "kandinsky", "pollock"))


def test_any_size_renders():
    for size in (8, 17, 128):
        image, _ = render(3, size, seed=0)
        assert image.shape == (size, size, 3) and image.dtype == np.uint8
