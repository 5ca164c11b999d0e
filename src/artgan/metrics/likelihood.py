"""Test log-likelihood of latent-variable models, in nats per image: the importance-weighted
bound (Burda, Grosse & Salakhutdinov 2016, "Importance Weighted Autoencoders") and the ELBO
(Kingma & Welling 2014).

    IWAE_k(x) = log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x),   z_1..z_k ~ q(z|x)

E[IWAE_k] <= log p(x) for any proposal q; E[IWAE_1] is the ELBO and E[IWAE_k] increases with
k towards log p(x) (Burda et al., theorem 1). The ELBO is computed as E_q[log p(x|z)] minus the
closed-form KL(q(z|x) || p(z)), which has less variance than the k = 1 bound.

A model qualifies when it declares ``DensityModel`` (models/capabilities.py; the VAE does, see
models/vae.py for what its nats mean):
    encode(x) -> (mu, logvar)             a diagonal Gaussian q(z|x); the prior is N(0, I)
    likelihood_targets(x, generator)      the data whose probability is measured
    log_likelihood(targets, z) -> (B,)    log p(targets | z) in nats
    likelihood_shape() -> (C, H, W)       the images it measures (None: any)
Latent noise is drawn on the CPU from seeded generators, so a seed gives the same number on
any device. Results are the mean over images and its standard error (std over images / sqrt n).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch

from ..errors import ConfigError, DataError
from ..models.capabilities import DensityModel
from ..nn.modes import evaluating


class NatsEstimate(NamedTuple):
    mean: float  # nats per image, averaged over the images
    stderr: float  # standard error of that mean (0 for a single image)


def has_likelihood(model) -> bool:
    return isinstance(model, DensityModel)


def check_likelihood_model(model) -> None:
    if not has_likelihood(model):
        raise ConfigError(
            f"a {model.name} model has no likelihood over pixels, so it has no test nats; "
            "log-likelihoods need a model with an encoder and a pixel likelihood (vae)"
        )


def summarize(values: torch.Tensor) -> NatsEstimate:
    n = values.numel()
    stderr = float(values.std(unbiased=True) / math.sqrt(n)) if n > 1 else 0.0
    return NatsEstimate(float(values.mean()), stderr)


def bits_per_dim(nats_per_image: float, dims: int) -> float:
    """Negative log-likelihood in bits per dimension (pixel and channel), the usual unit of
    image density models: -nats / (dims ln 2)."""
    return -nats_per_image / (dims * math.log(2.0))


def _check_images(model, images: torch.Tensor) -> torch.Tensor:
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or not images.is_floating_point():
        raise DataError("images must be a float tensor (N, C, H, W) with values in [-1, 1]")
    if images.numel() == 0:
        raise DataError("no images to measure")
    if images.min() < -1.0 or images.max() > 1.0:
        raise DataError("images must have values in [-1, 1] (as artgan's data loaders give)")
    expected = model.likelihood_shape()
    if expected is not None and tuple(images.shape[1:]) != tuple(expected):
        raise DataError(
            f"images are {tuple(images.shape[1:])} but the model was trained on {expected}; "
            f"load the data at image_size {expected[-1]}"
        )
    return images.detach().float().cpu()


def _device(model) -> torch.device:
    """Where a torch module's parameters are; plain density models compute on the CPU."""
    if isinstance(model, torch.nn.Module):
        return next(model.parameters(), torch.empty(0)).device
    return torch.device("cpu")


@torch.no_grad()
def _per_image(
    model,
    images: torch.Tensor,
    samples: int,
    batch: int,
    seed: int,
    reduce: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """Draw ``samples`` latents per image from q(z|x), ``batch`` (image, latent) pairs per
    decoder pass, and reduce each image's row of log p(x|z) and log p(z)/q(z|x) values."""
    check_likelihood_model(model)
    if samples < 1 or batch < 1:
        raise ConfigError("the number of samples and the batch must be at least 1")
    images = _check_images(model, images)
    module = model if isinstance(model, torch.nn.Module) else None
    with evaluating(module):
        device = _device(model)
        targets = model.likelihood_targets(images, torch.Generator().manual_seed(seed))
        noise = torch.Generator().manual_seed(seed + 1)
        per_pass = max(1, batch // samples)  # images per group (several when samples is small)
        results = []
        for start in range(0, len(images), per_pass):
            x = images[start : start + per_pass].to(device)
            t = targets[start : start + per_pass].to(device)
            mu, logvar = (v.float() for v in model.encode(x))
            std = (0.5 * logvar).exp()
            m, z_dim = mu.shape
            chunk = max(1, batch // m)
            log_px, log_ratio = [], []
            for s0 in range(0, samples, chunk):
                c = min(chunk, samples - s0)
                eps = torch.randn(m, c, z_dim, generator=noise).to(device)  # (m, c, z)
                z = mu[:, None] + std[:, None] * eps
                t_rep = t[:, None].expand(m, c, *t.shape[1:]).reshape(m * c, *t.shape[1:])
                lp = model.log_likelihood(t_rep, z.reshape(m * c, z_dim))
                log_px.append(lp.double().view(m, c))
                # log p(z) - log q(z|x) for z = mu + std * eps: the 2 pi terms cancel.
                ratio = 0.5 * (eps.pow(2) - z.pow(2)).sum(-1) + (0.5 * logvar).sum(-1)[:, None]
                log_ratio.append(ratio.double())
            results.append(
                reduce(torch.cat(log_px, 1), torch.cat(log_ratio, 1), _kl(mu, logvar)).cpu()
            )
    return torch.cat(results)


def _kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).double().sum(dim=1)  # (m,)


def iwae_per_image(
    model, images: torch.Tensor, k: int = 5000, batch: int = 1000, seed: int = 0
) -> torch.Tensor:
    """The IWAE bound with ``k`` importance samples for each image: (N,) float64 nats."""

    def reduce(log_px, log_ratio, kl):
        return torch.logsumexp(log_px + log_ratio, dim=1) - math.log(log_px.shape[1])

    return _per_image(model, images, k, batch, seed, reduce)


def elbo_per_image(
    model, images: torch.Tensor, samples: int = 10, batch: int = 1000, seed: int = 0
) -> torch.Tensor:
    """The ELBO of each image, E_q[log p(x|z)] from ``samples`` draws minus the exact KL:
    (N,) float64 nats."""

    def reduce(log_px, log_ratio, kl):
        return log_px.mean(dim=1) - kl

    return _per_image(model, images, samples, batch, seed, reduce)


def iwae_log_likelihood(
    model, images: torch.Tensor, k: int = 5000, batch: int = 1000, seed: int = 0
) -> NatsEstimate:
    """Test log-likelihood in nats per image (mean, standard error), estimated with the IWAE
    bound with ``k`` importance samples; ``batch`` (image, sample) pairs go through the decoder
    at once. ``images``: (N, C, H, W) in [-1, 1], the held-out split. ``seed`` fixes the
    binarization/dequantization of the images and the latent draws."""
    return summarize(iwae_per_image(model, images, k, batch, seed))


def elbo(
    model, images: torch.Tensor, samples: int = 10, batch: int = 1000, seed: int = 0
) -> NatsEstimate:
    """The evidence lower bound in nats per image (mean, standard error). With the same
    ``seed`` it measures the same binarized/dequantized images as :func:`iwae_log_likelihood`."""
    return summarize(elbo_per_image(model, images, samples, batch, seed))


__all__ = [
    "NatsEstimate",
    "bits_per_dim",
    "elbo",
    "elbo_per_image",
    "has_likelihood",
    "iwae_log_likelihood",
    "iwae_per_image",
]
