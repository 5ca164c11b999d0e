"""Inpainting specifics beyond the shared model checks."""

import numpy as np
import pytest
import torch

from artgan.config import from_dict
from artgan.data.masks import random_masks
from artgan.models import Batch
from artgan.models.inpaint import Inpaint, pyramid_fill
from artgan.models.lama import Lama
from tests.conftest import TINY_MODELS


def tiny(family: str = "inpaint", **changes) -> Inpaint:
    """A tiny model of a hole-filling family (inpaint, or lama which shares its interface)."""
    cfg = {**TINY_MODELS[family], **changes}
    cfg.pop("name")
    torch.manual_seed(0)
    family_class = {"inpaint": Inpaint, "lama": Lama}[family]
    return family_class(from_dict(family_class.config_class, cfg))


@pytest.mark.parametrize("family", ["inpaint", "lama"])
def test_inpainters_keep_known_pixels_exactly_at_any_size(family):
    model = tiny(family)
    x = torch.rand(2, 3, 23, 37) * 2 - 1
    mask = torch.zeros(2, 1, 23, 37)
    mask[:, :, 5:12, 10:30] = 1
    out = model.inpaint(x, mask)
    assert out.shape == x.shape
    keep = mask.expand_as(x) == 0
    assert torch.equal(out[keep], x[keep])
    assert not torch.equal(out[~keep], x[~keep])


def test_hole_content_does_not_leak_into_the_fill():
    model = tiny()
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    mask = random_masks(1, 32, np.random.default_rng(0))
    other = torch.where(mask.bool(), torch.rand_like(x), x)  # only the hidden pixels differ
    assert torch.allclose(model.inpaint(x, mask), model.inpaint(other, mask))


def test_training_masks_follow_torchs_seed():
    model = tiny()
    x = torch.zeros(4, 3, 32, 32)
    torch.manual_seed(3)
    a = model.training_masks(x)
    torch.manual_seed(3)
    b = model.training_masks(x)
    assert torch.equal(a, b) and a.shape == (4, 1, 32, 32) and a.sum() > 0


@pytest.mark.parametrize("smooth_start, fall", [(False, 0.7), (True, 0.8)])
def test_l1_loss_falls_when_training_on_one_batch(smooth_start, fall):
    """From a blank hole the first steps learn the mean; from a smooth fill (already near the
    mean of noise) what is left to learn is the noise itself, so it falls less at first."""
    model = tiny(adversarial_weight=0.0, smooth_start=smooth_start)
    first, last = fit_one_batch(model, Batch(torch.rand(4, 3, 32, 32) * 2 - 1))
    assert last["l1"] < fall * first["l1"]


def fit_one_batch(model, batch: Batch, steps: int = 30) -> tuple[dict, dict]:
    """The generator's losses before and after ``steps`` Adam steps on one batch (the same
    holes each time)."""
    opt = torch.optim.Adam(model.G.parameters(), lr=3e-3)
    torch.manual_seed(1)
    first = model.train_step("G", batch, 0)
    for _ in range(steps):
        torch.manual_seed(1)
        opt.zero_grad()
        model.train_step("G", batch, 0)["loss"].backward()
        opt.step()
    torch.manual_seed(1)
    return first, model.train_step("G", batch, 0)


def test_smooth_start_begins_at_the_pyramid_fill():
    model = tiny(smooth_start=True)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    mask = random_masks(2, 32, np.random.default_rng(4))
    torch.testing.assert_close(model.inpaint(x, mask), pyramid_fill(x, mask).clamp(-1, 1))


def test_pyramid_fill_keeps_known_pixels_and_fills_smooth_images_closely():
    ramp = torch.linspace(-1, 1, 40).expand(1, 3, 30, 40)  # (B, C, H, W), left to right
    mask = torch.zeros(1, 1, 30, 40)
    mask[..., 8:20, 12:30] = 1
    filled = pyramid_fill(ramp, mask)
    assert torch.equal(filled[..., mask[0, 0] == 0], ramp[..., mask[0, 0] == 0])
    hole = mask[0, 0] == 1
    error = (filled[..., hole] - ramp[..., hole]).abs().mean()
    blank_error = ramp[..., hole].abs().mean()  # what a zero fill would miss by
    assert error < 0.35 * blank_error, (
        error,
        blank_error,
    )  # seen: 0.27 (push-pull is blockier than a harmonic fill)
    constant = torch.full((1, 1, 17, 23), 0.3)
    odd = torch.zeros(1, 1, 17, 23)
    odd[..., 3:15, 2:21] = 1
    torch.testing.assert_close(pyramid_fill(constant, odd), constant)
