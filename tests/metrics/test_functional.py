"""Known answers for the metric maths in artgan.metrics.functional."""

import numpy as np
import pytest
import scipy.linalg
import torch

from artgan.errors import DataError
from artgan.metrics import functional as fn
from artgan.metrics.functional import (
    density_coverage,
    fid_from_features,
    frechet_distance,
    inception_score,
    kid,
    precision_recall,
)


def random_cov(rng, d, scale=1.0):
    a = rng.normal(size=(d, d))
    return scale * (a @ a.T / d + 0.1 * np.eye(d))


# --- Fréchet distance ------------------------------------------------------------------------


def test_frechet_distance_of_diagonal_gaussians_has_the_closed_form():
    rng = np.random.default_rng(0)
    d = 16
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    v1, v2 = rng.uniform(0.1, 3.0, d), rng.uniform(0.1, 3.0, d)
    exact = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    assert frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(exact, rel=1e-10)
    # A common rotation keeps the covariances commuting and the distance unchanged.
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    got = frechet_distance(q @ mu1, q @ np.diag(v1) @ q.T, q @ mu2, q @ np.diag(v2) @ q.T)
    assert got == pytest.approx(exact, rel=1e-9)


def test_frechet_distance_matches_the_sqrtm_formula_for_general_covariances():
    rng = np.random.default_rng(1)
    d = 20
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = random_cov(rng, d), random_cov(rng, d, scale=2.0)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real  # pytorch-fid's route
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)
    assert frechet_distance(mu2, s2, mu1, s1) == pytest.approx(expected, rel=1e-8)  # symmetric


def test_one_dimensional_gaussians():
    # W2^2 between N(1, 4) and N(-2, 1) is (1 + 2)^2 + (2 - 1)^2 = 10.
    assert frechet_distance([1.0], [[4.0]], [-2.0], [[1.0]]) == pytest.approx(10.0)


def test_fid_of_identical_features_is_zero_even_when_covariance_is_singular():
    rng = np.random.default_rng(2)
    full = rng.normal(size=(500, 8)) * 3 + 1
    assert abs(fid_from_features(full, full)) < 1e-9
    singular = rng.normal(size=(10, 64))  # fewer samples than dimensions: rank 9
    result = fid_from_features(singular, torch.from_numpy(singular))
    # Round-off eigenvalues ~1e-16 of the null space enter through a square root (~1e-8 each).
    assert np.isfinite(result) and abs(result) < 1e-6 * np.trace(np.cov(singular.T))


def test_fid_from_samples_approaches_the_exact_distance():
    rng = np.random.default_rng(3)
    d, n = 4, 100_000
    mu1, mu2 = np.zeros(d), np.array([0.5, -0.5, 0.0, 1.0])
    s1, s2 = random_cov(rng, d), random_cov(rng, d, scale=0.5)
    exact = frechet_distance(mu1, s1, mu2, s2)
    a = rng.multivariate_normal(mu1, s1, size=n)
    b = rng.multivariate_normal(mu2, s2, size=n)
    assert fid_from_features(a, b) == pytest.approx(exact, rel=0.02)


def test_frechet_distance_rejects_mismatched_or_bad_input():
    with pytest.raises(DataError, match="shape"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(DataError, match="NaN"):
        fid_from_features(np.full((5, 2), np.nan), np.zeros((5, 2)))
    with pytest.raises(DataError, match="at least 2"):
        fid_from_features(np.zeros((1, 2)), np.zeros((5, 2)))
    with pytest.raises(DataError, match="dimension"):
        fid_from_features(np.zeros((5, 2)), np.zeros((5, 3)))


# --- KID -------------------------------------------------------------------------------------


def brute_force_mmd2(x, y):
    m, d = x.shape
    k = lambda a, b: (a @ b / d + 1) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / m**2
    return xx + yy - 2 * xy


def test_kid_is_the_unbiased_polynomial_mmd():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(12, 5)), rng.normal(size=(12, 5)) + 0.3
    # subset_size >= n: the whole sets, so the estimate is the full MMD^2.
    result = kid(x, y, num_subsets=3, subset_size=50)
    assert result.mean == pytest.approx(brute_force_mmd2(x, y), rel=1e-10)


def brute_force_mmd2_unequal(x, y):
    def k(a, b):
        return (a @ b / a.shape[0] + 1.0) ** 3

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_kid_on_small_sets_reports_the_jackknife_spread_not_zero():
    # n <= subset size used to give "± 0" (every subset the same whole set). Now: the whole-set
    # KID and its two-sample jackknife standard error, checked against a brute-force jackknife.
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(9, 4)), rng.normal(size=(7, 4)) + 0.4
    result = kid(x, y, subset_size=1000)
    assert result.mean == pytest.approx(brute_force_mmd2_unequal(x, y), rel=1e-9)
    loo_x = np.array([brute_force_mmd2_unequal(np.delete(x, i, 0), y) for i in range(9)])
    loo_y = np.array([brute_force_mmd2_unequal(x, np.delete(y, j, 0)) for j in range(7)])
    var = 8 / 9 * ((loo_x - loo_x.mean()) ** 2).sum() + 6 / 7 * ((loo_y - loo_y.mean()) ** 2).sum()
    assert result.std == pytest.approx(np.sqrt(var), rel=1e-9)
    assert result.std > 0


def test_kid_jackknife_spread_matches_the_spread_over_fresh_samples():
    # The spread means something: it is close to the standard deviation of KID over many
    # independent draws of the same size.
    rng = np.random.default_rng(7)
    draws, spreads = [], []
    for _ in range(150):
        x, y = rng.normal(size=(40, 6)), rng.normal(size=(40, 6)) + 0.5
        mean, std = kid(x, y)
        draws.append(mean)
        spreads.append(std)
    assert 0.7 < np.median(spreads) / np.std(draws) < 1.4


def test_kid_is_near_zero_for_one_distribution_and_positive_for_a_shift():
    rng = np.random.default_rng(5)
    real = rng.normal(size=(1000, 32))
    same = rng.normal(size=(1000, 32))
    shifted = rng.normal(size=(1000, 32)) + 0.5
    null = kid(real, same, num_subsets=20, subset_size=300)
    alt = kid(real, shifted, num_subsets=20, subset_size=300)
    assert abs(null.mean) < 3 * null.std + 1e-3
    assert alt.mean > 20 * max(null.std, abs(null.mean))
    assert kid(real, same, num_subsets=3, subset_size=300, seed=1) == kid(
        real, same, num_subsets=3, subset_size=300, seed=1
    )


# --- precision / recall / density / coverage ---------------------------------------------------


def test_knn_metrics_on_a_hand_checked_example():
    real = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])  # k=1 radii: 1 each
    fake = np.array([[0.5], [10.0]])  # k=1 radii: 9.5 each
    assert precision_recall(real, fake, k=1) == (0.5, 1.0)
    # 0.5 lies strictly inside the balls of 0 and 1; 10 in none: density 2 / (1 * 2).
    # Reals covered (a fake strictly inside their ball): 0 and 1 of 5.
    assert density_coverage(real, fake, k=1) == (1.0, 0.4)


def test_knn_metrics_on_gaussians_behave_as_the_papers_describe():
    rng = np.random.default_rng(6)
    d = 4
    real = rng.normal(size=(1500, d))
    matched = rng.normal(size=(1500, d))
    pr, dc = precision_recall(real, matched), density_coverage(real, matched)
    assert pr.precision > 0.85 and pr.recall > 0.85
    assert 0.85 < dc.density < 1.15 and dc.coverage > 0.9

    far = matched + 50.0
    assert precision_recall(real, far) == (0.0, 0.0)
    assert density_coverage(real, far) == (0.0, 0.0)

    narrow = 0.2 * matched  # a mode-collapsed generator: faithful but not diverse
    pr, dc = precision_recall(real, narrow), density_coverage(real, narrow)
    assert pr.precision > 0.97 and pr.recall < 0.3
    assert dc.density > 1.1 and dc.coverage < 0.4


def test_chunked_distances_give_the_same_answer(monkeypatch):
    rng = np.random.default_rng(7)
    real, fake = rng.normal(size=(300, 6)), rng.normal(size=(200, 6)) + 0.3
    whole = precision_recall(real, fake), density_coverage(real, fake)
    monkeypatch.setattr(fn, "CHUNK_ELEMENTS", 1000)  # a few rows per chunk
    assert (precision_recall(real, fake), density_coverage(real, fake)) == whole


def test_knn_metrics_reject_too_few_samples():
    with pytest.raises(DataError, match="k="):
        precision_recall(np.zeros((3, 2)), np.ones((3, 2)), k=3)


# --- Inception Score ---------------------------------------------------------------------------


def test_inception_score_bounds():
    classes, n = 10, 1000
    confident = np.eye(classes)[np.arange(n) % classes]  # one-hot, balanced in every split
    assert inception_score(confident, splits=10) == pytest.approx((classes, 0.0))
    constant = np.tile(np.random.default_rng(8).dirichlet(np.ones(classes)), (n, 1))
    assert inception_score(constant, splits=10) == pytest.approx((1.0, 0.0))


def test_inception_score_matches_the_kl_formula():
    p = np.random.default_rng(9).dirichlet(np.ones(5) * 0.3, size=200)
    marginal = p.mean(axis=0)
    expected = np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1)))
    assert inception_score(torch.from_numpy(p), splits=1).mean == pytest.approx(expected)


def test_inception_score_rejects_logits():
    with pytest.raises(DataError, match="logits"):
        inception_score(np.random.default_rng(0).normal(size=(20, 4)))
