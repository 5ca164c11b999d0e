"""Truncation: sampling closer to the middle of the latent prior, trading variety for typical
samples. Two methods, and a family declares the one that fits its latent space
(``LatentGenerator.truncation_method``):

- ``resample`` (Brock et al. 2019, BigGAN): latent components outside [-t, t] are drawn again.
  Each component stays inside the range the generator saw in training. Bounded: below
  ``MIN_TRUNCATION`` it is refused (almost every draw would be rejected), and after
  ``MAX_REDRAWS`` rounds the few components still outside are clamped, so a sample always
  returns. For the usual t >= 0.5 the clamp never happens in practice (a component is still
  outside after 64 rounds with odds below 1e-13).
- ``scale``: z -> t z, StyleGAN's w-truncation ``w_avg + psi (w - w_avg)`` applied where the
  average latent is known to be 0 (an N(0, I) prior), i.e. a lower prior temperature (Kingma &
  Dhariwal 2018). On a z fed straight into a GAN's generator it shrinks ``|z|`` below the
  sqrt(z_dim) shell every training latent lay on, so the generator sees inputs it never
  trained on; StyleGAN avoids that by truncating w after its mapping network, which these
  families do not have. t is at most 1 here.

Whether either one helps a family's samples is measured, not assumed (bench/truncation.py);
``LatentGenerator.truncation_helps`` records the answer.
"""

from __future__ import annotations

import math

import torch

from ..errors import ConfigError

MIN_TRUNCATION = 0.05
MAX_TRUNCATION = 100.0  # beyond a few units nothing is ever outside: the same as off
MAX_REDRAWS = 64
TRUNCATION_METHODS = ("resample", "scale")


def check_truncation(truncation: float | None, method: str = "resample") -> float:
    """``truncation`` as a float, 0 meaning off; an error for NaN, infinity, negative or tiny,
    and above 1 for the ``scale`` method (that would widen the prior, not truncate it)."""
    if method not in TRUNCATION_METHODS:
        raise ConfigError(
            f"unknown truncation method {method!r}; valid: {', '.join(TRUNCATION_METHODS)}"
        )
    t = float(truncation or 0.0)
    high = 1.0 if method == "scale" else MAX_TRUNCATION
    if not math.isfinite(t) or not 0 <= t <= high:
        raise ConfigError(
            f"truncation ({method}) must be from 0 (off) to {high:g} (0.5 to 1.0 is usual), "
            f"got {t:g}"
        )
    if 0 < t < MIN_TRUNCATION:
        raise ConfigError(
            f"truncation {t:g} is below {MIN_TRUNCATION}: almost every latent would be rejected; "
            f"use 0 (off) or a value from {MIN_TRUNCATION} (0.5 to 1.0 is usual)"
        )
    return t


def truncated_normal(
    n: int, dim: int, generator: torch.Generator, truncation: float = 0.0, method="resample"
) -> torch.Tensor:
    """(n, dim) standard normal latents on the CPU, truncated by ``method`` when t > 0."""
    t = check_truncation(truncation, method)
    z = torch.randn(n, dim, generator=generator)  # (N, Z)
    if t > 0 and method == "scale":
        return z * t
    if t > 0:
        outside = z.abs() > t
        for _ in range(MAX_REDRAWS):
            if not outside.any():
                break
            z[outside] = torch.randn(int(outside.sum()), generator=generator)
            outside = z.abs() > t
        z.clamp_(-t, t)
    return z
