"""Restoration metrics and the harmonic fill (metrics/restoration.py), with known answers."""

import numpy as np
import pytest

from artgan.metrics.restoration import harmonic_fill, hole_psnr, hole_ssim, ssim_map


def test_ssim_map_mean_is_scikit_images_ssim():
    skimage_metrics = pytest.importorskip("skimage.metrics")
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (40, 50, 3)).astype(np.uint8)
    b = np.clip(a + rng.normal(0, 20, a.shape), 0, 255).astype(np.uint8)
    expected = skimage_metrics.structural_similarity(
        a, b, data_range=255, gaussian_weights=True, sigma=1.5,
        use_sample_covariance=False, channel_axis=2,
    )  # fmt: skip
    # scikit-image leaves out a border of half its 11 px window when averaging
    assert ssim_map(a, b)[5:-5, 5:-5].mean() == pytest.approx(expected, abs=1e-9)
    assert np.allclose(ssim_map(a, a), 1.0)


def test_hole_metrics_see_only_the_hole():
    reference = np.full((20, 20, 3), 100, np.uint8)
    output = reference.copy()
    mask = np.zeros((20, 20), bool)
    mask[5:10, 5:10] = True
    output[~mask] = 0  # damage outside the hole does not count
    assert hole_psnr(output, reference, mask) == pytest.approx(10 * np.log10(255**2 / 1e-12))
    output[mask] = 110
    assert hole_psnr(output, reference, mask) == pytest.approx(10 * np.log10(255**2 / 100))
    assert hole_ssim(reference, reference, mask) == pytest.approx(1.0)


def test_harmonic_fill_reproduces_a_linear_ramp_and_keeps_known_pixels():
    yy, xx = np.mgrid[0:30, 0:40]
    image = (2 * xx + 3 * yy).astype(np.uint8)  # linear functions are harmonic
    mask = np.zeros((30, 40), bool)
    mask[5:20, 8:30] = True
    damaged = image.copy()
    damaged[mask] = 0
    filled = harmonic_fill(damaged, mask)
    assert np.array_equal(filled, image)
    colour = np.stack([damaged, damaged // 2, 255 - damaged], -1)
    out = harmonic_fill(colour, mask)
    assert np.array_equal(out[~mask], colour[~mask])
    assert np.abs(out[..., 1].astype(int) - image // 2).max() <= 1
