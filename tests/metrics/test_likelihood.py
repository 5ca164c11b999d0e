"""Known answers for the IWAE bound and the ELBO (metrics/likelihood.py).

A linear-Gaussian latent model has an exact marginal likelihood, p(x) = N(x; b, W W^T + s^2 I),
and an exact Gaussian posterior; with that posterior as the proposal every importance weight
equals p(x), and with a wrong proposal the ELBO falls short by exactly KL(q || posterior).
A tiny trained VAE checks the ordering ELBO <= IWAE_k, rising with k.
"""

import math

import pytest
import torch
from torch.distributions import MultivariateNormal, Normal, kl_divergence

from artgan.errors import ConfigError, DataError
from artgan.metrics.likelihood import (
    bits_per_dim,
    elbo,
    elbo_per_image,
    iwae_log_likelihood,
    iwae_per_image,
)
from artgan.models.capabilities import DensityModel
from artgan.models.vae import VAE, VAEConfig
from artgan.models.vaegan import VAEGAN, VAEGANConfig


class LinearGaussian(DensityModel):
    """p(z) = N(0, I), p(x|z) = N(W z + b, s^2 I) on x of shape (1, 1, D). W has orthogonal
    columns, so the exact posterior is diagonal and fits the (mu, logvar) interface."""

    def __init__(self, shift: float = 0.0, widen: float = 1.0):
        columns = [[2.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, -1.5]]  # orthogonal
        self.W = torch.tensor(columns, dtype=torch.float64)  # (D, z) = (4, 2)
        self.b = torch.tensor([0.1, -0.2, 0.3, 0.0], dtype=torch.float64)
        self.s = 0.5
        self.shift, self.widen = shift, widen  # how far the proposal is from the posterior

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = x.flatten(1).double()
        precision = 1.0 + (self.W**2).sum(0) / self.s**2  # diagonal of I + W^T W / s^2
        var = 1.0 / precision
        mean = var * ((x - self.b) @ self.W) / self.s**2
        return mean, var.expand_as(mean)

    def exact_log_px(self, x: torch.Tensor) -> torch.Tensor:
        cov = self.W @ self.W.T + self.s**2 * torch.eye(4, dtype=torch.float64)
        return MultivariateNormal(self.b, cov).log_prob(x.flatten(1).double())

    def encode(self, x):
        mean, var = self.posterior(x)
        return mean + self.shift, (var * self.widen).log()

    def likelihood_targets(self, x, generator=None):
        return x

    def log_likelihood(self, targets, z):
        mean = z.double() @ self.W.T + self.b
        return Normal(mean, self.s).log_prob(targets.flatten(1).double()).sum(1)


def linear_data(n: int = 6) -> torch.Tensor:
    return torch.rand(n, 1, 1, 4, generator=torch.Generator().manual_seed(0)) * 2 - 1


def test_exact_posterior_gives_the_exact_likelihood_for_any_k():
    model, x = LinearGaussian(), linear_data()
    exact = model.exact_log_px(x)
    for k in (1, 7):
        assert torch.allclose(iwae_per_image(model, x, k=k, batch=5), exact, atol=1e-5)
    # The ELBO's E_q[log p(x|z)] is a Monte Carlo average (the KL is exact), so it matches
    # to sampling precision.
    assert torch.allclose(elbo_per_image(model, x, samples=20000, batch=20000), exact, atol=0.05)


def test_wrong_proposal_elbo_gap_is_the_kl_and_iwae_closes_it():
    model, x = LinearGaussian(shift=0.1, widen=2.0), linear_data()
    exact = model.exact_log_px(x)
    q_mean, q_logvar = model.encode(x)
    p_mean, p_var = model.posterior(x)
    gap = kl_divergence(Normal(q_mean, (0.5 * q_logvar).exp()), Normal(p_mean, p_var.sqrt()))
    expected_elbo = exact - gap.sum(1)
    assert gap.sum(1).min() > 0.3  # the proposal really is off
    lower = elbo_per_image(model, x, samples=20000, batch=20000)
    assert torch.allclose(lower, expected_elbo, atol=0.05)
    iwae = iwae_per_image(model, x, k=5000, batch=5000)
    assert torch.allclose(iwae, exact, atol=0.02)
    assert (iwae > expected_elbo + 0.25).all()


def test_summary_is_mean_and_standard_error():
    model, x = LinearGaussian(), linear_data(8)
    exact = model.exact_log_px(x)
    mean, stderr = iwae_log_likelihood(model, x, k=2)
    assert mean == pytest.approx(float(exact.mean()), abs=1e-5)
    assert stderr == pytest.approx(float(exact.std() / math.sqrt(8)), abs=1e-5)


def test_bits_per_dim_known_answer():
    assert bits_per_dim(-1024 * math.log(2.0), 1024) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def tiny_vae():
    """A tiny VAE trained briefly on 32x32 blobs: far from its optimum, so the posterior
    approximation is loose and the bounds are well separated."""
    torch.manual_seed(0)
    model = VAE(VAEConfig(image_size=32, channels=1, width=4, z_dim=4))
    g = torch.Generator().manual_seed(1)
    grid = torch.linspace(-1, 1, 32)
    centres = torch.rand(256, 2, generator=g) * 1.2 - 0.6
    rows = (grid[None, :, None] - centres[:, 0, None, None]) ** 2  # (N, 32, 1)
    cols = (grid[None, None, :] - centres[:, 1, None, None]) ** 2  # (N, 1, 32)
    data = (torch.exp(-(rows + cols) / 0.05) * 2 - 1)[:, None]  # (N, 1, 32, 32) in [-1, 1]
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    from artgan.models.base import Batch

    for step in range(60):
        batch = data[(step * 32) % 224 : (step * 32) % 224 + 32]
        opt.zero_grad()
        model.train_step("VAE", Batch(batch), step)["loss"].backward()
        opt.step()
    return model, data[224:]


def test_iwae_is_above_the_elbo_and_rises_with_k(tiny_vae):
    model, x = tiny_vae
    lower = elbo_per_image(model, x, samples=50, seed=3)
    bounds = {k: iwae_per_image(model, x, k=k, batch=2000, seed=3) for k in (1, 10, 300)}

    def clearly_above(a, b):  # paired over the same images: mean gap > 4 standard errors
        d = a - b
        return d.mean() > 4 * d.std() / math.sqrt(len(d))

    # IWAE_1 is an unbiased estimate of the ELBO.
    d = bounds[1] - lower
    assert d.mean().abs() < 4 * d.std() / math.sqrt(len(d)) + 0.5
    assert clearly_above(bounds[10], lower)
    assert clearly_above(bounds[300], bounds[10])


def test_same_seed_same_estimate_and_bernoulli_targets_are_binary(tiny_vae):
    model, x = tiny_vae
    a = iwae_log_likelihood(model, x[:4], k=20, seed=5)
    assert a == iwae_log_likelihood(model, x[:4], k=20, seed=5)
    assert a != iwae_log_likelihood(model, x[:4], k=20, seed=6)
    assert a.mean < 0  # a log-probability of binary images
    targets = model.likelihood_targets(x, torch.Generator().manual_seed(0))
    assert set(targets.unique().tolist()) <= {0.0, 1.0}
    assert elbo(model, x[:4], seed=5) == elbo(model, x[:4], seed=5)


def test_models_without_a_pixel_likelihood_and_bad_images_are_refused(tiny_vae):
    vaegan = VAEGAN(VAEGANConfig(image_size=32, channels=1, width=4, z_dim=4))
    with pytest.raises(ConfigError, match="no likelihood over pixels"):
        iwae_log_likelihood(vaegan, torch.zeros(2, 1, 32, 32), k=2)
    model, _ = tiny_vae
    with pytest.raises(DataError, match="model was trained on"):
        iwae_log_likelihood(model, torch.zeros(2, 3, 32, 32), k=2)
    with pytest.raises(DataError, match=r"\[-1, 1\]"):
        iwae_log_likelihood(model, torch.full((2, 1, 32, 32), 255.0), k=2)
