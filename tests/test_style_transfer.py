"""Neural style transfer: the optimisation lowers its loss and keeps the content's size."""

import numpy as np
import pytest
import torch

from artgan.errors import ConfigError
from artgan.style_transfer import gram, style_transfer, working_size


def test_gram_matrix_known_answer():
    f = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).view(1, 2, 1, 2)  # 2 channels, 2 positions
    expected = torch.tensor([[5.0, 11.0], [11.0, 25.0]]) / 2
    torch.testing.assert_close(gram(f)[0], expected)


def test_working_size_keeps_the_aspect_and_never_enlarges():
    assert working_size(400, 200, 100) == (100, 50)
    assert working_size(40, 30, 100) == (40, 30)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_style_transfer_lowers_its_loss_and_keeps_the_content_size(optimizer):
    rng = np.random.default_rng(0)
    content = np.zeros((37, 50, 3), np.uint8)
    content[:, 25:] = 255  # a hard edge
    style = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)  # noise texture
    result = style_transfer(content, style, size=32, steps=6, optimizer=optimizer)
    assert result.image.shape == (37, 50, 3) and result.image.dtype == np.uint8
    assert result.working_size == (32, 24)
    assert result.losses[-1] < 0.9 * result.losses[0]
    assert result.weights_sha256


def test_bad_options_are_clear_errors():
    image = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(ConfigError, match="lbfgs or adam"):
        style_transfer(image, image, optimizer="sgd")
    with pytest.raises(ConfigError, match="steps"):
        style_transfer(image, image, steps=0)
