"""Mode coverage on the 2-D protocol: known answers for the counts, the high-quality share and the
reverse KL, and the protocol's mixtures."""

import math

import numpy as np
import pytest
import torch

from artgan.data.points import grid25_means, mixture_points, ring8_means
from artgan.errors import DataError
from artgan.metrics.mode_coverage import mode_coverage, score_mixture


def test_protocol_mixtures():
    ring = ring8_means()
    assert np.allclose(np.linalg.norm(ring, axis=1), 1.0)
    angles = np.sort(np.mod(np.arctan2(ring[:, 1], ring[:, 0]), 2 * np.pi))
    assert np.allclose(angles, 2 * np.pi * np.arange(8) / 8)
    grid = grid25_means()
    assert sorted({tuple(p) for p in grid}) == [
        (x, y) for x in range(-4, 5, 2) for y in (-4, -2, 0, 2, 4)
    ]


def test_real_data_scores_as_the_chi_square_says():
    # A 2-D Gaussian lies within 3 std of its mean with probability 1 - exp(-9/2) = 0.98889.
    points, _ = mixture_points("grid25", 20_000, seed=0)
    score = mode_coverage(points, grid25_means(), 0.05)
    assert score["modes"] == 25
    assert score["hq_fraction"] == pytest.approx(1 - math.exp(-4.5), abs=0.003)
    # A multinomial histogram of n draws over K equal cells: E[KL] ~ (K - 1) / (2 n).
    assert score["reverse_kl"] < 5 * 24 / (2 * 20_000)


def test_collapse_to_one_mode_is_log_k():
    means = ring8_means()
    samples = np.repeat(means[3:4], 100, axis=0) + 0.005
    score = mode_coverage(samples, means, 0.01)
    assert score["modes"] == 1 and score["hq_fraction"] == 1.0
    assert score["reverse_kl"] == pytest.approx(math.log(8))
    assert score["histogram"] == [0, 0, 0, 100, 0, 0, 0, 0]


def test_two_equal_modes_of_four_is_log_two_and_only_hq_samples_count():
    means = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    near = np.array([[0.0, 0.02]] * 30 + [[1.0, 1.02]] * 30)
    far = np.array([[0.5, 0.5]] * 40)  # between the modes: not high-quality
    score = mode_coverage(torch.tensor(np.concatenate([near, far])), means, std=0.01)
    assert score["modes"] == 2
    assert score["hq_fraction"] == pytest.approx(0.6)
    assert score["reverse_kl"] == pytest.approx(math.log(2))
    # exactly 3 std away is outside (strict, as PacGAN's code)
    assert mode_coverage([[0.03, 0.0]], means, 0.01)["modes"] == 0


def test_no_high_quality_sample_gives_nan_kl():
    score = mode_coverage([[10.0, 10.0]], ring8_means(), 0.01)
    assert score["modes"] == 0 and score["hq_fraction"] == 0.0
    assert math.isnan(score["reverse_kl"])


@pytest.mark.parametrize(
    "samples, means, std",
    [
        (np.zeros((4, 3)), ring8_means(), 0.01),
        (np.zeros((0, 2)), ring8_means(), 0.01),
        (np.zeros((4, 2)), ring8_means(), 0.0),
        (np.full((4, 2), np.nan), ring8_means(), 0.01),
    ],
)
def test_bad_input_is_a_data_error(samples, means, std):
    with pytest.raises(DataError):
        mode_coverage(samples, means, std)


class _FixedSampler:
    """Stands in for a model: its samples are the mixture's own points."""

    def sample(self, n, seed=None):
        return torch.from_numpy(mixture_points("ring8", n, seed)[0])


def test_score_mixture_samples_and_scores_by_name():
    score = score_mixture(_FixedSampler(), "ring8", n=2500, seed=1)
    assert score["n"] == 2500 and score["modes"] == 8
    assert score["hq_fraction"] > 0.97 and score["reverse_kl"] < 0.02
    with pytest.raises(DataError, match="unknown mixture"):
        score_mixture(_FixedSampler(), "ring9")
