"""sample.py: the grid of samples is pixels, and its name says so (issue 16 item 9)."""

import numpy as np
import torch

import artgan.sample as sample_module
from artgan.sample import grid_pixels


def test_grid_pixels_is_a_uint8_picture_on_white():
    images = torch.stack([torch.full((3, 4, 4), -1.0), torch.full((3, 4, 4), 1.0)])  # black, white
    grid = grid_pixels(images, columns=2, padding=1)
    assert isinstance(grid, np.ndarray) and grid.dtype == np.uint8
    assert grid.shape == (1 + 4 + 1, 1 + 2 * (4 + 1), 3)  # (H', W', C): what image files hold
    assert (grid[1:5, 1:5] == 0).all() and (grid[1:5, 6:10] == 255).all()
    assert (grid[0] == 255).all()  # padding is white


def test_no_make_grid_that_returns_something_else_than_torchvision_s():
    # torchvision's make_grid returns a (C, H, W) tensor; ours returns pixels under another name
    assert not hasattr(sample_module, "make_grid")
