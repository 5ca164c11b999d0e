"""Mode coverage of a Gaussian mixture: the 2-D protocol of Metz et al. 2017 ("Unrolled GANs"),
Srivastava et al. 2017 (VEEGAN) and Lin et al. 2018 (PacGAN).

Each sample is assigned to its nearest mixture mean. It is *high-quality* when it lies within
``threshold`` (3) standard deviations of that mean. Then:

- ``modes``: how many components received at least one high-quality sample;
- ``hq_fraction``: the fraction of all samples that are high-quality;
- ``histogram``: the number of high-quality samples at each component;
- ``reverse_kl``: KL(p_hq || uniform) = sum_k p_k log(K p_k), where p_hq is ``histogram``
  normalised to sum to one and the true mixture weights are uniform (1/K). This is PacGAN's
  "reverse KL" (Lin et al. 2018, Table 1; the MetricLogger of their released code): the
  divergence of the generated distribution over modes, counted on high-quality samples only,
  from the true one. It is 0 for a perfectly balanced histogram and log(K) when every
  high-quality sample sits at one mode; it is NaN (undefined) when there is no high-quality
  sample at all.

The components are assumed isotropic with one shared ``std`` (true of ring8 and grid25).
"""

from __future__ import annotations

import math

import numpy as np

from ..data.points import MIXTURES
from ..errors import DataError


def mode_coverage(samples, means, std: float, threshold: float = 3.0) -> dict:
    """Score ``samples`` (N, D) against mixture ``means`` (K, D) with component ``std``.

    Returns ``{"modes": int, "hq_fraction": float, "reverse_kl": float, "histogram": list}``.
    Accepts numpy arrays, torch tensors or nested lists.
    """
    x = np.asarray(_to_numpy(samples), dtype=np.float64)
    mu = np.asarray(_to_numpy(means), dtype=np.float64)
    if x.ndim != 2 or mu.ndim != 2 or x.shape[1] != mu.shape[1]:
        raise DataError(
            f"mode coverage needs samples (N, D) and means (K, D) of the same D, got "
            f"{x.shape} and {mu.shape}"
        )
    if len(x) == 0 or len(mu) == 0:
        raise DataError("mode coverage needs at least one sample and one mixture mean")
    if not std > 0 or not threshold > 0:
        raise DataError(f"std and threshold must be positive, got {std} and {threshold}")
    if not np.isfinite(x).all():
        raise DataError("mode coverage got NaN or infinite samples")

    # Squared distances through ||x||^2 - 2 x.mu + ||mu||^2: an (N, K) matrix without (N, K, D).
    d2 = (x * x).sum(1)[:, None] - 2.0 * x @ mu.T + (mu * mu).sum(1)[None, :]
    nearest = d2.argmin(axis=1)  # (N,)
    nearest_d2 = np.maximum(d2[np.arange(len(x)), nearest], 0.0)
    high_quality = nearest_d2 < (threshold * std) ** 2  # strictly inside, as PacGAN's code
    histogram = np.bincount(nearest[high_quality], minlength=len(mu))

    total = int(histogram.sum())
    if total == 0:
        reverse_kl = math.nan
    else:
        p = histogram[histogram > 0] / total
        reverse_kl = float(max(0.0, (p * np.log(p * len(mu))).sum()))  # clamp rounding below 0
    return {
        "modes": int((histogram > 0).sum()),
        "hq_fraction": float(high_quality.mean()),
        "reverse_kl": reverse_kl,
        "histogram": histogram.tolist(),
    }


def _to_numpy(values):
    detach = getattr(values, "detach", None)  # a torch tensor, on any device
    if detach is not None:
        return detach().float().cpu().numpy()
    return values


def score_mixture(model, mixture: str, n: int = 2500, seed: int = 0) -> dict:
    """Draw ``n`` samples from ``model`` (deterministic by ``seed``) and score them against a
    built-in mixture (``ring8`` or ``grid25``) with the protocol above."""
    if mixture not in MIXTURES:
        raise DataError(f"unknown mixture {mixture!r}; valid: {', '.join(MIXTURES)}")
    means_fn, std = MIXTURES[mixture]
    samples = model.sample(n, seed=seed)
    return {**mode_coverage(samples.reshape(n, -1), means_fn(), std), "n": n}
