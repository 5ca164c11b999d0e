"""Sample-quality metrics as pure functions over feature arrays (N, D), computed in float64.

- Fréchet distance / FID: Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule
  Converge to a Local Nash Equilibrium".
- KID: Bińkowski et al. 2018, "Demystifying MMD GANs" (unbiased MMD^2, cubic polynomial kernel).
- Improved precision and recall: Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric
  for Assessing Generative Models".
- Density and coverage: Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for
  Generative Models".
- Inception Score: Salimans et al. 2016, "Improved Techniques for Training GANs", for the softmax
  outputs of any classifier.

Features may be numpy arrays or torch tensors. KID and the k-NN metrics run in torch on the
features' device (GPU features stay there); the k-NN metrics go in row chunks, so 10k x 10k sets
never hold an N x N float64 matrix.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.linalg
import scipy.special
import torch

from ..errors import DataError

# Elements of one chunk of a pairwise-distance matrix: 2^23 float64 = 64 MiB.
CHUNK_ELEMENTS = 1 << 23


class MeanStd(NamedTuple):
    mean: float
    std: float


class PrecisionRecall(NamedTuple):
    precision: float
    recall: float


class DensityCoverage(NamedTuple):
    density: float
    coverage: float


def _features_np(x, name: str, min_rows: int = 1) -> np.ndarray:
    """(N, D) float64 numpy array, checked."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise DataError(f"{name} must be a 2-D array (N, D), got shape {x.shape}")
    if len(x) < min_rows:
        raise DataError(f"{name} needs at least {min_rows} samples, got {len(x)}")
    if not np.isfinite(x).all():
        raise DataError(f"{name} contain NaN or infinite values; check the images they came from")
    return x


def _features_torch(x, name: str, min_rows: int = 1) -> torch.Tensor:
    """(N, D) float64 tensor on the input's device (CPU for numpy input), checked."""
    t = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.asarray(x))
    t = t.detach().to(torch.float64)
    if t.ndim != 2:
        raise DataError(f"{name} must be a 2-D array (N, D), got shape {tuple(t.shape)}")
    if len(t) < min_rows:
        raise DataError(f"{name} needs at least {min_rows} samples, got {len(t)}")
    if not torch.isfinite(t).all():
        raise DataError(f"{name} contain NaN or infinite values; check the images they came from")
    return t


def _same_dim(a, b) -> None:
    if a.shape[1] != b.shape[1]:
        raise DataError(f"feature sets differ in dimension: {a.shape[1]} vs {b.shape[1]}")


# ---------------------------------------------------------------------------------------------
# Fréchet distance


def _psd_sqrt(m: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix."""
    w, v = scipy.linalg.eigh(m)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2):

        |mu1 - mu2|^2 + tr(sigma1) + tr(sigma2) - 2 tr((sigma1 sigma2)^(1/2)).

    The trace term is computed as tr((s1^(1/2) sigma2 s1^(1/2))^(1/2)), s1 = sigma1^(1/2): the
    same eigenvalues as sigma1 sigma2, but of a symmetric PSD matrix, so two symmetric
    eigendecompositions give it in real arithmetic. pytorch-fid's ``scipy.linalg.sqrtm`` of the
    non-symmetric product instead can return complex parts and fail on singular covariances
    (fewer samples than dimensions), which it patches with an ``eps * I`` offset; here negative
    round-off eigenvalues are clipped to zero and no offset is needed.
    """
    mu1 = np.atleast_1d(np.asarray(mu1, dtype=np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    d = mu1.shape[0]
    if mu2.shape != (d,) or sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise DataError(
            f"Gaussian statistics disagree in shape: mu {mu1.shape} / {mu2.shape}, "
            f"sigma {sigma1.shape} / {sigma2.shape}"
        )
    for name, arr in (("mu1", mu1), ("sigma1", sigma1), ("mu2", mu2), ("sigma2", sigma2)):
        if not np.isfinite(arr).all():
            raise DataError(f"{name} contains NaN or infinite values")
    # Symmetrise: covariances accumulated in pieces can be asymmetric by round-off.
    sigma1 = (sigma1 + sigma1.T) / 2
    sigma2 = (sigma2 + sigma2.T) / 2
    s1 = _psd_sqrt(sigma1)
    inner = s1 @ sigma2 @ s1
    eig = scipy.linalg.eigvalsh((inner + inner.T) / 2)
    tr_covmean = np.sqrt(np.clip(eig, 0.0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * tr_covmean)


def gaussian_stats(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D) of features (N, D), as pytorch-fid computes."""
    x = _features_np(features, "features", min_rows=2)
    return x.mean(axis=0), np.cov(x, rowvar=False)


def fid_from_features(a, b) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, D) and (M, D)."""
    mu1, sigma1 = gaussian_stats(a)
    mu2, sigma2 = gaussian_stats(b)
    if mu1.shape != mu2.shape:
        raise DataError(f"feature sets differ in dimension: {mu1.shape[0]} vs {mu2.shape[0]}")
    return frechet_distance(mu1, sigma1, mu2, sigma2)


# ---------------------------------------------------------------------------------------------
# Kernel Inception Distance


def _polynomial_mmd2(x: torch.Tensor, y: torch.Tensor) -> float:
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3 for equal-sized x, y (m, d)."""
    m, d = x.shape
    k_xx = (x @ x.T / d + 1.0) ** 3
    k_yy = (y @ y.T / d + 1.0) ** 3
    k_xy = (x @ y.T / d + 1.0) ** 3
    # Unbiased: the within-set sums leave out the diagonal k(x_i, x_i).
    within = (k_xx.sum() - k_xx.trace() + k_yy.sum() - k_yy.trace()) / (m * (m - 1))
    return float(within - 2.0 * k_xy.mean())


def _kernel_row_sums(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Row sums of the cubic polynomial kernel matrix k(x_i, y_j), (len(x),), in row chunks."""
    d = x.shape[1]
    rows = max(1, CHUNK_ELEMENTS // max(1, len(y)))
    return torch.cat(
        [((x[s : s + rows] @ y.T / d + 1.0) ** 3).sum(1) for s in range(0, len(x), rows)]
    )


def kid_jackknife(x: torch.Tensor, y: torch.Tensor) -> MeanStd:
    """The unbiased MMD^2 of the whole sets x (m, d) and y (n, d), and its two-sample jackknife
    standard error (leave one image out of either set; Arvesen 1969), both from kernel row sums
    so the leave-one-out estimates cost nothing more."""
    m, n = len(x), len(y)
    if m < 3 or n < 3:
        raise DataError(f"KID on whole sets needs at least 3 samples in each, got {m} and {n}")
    d = x.shape[1]
    r_x = _kernel_row_sums(x, x) - ((x * x).sum(1) / d + 1.0) ** 3  # off-diagonal row sums
    r_y = _kernel_row_sums(y, y) - ((y * y).sum(1) / d + 1.0) ** 3
    c_x, c_y = _kernel_row_sums(x, y), _kernel_row_sums(y, x)  # cross-kernel row/column sums
    s_xx, s_yy, s_xy = r_x.sum(), r_y.sum(), c_x.sum()
    full = s_xx / (m * (m - 1)) + s_yy / (n * (n - 1)) - 2.0 * s_xy / (m * n)
    # Leave x_i out: its row and column leave the x-x sum, its row the cross sum.
    loo_x = (s_xx - 2 * r_x) / ((m - 1) * (m - 2)) + s_yy / (n * (n - 1))
    loo_x = loo_x - 2.0 * (s_xy - c_x) / ((m - 1) * n)
    loo_y = s_xx / (m * (m - 1)) + (s_yy - 2 * r_y) / ((n - 1) * (n - 2))
    loo_y = loo_y - 2.0 * (s_xy - c_y) / (m * (n - 1))
    var = (m - 1) / m * ((loo_x - loo_x.mean()) ** 2).sum()
    var = var + (n - 1) / n * ((loo_y - loo_y.mean()) ** 2).sum()
    return MeanStd(float(full), float(var.sqrt()))


def kid(a, b, num_subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> MeanStd:
    """Kernel Inception Distance: the unbiased MMD^2 between feature sets (N, D) and (M, D),
    with a spread that estimates how much a KID of that sample size varies.

    When both sets hold at least twice ``subset_size`` rows: the mean over ``num_subsets``
    random subsets of ``subset_size`` from each (without replacement, reproducibly from
    ``seed``) and the standard deviation over subsets, as Bińkowski et al. report them.
    Otherwise subsets would be (nearly) the whole sets, all alike, and their spread a
    meaningless ~0 (the "± 0" of a small n): then the KID of the whole sets and its jackknife
    standard error (:func:`kid_jackknife`), which is the spread of a KID of that size, the
    same thing the subset spread estimates. Runs on the features' device."""
    x = _features_torch(a, "first feature set", min_rows=2)
    y = _features_torch(b, "second feature set", min_rows=2).to(x.device)
    _same_dim(x, y)
    if num_subsets < 1 or subset_size < 2:
        raise DataError(
            f"KID needs num_subsets >= 1 and subset_size >= 2, got {num_subsets}, {subset_size}"
        )
    if min(len(x), len(y)) < 2 * subset_size:
        return kid_jackknife(x, y)
    rng = np.random.default_rng(seed)
    scores = np.empty(num_subsets)
    for i in range(num_subsets):
        ix = torch.from_numpy(rng.choice(len(x), subset_size, replace=False)).to(x.device)
        iy = torch.from_numpy(rng.choice(len(y), subset_size, replace=False)).to(x.device)
        scores[i] = _polynomial_mmd2(x[ix], y[iy])
    return MeanStd(float(scores.mean()), float(scores.std()))


# ---------------------------------------------------------------------------------------------
# k-nearest-neighbour metrics


def _sq_dists_chunks(a: torch.Tensor, b: torch.Tensor):
    """Yield (start, squared distances (rows, len(b))) for row chunks of a, via
    |a|^2 + |b|^2 - 2 a.b (one matrix product per chunk), clamped at 0 against round-off."""
    rows = max(1, CHUNK_ELEMENTS // max(1, len(b)))
    b_sq = (b * b).sum(dim=1)
    for start in range(0, len(a), rows):
        chunk = a[start : start + rows]
        d2 = (chunk * chunk).sum(dim=1, keepdim=True) + b_sq - 2.0 * chunk @ b.T
        yield start, d2.clamp_(min=0.0)


def knn_radii_sq(x: torch.Tensor, k: int) -> torch.Tensor:
    """Squared distance from each row of x (N, D) to its k-th nearest other row, (N,)."""
    if not 1 <= k < len(x):
        raise DataError(
            f"k-nearest neighbours need 1 <= k < number of samples, got k={k} with {len(x)} samples"
        )
    radii = torch.empty(len(x), dtype=x.dtype, device=x.device)
    for start, d2 in _sq_dists_chunks(x, x):
        # The k+1 smallest include the point itself at distance 0.
        radii[start : start + len(d2)] = d2.topk(k + 1, dim=1, largest=False).values[:, k]
    return radii


def precision_recall(real, fake, k: int = 3) -> PrecisionRecall:
    """Improved precision (fraction of fakes inside the real manifold) and recall (fraction of
    reals inside the fake manifold); a manifold is the union of balls around each sample reaching
    its k-th nearest neighbour in the same set, boundary included (as in Kynkäänniemi et al.'s
    code)."""
    r = _features_torch(real, "real features", min_rows=2)
    f = _features_torch(fake, "fake features", min_rows=2).to(r.device)
    _same_dim(r, f)
    real_radii, fake_radii = knn_radii_sq(r, k), knn_radii_sq(f, k)
    fake_inside = torch.zeros(len(f), dtype=torch.bool, device=r.device)
    reals_inside = 0
    # One pass over the real-fake distances serves both directions.
    for start, d2 in _sq_dists_chunks(r, f):  # (reals chunk, fakes)
        fake_inside |= (d2 <= real_radii[start : start + len(d2), None]).any(dim=0)
        reals_inside += int((d2 <= fake_radii).any(dim=1).sum())
    return PrecisionRecall(fake_inside.double().mean().item(), reals_inside / len(r))


def density_coverage(real, fake, k: int = 5) -> DensityCoverage:
    """Density: how many real k-NN balls contain each fake on average, divided by k (about 1 when
    the distributions match; above 1 when fakes crowd dense real regions). Coverage: the fraction
    of real balls that contain at least one fake. Balls are open (strict ``<``) as in Naeem et
    al.'s code."""
    r = _features_torch(real, "real features", min_rows=2)
    f = _features_torch(fake, "fake features", min_rows=2).to(r.device)
    _same_dim(r, f)
    radii = knn_radii_sq(r, k)
    hits = covered = 0
    for start, d2 in _sq_dists_chunks(r, f):  # (reals chunk, fakes)
        inside = d2 < radii[start : start + len(d2), None]
        hits += int(inside.sum())
        covered += int(inside.any(dim=1).sum())
    return DensityCoverage(hits / (k * len(f)), covered / len(r))


# ---------------------------------------------------------------------------------------------
# Inception Score


def inception_score(probs, splits: int = 10) -> MeanStd:
    """exp(E_x KL(p(y|x) || p(y))) from class probabilities (N, C), computed on ``splits``
    disjoint parts; returns the mean and standard deviation over parts. It lies between 1
    (every prediction alike) and C (confident and uniform over classes). Scores from
    classifiers other than the 2015 Inception graph are not comparable to published ones."""
    p = _features_np(probs, "class probabilities")
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise DataError(
            "inception_score needs softmax probabilities (rows >= 0 summing to 1), not logits"
        )
    if not 1 <= splits <= len(p):
        raise DataError(
            f"splits must be between 1 and the number of samples ({len(p)}), got {splits}"
        )
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0, keepdims=True)
        # xlogy: 0 * log 0 = 0 for classes a prediction gives no mass.
        kl = (scipy.special.xlogy(part, part) - scipy.special.xlogy(part, marginal)).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return MeanStd(float(np.mean(scores)), float(np.std(scores)))
