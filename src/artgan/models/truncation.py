"""The truncation trick (Brock et al. 2019, BigGAN): latent components outside [-t, t] are
drawn again. Bounded: below ``MIN_TRUNCATION`` it is refused (almost every draw would be
rejected), and after ``MAX_REDRAWS`` rounds the few components still outside are clamped, so a
sample always returns. For the usual t >= 0.5 the clamp never happens in practice (a component
is still outside after 64 rounds with odds below 1e-13), so outputs are those of plain
resampling.
"""

from __future__ import annotations

import math

import torch

from ..errors import ConfigError

MIN_TRUNCATION = 0.05
MAX_TRUNCATION = 100.0  # beyond a few units nothing is ever outside: the same as off
MAX_REDRAWS = 64


def check_truncation(truncation: float | None) -> float:
    """``truncation`` as a float, 0 meaning off; an error for NaN, infinity, negative or tiny."""
    t = float(truncation or 0.0)
    if not math.isfinite(t) or not 0 <= t <= MAX_TRUNCATION:
        raise ConfigError(
            f"truncation must be from 0 (off) to {MAX_TRUNCATION:g} (0.5 to 1.0 is usual), "
            f"got {t:g}"
        )
    if 0 < t < MIN_TRUNCATION:
        raise ConfigError(
            f"truncation {t:g} is below {MIN_TRUNCATION}: almost every latent would be rejected; "
            f"use 0 (off) or a value from {MIN_TRUNCATION} (0.5 to 1.0 is usual)"
        )
    return t


def truncated_normal(n: int, dim: int, generator: torch.Generator, truncation: float = 0.0):
    """(n, dim) standard normal latents on the CPU, truncated to [-t, t] when t > 0."""
    t = check_truncation(truncation)
    z = torch.randn(n, dim, generator=generator)  # (N, Z)
    if t > 0:
        outside = z.abs() > t
        for _ in range(MAX_REDRAWS):
            if not outside.any():
                break
            z[outside] = torch.randn(int(outside.sum()), generator=generator)
            outside = z.abs() > t
        z.clamp_(-t, t)
    return z
