"""LaMa (fast Fourier convolution inpainting) specifics beyond the shared model checks and
the inpainters' tests of test_inpaint.py (known pixels kept exactly at any size)."""

import copy

import numpy as np
import pytest
import torch

from artgan.data.masks import random_masks
from artgan.errors import ConfigError
from artgan.models import Batch
from artgan.models.inpaint import STANDING_STATISTICS_IMAGES, STANDING_STATISTICS_SEED
from artgan.models.lama import FFCResBlock, FourierUnit, Lama
from artgan.nn.hole_fill import harmonic_fill
from tests.models.test_inpaint import fit_one_batch
from tests.models.test_inpaint import tiny as tiny_inpainter


def tiny(**changes) -> Lama:
    return tiny_inpainter("lama", **changes)


def test_lama_starts_at_the_harmonic_fill_and_ignores_the_hidden_pixels():
    model = tiny()
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    mask = random_masks(2, 32, np.random.default_rng(4), ("wide",))
    out = model.inpaint(x, mask)
    torch.testing.assert_close(out, harmonic_fill(x, mask).clamp(-1, 1))
    other = torch.where(mask.bool(), torch.rand_like(x), x)  # only the hidden pixels differ
    assert torch.allclose(model.inpaint(other, mask), out)


def test_fourier_unit_reaches_across_the_whole_feature_map():
    """One pixel changed in a corner changes the output at the opposite corner: the global
    receptive field that a 3x3 convolution lacks."""
    torch.manual_seed(0)
    unit = FourierUnit(4).eval()
    x = torch.randn(1, 4, 16, 16)
    y = x.clone()
    y[..., 0, 0] += 5.0
    assert (unit(x) - unit(y))[..., 15, 15].abs().max() > 1e-4
    block = FFCResBlock(8, 0.75)
    assert block(torch.randn(2, 8, 16, 12)).shape == (2, 8, 16, 12)


def stripes(n: int, size: int = 32) -> torch.Tensor:
    """Vertical stripes of random phase: what a hole hides follows from its sides, but a
    smooth (harmonic) fill greys it out."""
    phase = torch.rand(n, 1, 1, 1) * 6.28
    columns = torch.arange(size).float()
    return torch.sin(columns * 6.28 / 6 + phase).expand(n, 3, size, size)  # (B, C, H, W)


def test_a_few_training_steps_lower_the_hole_error_and_report_every_loss():
    first, last = fit_one_batch(tiny(adversarial_weight=0.0), Batch(stripes(4)))
    assert {"l1", "perceptual", "loss"} <= set(first)
    assert last["l1"] < 0.9 * first["l1"]


def test_the_generator_phase_includes_the_adversarial_and_feature_matching_terms():
    model = tiny()
    losses = model.train_step("G", Batch(torch.rand(2, 3, 32, 32) * 2 - 1), 0)
    assert {"g_adv", "fm", "perceptual", "l1"} <= set(losses)
    assert torch.isfinite(losses["loss"])


def test_the_l2_pixel_loss_is_the_hole_weighted_squared_error():
    """pixel_loss l2 (what PSNR measures) replaces the L1 term by the squared error, with the
    same hole weighting (the lama bench's setting, chosen for its PSNR target)."""
    torch.manual_seed(0)
    model = tiny(pixel_loss="l2", adversarial_weight=0.0, perceptual_weight=0.0)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    mask = random_masks(2, 32, np.random.default_rng(1), ("box",))
    out = x + 0.5 * torch.randn_like(x)
    losses = model.generator_losses(x, mask, out, x * (1 - mask) + out * mask)
    weights = model.config.hole_weight * mask + (1 - mask)
    expected = ((out - x).square() * weights).mean()
    torch.testing.assert_close(losses["l2"], expected)
    torch.testing.assert_close(losses["loss"], model.config.l1_weight * expected)
    assert "l1" not in losses


@pytest.mark.parametrize(
    "change, message",
    [
        ({"pixel_loss": "l3"}, "pixel_loss"),
        ({"global_ratio": 1.0}, "global_ratio"),
        ({"perceptual_blocks": 0}, "perceptual_blocks"),
        ({"masks": "box,blob"}, "model.masks"),
        ({"image_size": 30}, "multiple of 2"),
    ],
)
def test_bad_options_are_config_errors(change, message):
    with pytest.raises(ConfigError, match=message):
        tiny(**change)


def test_the_averaged_generator_gets_batch_norm_statistics_of_its_own():
    """The EMA averages weights, not what those weights make of a batch: before a checkpoint the
    averaged generator's running statistics are re-measured on the latest training images, so
    in eval mode it fills holes as its weights do in training mode, not with the statistics of
    the live generator (which made its eval-mode fill differ by about its whole correction)."""
    model = tiny()
    x = torch.rand(8, 3, 32, 32) * 2 - 1
    model.train_step("G", Batch(x), 0)  # the live generator's statistics, and x remembered
    averaged = copy.deepcopy(model.G)  # what the trainer swaps in: weights that differ
    torch.manual_seed(5)
    with torch.no_grad():
        for p in averaged.parameters():
            p.add_(0.05 * torch.randn_like(p))
    model.G = averaged
    model.refresh_ema_statistics()
    rng = np.random.default_rng(STANDING_STATISTICS_SEED)  # the holes it measured with
    masks = random_masks(8, 32, rng, model.config.mask_kinds)
    with torch.no_grad():
        in_eval = averaged.eval()(x, masks)
        in_training = averaged.train()(x, masks)
    correction = (in_training - x).abs().mean()
    assert (in_eval - in_training).abs().mean() < 0.05 * correction
    for _ in range(20):
        model.remember_images(x)
    assert sum(map(len, model._recent_images)) == STANDING_STATISTICS_IMAGES
