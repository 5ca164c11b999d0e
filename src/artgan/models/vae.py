"""Variational autoencoder (Kingma & Welling 2014, "Auto-Encoding Variational Bayes").

A convolutional encoder gives a diagonal Gaussian posterior q(z|x); the prior is N(0, I); a
convolutional decoder gives p(x|z) over pixels (networks in nn/autoencoder.py). Training
minimizes the negative ELBO, -E_q[log p(x|z)] + beta * KL(q(z|x) || p(z)), with one
reparameterized sample per image; beta != 1 is the beta-VAE of Higgins et al. 2017.

The pixel likelihood, and what a log-likelihood in nats means for each:

- ``bernoulli``: p(x|z) = prod_i Bernoulli(x_i; sigmoid(out_i)) over pixels in [0, 1]
  (the paper's choice for images). Training uses grey values as soft targets, which is exactly
  the expected loss under dynamic binarization (x_i ~ Bernoulli(grey_i)), with less variance.
  Likelihoods are measured on binarized images (fixed seed), where p(x) is a probability.
- ``gaussian``: p(x|z) = prod_i N(x_i; sigmoid(out_i), sigma^2), with one learned sigma
  (Rybkin et al. 2021, "Simple and Effective VAE Training with Calibrated Decoders") or a fixed
  one. Pixels are dequantized, x = (k + u) / 256 with u ~ U[0, 1) (Theis et al. 2016), and the
  density is measured per grey level (minus log 256 per pixel), so log p is a lower bound on the
  log-probability of the 8-bit image and comparable with discrete models.

Samples and reconstructions show the decoder's mean, sigmoid(out), mapped to [-1, 1].
The encoder/decoder pair shared with the VAE-GAN lives in :class:`AutoencodingModel`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..config import DefaultsContext, ModelConfig, budget_presets
from ..errors import ConfigError
from ..nn.autoencoder import ConvDecoder, ConvEncoder, gaussian_kl, reparameterize
from ..nn.layers import NORMS
from ..nn.modes import evaluating
from ..registry import MODELS
from .base import Batch, DataSpec, GenerativeModel, Phase, make_generator
from .capabilities import DensityModel, Encoder, LatentGenerator
from .truncation import truncated_normal

SIZES = (32, 64)
LIKELIHOODS = ("bernoulli", "gaussian")
LOG_256 = math.log(256.0)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def check_autoencoder_fields(c, family: str) -> None:
    """Validation shared by the VAE and VAE-GAN configs."""
    if c.image_size not in SIZES:
        raise ConfigError(
            f"{family} supports image sizes {', '.join(map(str, SIZES))}, got {c.image_size}"
        )
    if c.channels not in (1, 3):
        raise ConfigError(f"channels must be 1 or 3, got {c.channels}")
    if c.z_dim < 1 or c.width < 2:
        raise ConfigError("z_dim must be at least 1 and width at least 2")
    if c.norm not in NORMS:
        raise ConfigError(f"model.norm must be one of {', '.join(NORMS)}, got {c.norm!r}")
    if c.beta < 0:
        raise ConfigError(f"model.beta must be >= 0, got {c.beta}")


@dataclass
class VAEConfig(ModelConfig):
    name: ClassVar[str] = "vae"
    image_size: int = 32
    channels: int = 3
    z_dim: int = 32
    width: int = 32  # encoder channels of the first layer (Larsen et al. use 64)
    norm: str = "none"  # none keeps p(x|z) independent of the batch (and of the EMA's buffers)
    likelihood: str = "bernoulli"  # bernoulli | gaussian
    beta: float = 1.0  # weight of the KL term (1 = the ELBO; > 1 = beta-VAE)
    sigma: float = 0.0  # gaussian: fixed pixel std in [0, 1] units; 0 = learned

    def __post_init__(self) -> None:
        check_autoencoder_fields(self, "vae")
        if self.likelihood not in LIKELIHOODS:
            raise ConfigError(
                f"model.likelihood must be one of {', '.join(LIKELIHOODS)}, got {self.likelihood!r}"
            )
        if self.sigma < 0 or self.sigma >= 1:
            raise ConfigError(f"model.sigma must be in [0, 1) (0 = learned), got {self.sigma}")

    @classmethod
    def run_defaults(cls, context: DefaultsContext) -> dict[str, Any]:
        # Adam as VAEs are usually trained, instead of the GAN players' 2e-4 and beta1 0.5
        # (which train a VAE markedly slower).
        return {"train.lr_g": 1e-3, "train.beta1": 0.9}

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about an hour there; gpu: the paper's scale.
        return budget_presets(
            {
                "model.image_size": (32, 32, 32),
                "model.width": (16, 32, 64),
                "train.batch_size": (64, 64, 128),
                "train.steps": (500, 5000, 20000),
            }
        )

    def with_data(self, spec: DataSpec) -> VAEConfig:
        if len(spec.shape) != 3:
            raise ConfigError("vae needs image data; for 2-D points use --model mlp")
        self.channels = spec.shape[0]
        return self


def prior_latents(
    n: int,
    z_dim: int,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    truncation: float = 0.0,
    method: str = "resample",
) -> torch.Tensor:
    """N(0, I) latents drawn on the CPU (same seed, same z on any device). ``truncation``
    t > 0 narrows them by ``method`` (see models/truncation.py)."""
    return truncated_normal(n, z_dim, make_generator(seed, generator), truncation, method)


class AutoencodingModel(GenerativeModel, LatentGenerator, Encoder):
    """An encoder q(z|x) and a decoder from z to images, with a standard normal prior:
    latent sampling, generation, encoding and reconstruction. Subclasses add the objective."""

    # A lower prior temperature (z -> T z), the usual truncation of likelihood models (Kingma &
    # Dhariwal 2018; Vahdat & Kautz 2020); bench/truncation.py found it less harmful than
    # resampling here (vae at T 0.7: FID 105 against 121; off: 88)
    truncation_method = "scale"

    def __init__(self, config) -> None:
        super().__init__(config)
        c = config
        self.encoder = ConvEncoder(c.channels, c.image_size, c.width, c.z_dim, c.norm)
        self.decoder = self.build_decoder()

    def build_decoder(self) -> nn.Module:
        c = self.config
        return ConvDecoder(c.channels, c.image_size, c.width, c.z_dim, c.norm)

    @property
    def z_dim(self) -> int:
        return self.config.z_dim

    def latents(
        self,
        n: int,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        truncation: float = 0.0,
    ) -> torch.Tensor:
        return prior_latents(n, self.z_dim, seed, generator, truncation, self.truncation_method)

    @staticmethod
    def to_image(out: torch.Tensor) -> torch.Tensor:
        """Decoder outputs -> the mean image in [-1, 1] (2 sigmoid(a) - 1 = tanh(a / 2))."""
        return torch.sigmoid(out.float()) * 2.0 - 1.0

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.to_image(self.decoder(z.to(self.device)))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images in [-1, 1] -> the posterior's mean and log-variance, each (B, z_dim)."""
        mu, logvar = self.encoder(x.to(self.device))
        return mu.float(), logvar.float()

    @torch.no_grad()
    def draw(
        self,
        n: int,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        truncation: float = 0.0,
        batch_size: int = 256,
    ) -> torch.Tensor:
        """Decoder means of ``n`` prior latents, in [-1, 1], deterministic by ``seed``; on
        the CPU."""
        with evaluating(self):
            z = self.latents(n, seed, generator, truncation)
            out = [self.generate(chunk).cpu() for chunk in z.split(batch_size)]
        return torch.cat(out)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """Decode the posterior mean of each image: (N, C, H, W) in [-1, 1], on the CPU."""
        with evaluating(self):
            out = [self.generate(self.encode(chunk)[0]).cpu() for chunk in x.split(batch_size)]
        return torch.cat(out)

    def ema_modules(self) -> list[str]:
        # The encoder is averaged with the decoder so reconstructions and likelihoods use one
        # consistent model.
        return ["encoder", "decoder"]


class PixelDecoder(nn.Module):
    """p(x|z): the convolutional decoder plus, for a Gaussian, its scale (learned or fixed)."""

    def __init__(self, c: VAEConfig):
        super().__init__()
        self.net = ConvDecoder(c.channels, c.image_size, c.width, c.z_dim, c.norm)
        if c.likelihood == "gaussian" and c.sigma > 0:
            self.register_buffer("log_sigma", torch.tensor(math.log(c.sigma)))
        elif c.likelihood == "gaussian":
            # Learned; it starts at 0.1, about the pixel error of an untrained decoder.
            self.log_sigma = nn.Parameter(torch.tensor(math.log(0.1)))
        else:
            self.log_sigma = None

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


@MODELS.register("vae")
class VAE(AutoencodingModel, DensityModel):
    name = "vae"
    config_class = VAEConfig
    # bench/truncation.py: FID and KID worse at every T, scale or resample (BENCHMARKS.md)
    truncation_helps = False

    def build_decoder(self) -> nn.Module:
        return PixelDecoder(self.config)

    # --- the likelihood -------------------------------------------------------------------
    @property
    def bernoulli(self) -> bool:
        return self.config.likelihood == "bernoulli"

    def training_targets(self, x: torch.Tensor) -> torch.Tensor:
        """What the decoder is trained to explain: grey values in [0, 1] as soft Bernoulli
        targets, or freshly dequantized pixels for the Gaussian."""
        if self.bernoulli:
            return ((x + 1.0) * 0.5).clamp(0.0, 1.0)
        return dequantize(x, torch.rand_like(x))

    def likelihood_targets(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """The data whose probability is measured: binarized (bernoulli) or dequantized
        (gaussian) images, from uniform noise drawn on the CPU with ``generator``."""
        u = torch.rand(x.shape, generator=generator).to(x.device)
        if self.bernoulli:
            return (u < (x + 1.0) * 0.5).float()
        return dequantize(x, u)

    def likelihood_shape(self) -> tuple[int, ...]:
        c = self.config
        return (c.channels, c.image_size, c.image_size)

    def log_likelihood(self, targets: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(targets | z) per image, in nats: (B,)."""
        out = self.decoder(z.to(self.device)).float()
        if self.bernoulli:
            nll = F.binary_cross_entropy_with_logits(out, targets, reduction="none")
            return -nll.flatten(1).sum(1)
        log_sigma = self.decoder.log_sigma.float()
        mean = torch.sigmoid(out)
        per_pixel = -0.5 * ((targets - mean) * torch.exp(-log_sigma)) ** 2
        # Densities per grey level (1/256 of [0, 1]) so the number bounds the 8-bit log-probability.
        constant = -(log_sigma + HALF_LOG_2PI + LOG_256)
        return per_pixel.flatten(1).sum(1) + constant * targets[0].numel()

    # --- training -------------------------------------------------------------------------
    def phases(self, train) -> list[Phase]:
        return [Phase("VAE", ["encoder", "decoder"], train.lr_g, (train.beta1, train.beta2))]

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        x = batch.x
        mu, logvar = self.encoder(x)
        mu, logvar = mu.float(), logvar.float()
        z = reparameterize(mu, logvar)
        recon = -self.log_likelihood(self.training_targets(x), z).mean()
        kl = gaussian_kl(mu, logvar).mean()
        out = {
            "loss": recon + self.config.beta * kl,
            "recon": recon.detach(),
            "kl": kl.detach(),
            "elbo": -(recon + kl).detach(),
        }
        if self.decoder.log_sigma is not None:
            out["sigma"] = self.decoder.log_sigma.detach().exp()
        return out


def dequantize(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] (from 8-bit data) plus uniform noise u in [0, 1) -> (k + u) / 256."""
    levels = ((x + 1.0) * 127.5).round().clamp(0.0, 255.0)
    return (levels + u) / 256.0
