"""Inpainting specifics beyond the shared model checks."""

import numpy as np
import torch

from artgan.config import from_dict
from artgan.data.masks import random_masks
from artgan.models import Batch
from artgan.models.inpaint import Inpaint, InpaintConfig
from tests.conftest import TINY_MODELS


def tiny(**changes) -> Inpaint:
    cfg = {**TINY_MODELS["inpaint"], **changes}
    cfg.pop("name")
    torch.manual_seed(0)
    return Inpaint(from_dict(InpaintConfig, cfg))


def test_inpaint_keeps_known_pixels_exactly_at_any_size():
    model = tiny()
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


def test_l1_loss_falls_when_training_on_one_batch():
    model = tiny(adversarial_weight=0.0)
    batch = Batch(torch.rand(4, 3, 32, 32) * 2 - 1)
    opt = torch.optim.Adam(model.G.parameters(), lr=3e-3)
    torch.manual_seed(1)
    first = model.train_step("G", batch, 0)["l1"].item()
    for _ in range(30):
        torch.manual_seed(1)
        opt.zero_grad()
        model.train_step("G", batch, 0)["loss"].backward()
        opt.step()
    torch.manual_seed(1)
    assert model.train_step("G", batch, 0)["l1"].item() < 0.7 * first
