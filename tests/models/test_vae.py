"""VAE and VAE-GAN specifics beyond the shared model checks: the likelihood maths against
torch.distributions, the loss terms, and Larsen et al.'s rule of which signal reaches which
network."""

import math

import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from artgan.config import TrainConfig
from artgan.errors import ConfigError
from artgan.losses.objective import ObjectiveConfig
from artgan.models.base import Batch
from artgan.models.vae import VAE, VAEConfig, dequantize
from artgan.models.vaegan import VAEGAN, VAEGANConfig
from artgan.nn.autoencoder import gaussian_kl


def tiny_vae(**options) -> VAE:
    torch.manual_seed(0)
    return VAE(VAEConfig(image_size=32, channels=1, width=4, z_dim=6, **options))


def images(n: int = 4, channels: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    levels = torch.randint(0, 256, (n, channels, 32, 32), generator=g).float()
    return levels / 127.5 - 1.0  # 8-bit images in [-1, 1], as the loaders give


def test_kl_matches_torch_distributions():
    mu, logvar = torch.randn(5, 3), torch.randn(5, 3)
    q, prior = Normal(mu, (0.5 * logvar).exp()), Normal(torch.zeros(3), torch.ones(3))
    assert torch.allclose(gaussian_kl(mu, logvar), kl_divergence(q, prior).sum(1), atol=1e-5)


def test_bernoulli_log_likelihood_is_the_binary_log_probability():
    model = tiny_vae()
    z = torch.randn(4, 6)
    targets = model.likelihood_targets(images(), torch.Generator().manual_seed(1))
    logits = model.decoder(z)
    expected = Bernoulli(logits=logits).log_prob(targets).flatten(1).sum(1)
    assert torch.allclose(model.log_likelihood(targets, z), expected, atol=1e-3)


def test_gaussian_log_likelihood_is_per_grey_level_density():
    model = tiny_vae(likelihood="gaussian", sigma=0.05)
    z = torch.randn(4, 6)
    targets = model.likelihood_targets(images(), torch.Generator().manual_seed(1))
    mean = torch.sigmoid(model.decoder(z))
    density = Normal(mean, 0.05).log_prob(targets).flatten(1).sum(1)
    expected = density - 32 * 32 * math.log(256.0)  # a density per 1/256 of [0, 1]
    assert torch.allclose(model.log_likelihood(targets, z), expected, atol=1e-2)


def test_dequantized_pixels_stay_in_their_grey_level():
    x = images()
    levels = (x + 1) * 127.5
    y = dequantize(x, torch.rand_like(x))
    assert torch.all(y * 256 >= levels.round() - 1e-4)
    assert torch.all(y * 256 < levels.round() + 1)


def test_loss_is_reconstruction_plus_beta_kl_and_sigma_is_learned():
    model = tiny_vae(likelihood="gaussian", beta=4.0)
    torch.manual_seed(3)
    out = model.train_step("VAE", Batch(images()), 0)
    assert out["loss"].item() == pytest.approx(out["recon"].item() + 4 * out["kl"].item(), rel=1e-5)
    assert out["elbo"].item() == pytest.approx(-(out["recon"] + out["kl"]).item(), rel=1e-5)
    out["loss"].backward()
    assert model.decoder.log_sigma.grad is not None and out["sigma"].item() == pytest.approx(0.1)


def test_reconstruct_and_sample_are_images_in_range():
    model = tiny_vae()
    x = images(3)
    recon = model.reconstruct(x)
    assert recon.shape == x.shape and recon.min() >= -1 and recon.max() <= 1
    assert torch.equal(recon, model.reconstruct(x))  # the posterior mean: no noise
    assert torch.equal(model.generate(model.latents(2, seed=4)), model.sample(2, seed=4))


@pytest.mark.parametrize(
    "options, message",
    [
        ({"likelihood": "poisson"}, "model.likelihood must be one of bernoulli, gaussian"),
        ({"sigma": 1.5}, "model.sigma must be in [0, 1)"),
        ({"image_size": 48}, "vae supports image sizes 32, 64"),
        ({"beta": -1.0}, "model.beta must be >= 0"),
    ],
)
def test_bad_vae_configs_are_refused(options, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(")", r"\)")):
        VAEConfig(**options)


def test_vaegan_refuses_packing_and_bad_layers():
    with pytest.raises(ConfigError, match="cannot pack"):
        VAEGANConfig(objective=ObjectiveConfig(pack=2))
    with pytest.raises(ConfigError, match="recon_layer must be 1..4"):
        VAEGANConfig(recon_layer=5)


def tiny_vaegan(**options) -> VAEGAN:
    torch.manual_seed(0)
    return VAEGAN(VAEGANConfig(image_size=32, channels=1, width=4, z_dim=6, **options))


def grads(module) -> bool:
    return any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())


@pytest.mark.parametrize(
    "phase, reaches",
    [
        ("Enc", {"encoder": True, "D": True}),  # L_llike flows through D, which Enc does not step
        ("Dec", {"encoder": False, "decoder": True}),
        ("Dis", {"encoder": False, "decoder": False, "D": True}),
    ],
)
def test_vaegan_phases_route_signals_as_larsen_et_al(phase, reaches):
    model = tiny_vaegan()
    assert [p.name for p in model.phases(TrainConfig())] == ["Enc", "Dec", "Dis"]
    model.zero_grad(set_to_none=True)
    model.train_step(phase, Batch(images(4)), 0)["loss"].backward()
    for name, expected in reaches.items():
        assert grads(getattr(model, name)) == expected, name


def test_vaegan_feature_reconstruction_is_half_squared_distance_at_layer_l():
    model = tiny_vaegan(recon_layer=2)
    model.eval()
    x = images(2)
    assert model.feature_recon(x, x).item() == 0.0
    y = images(2).flip(0)
    f = model.D.recon_features(torch.cat([y, x]))
    assert f.shape == (4, 8 * 16 * 16)  # the second conv: 2 width channels at half size
    assert model.D.recon_size == f.shape[1]
    expected = 0.5 * (f[:2] - f[2:]).pow(2).sum(1).mean()
    assert model.feature_recon(x, y).item() == pytest.approx(expected.item(), rel=1e-5)


def test_vaegan_trains_with_a_gradient_penalty_objective():
    model = tiny_vaegan(objective=ObjectiveConfig(loss="wgan-gp"))
    assert model.config.resolved_d_norm == "none"
    out = model.train_step("Dis", Batch(images(4)), 0)
    assert torch.isfinite(out["loss"]) and "gp" in out
