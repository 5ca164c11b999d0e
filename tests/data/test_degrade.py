"""The bicubic degradation of super-resolution training (data/degrade.py)."""

import numpy as np
import pytest
import torch
from PIL import Image

from artgan.data.degrade import bicubic_downscale, bicubic_upscale, quantize, training_pair
from artgan.errors import ConfigError


def smooth_image(size: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.cumsum(np.cumsum(rng.normal(size=(size, size, 3)), 0), 1)
    return ((x - x.min()) / (x.max() - x.min()) * 255).astype(np.uint8)


def as_tensor(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(image).permute(2, 0, 1)[None].float() / 127.5 - 1


def test_downscale_matches_pillows_bicubic_within_one_level():
    image = smooth_image()
    pil = np.asarray(Image.fromarray(image).resize((16, 16), Image.Resampling.BICUBIC))
    ours = ((bicubic_downscale(as_tensor(image), 4)[0].permute(1, 2, 0) + 1) * 127.5).round()
    assert np.abs(ours.numpy() - pil.astype(float)).max() <= 1


def test_downscale_is_quantized_to_8_bits_and_in_range():
    lr = bicubic_downscale(torch.rand(2, 3, 32, 32) * 2 - 1, 2)
    assert lr.shape == (2, 3, 16, 16)
    levels = (lr + 1) * 127.5
    assert torch.allclose(levels, levels.round(), atol=1e-4)
    assert lr.min() >= -1 and lr.max() <= 1
    assert torch.equal(quantize(lr), lr)


def test_constant_image_survives_down_and_up():
    x = torch.full((1, 3, 24, 24), 0.2)
    up = bicubic_upscale(bicubic_downscale(x, 4), 4)
    assert up.shape == x.shape
    assert torch.allclose(up, quantize(x), atol=1e-5)


def test_size_must_divide_by_scale():
    with pytest.raises(ConfigError, match="divide by the scale 4"):
        bicubic_downscale(torch.zeros(1, 3, 30, 32), 4)
    with pytest.raises(ConfigError, match="patch size 30"):
        training_pair(torch.zeros(1, 3, 64, 64), 30, 4)


def test_training_pair_takes_random_crops_and_their_lr():
    images = torch.rand(4, 3, 40, 40) * 2 - 1
    torch.manual_seed(0)
    lr, hr = training_pair(images, 16, 4)
    assert lr.shape == (4, 3, 4, 4) and hr.shape == (4, 3, 16, 16)
    for i in range(4):  # each HR patch is a window of its own image
        windows = images[i].unfold(1, 16, 1).unfold(2, 16, 1)  # (C, 25, 25, 16, 16)
        match = (windows == hr[i][:, None, None]).all(dim=0).all(-1).all(-1)
        assert match.any()
    assert torch.equal(lr, bicubic_downscale(hr, 4))
    torch.manual_seed(0)
    assert torch.equal(training_pair(images, 16, 4)[1], hr)  # same torch seed, same crops
