"""The truncation trick is bounded: a tiny or invalid t is one clear error, a small valid t
returns at once, and the usual values draw exactly what plain resampling draws."""

import time

import pytest
import torch

from artgan.errors import ConfigError
from artgan.models.truncation import MIN_TRUNCATION, truncated_normal


def unbounded(n, dim, seed, t):
    """The resampling loop as it was before it was bounded (never returns for t -> 0)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, dim, generator=g)
    outside = z.abs() > t
    while outside.any():
        z[outside] = torch.randn(int(outside.sum()), generator=g)
        outside = z.abs() > t
    return z


@pytest.mark.parametrize("t", [1e-9, 0.01, -0.5, float("nan"), float("inf")])
def test_invalid_or_tiny_truncation_is_refused(t):
    with pytest.raises(ConfigError, match="truncation"):
        truncated_normal(4, 8, torch.Generator().manual_seed(0), t)


def test_smallest_truncation_returns_quickly_and_inside_the_bound():
    start = time.perf_counter()
    z = truncated_normal(256, 128, torch.Generator().manual_seed(0), MIN_TRUNCATION)
    assert time.perf_counter() - start < 5
    assert z.abs().max() <= MIN_TRUNCATION


@pytest.mark.parametrize("t", [0.5, 0.7, 1.0, 2.0])
def test_usual_truncation_draws_what_plain_resampling_draws(t):
    got = truncated_normal(64, 32, torch.Generator().manual_seed(3), t)
    assert torch.equal(got, unbounded(64, 32, 3, t))


def test_no_truncation_is_plain_normal():
    g = torch.Generator().manual_seed(1)
    expected = torch.randn(5, 7, generator=torch.Generator().manual_seed(1))
    assert torch.equal(truncated_normal(5, 7, g, 0.0), expected)
