"""Convolutional encoder and decoder shared by the VAE and the VAE-GAN, after the 64x64
architecture of Larsen et al. 2016 ("Autoencoding beyond pixels using a learned similarity
metric", table 1), scaled by ``width`` (their ``width`` is 64):

    encoder  3 x [5x5 conv stride 2, norm, ReLU] with width, 2 width, 4 width channels,
             then a fully connected layer of 16 width units, norm, ReLU, and a linear map to
             the posterior's mean and log-variance (Kingma & Welling 2014)
    decoder  a fully connected layer to 4 width x (size/8)^2, norm, ReLU,
             3 x [5x5 transposed conv stride 2, norm, ReLU] with 4 width, 2 width, width/2
             channels, then a 5x5 conv to the image's channels (raw outputs, no squashing)

The same layout serves 32x32 and 64x64 images (the feature map is size/8 on a side).
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import norm2d


def norm1d(kind: str, features: int) -> nn.Module:
    """The fully connected layers' counterpart of :func:`norm2d` (instance norm has none, so
    it maps to layer norm there)."""
    if kind == "batch":
        return nn.BatchNorm1d(features)
    if kind in ("layer", "instance"):
        return nn.LayerNorm(features)
    return nn.Identity()


def down_block(cin: int, cout: int, norm: str) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 5, stride=2, padding=2, bias=norm == "none"),
        norm2d(norm, cout),
        nn.ReLU(inplace=True),
    )


def up_block(cin: int, cout: int, norm: str) -> nn.Sequential:
    # padding 2 + output_padding 1 doubles the side exactly with a 5x5 kernel.
    return nn.Sequential(
        nn.ConvTranspose2d(
            cin, cout, 5, stride=2, padding=2, output_padding=1, bias=norm == "none"
        ),
        norm2d(norm, cout),
        nn.ReLU(inplace=True),
    )


class ConvEncoder(nn.Module):
    """Image (B, C, S, S) in [-1, 1] -> posterior mean and log-variance, each (B, z_dim)."""

    def __init__(self, channels: int, image_size: int, width: int, z_dim: int, norm: str):
        super().__init__()
        side = image_size // 8
        self.body = nn.Sequential(
            down_block(channels, width, norm),
            down_block(width, 2 * width, norm),
            down_block(2 * width, 4 * width, norm),
        )
        self.fc = nn.Sequential(
            nn.Linear(4 * width * side * side, 16 * width, bias=norm == "none"),
            norm1d(norm, 16 * width),
            nn.ReLU(inplace=True),
        )
        self.posterior = nn.Linear(16 * width, 2 * z_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x).flatten(1)  # (B, 4 width * side * side)
        mu, logvar = self.posterior(self.fc(h)).chunk(2, dim=1)  # (B, z_dim) each
        return mu, logvar


class ConvDecoder(nn.Module):
    """Latent (B, z_dim) -> raw image-shaped outputs (B, C, S, S); the model decides what they
    mean (Bernoulli logits, a Gaussian mean before a sigmoid, or pixels before a tanh)."""

    def __init__(self, channels: int, image_size: int, width: int, z_dim: int, norm: str):
        super().__init__()
        self.side = image_size // 8
        self.start = 4 * width
        self.fc = nn.Sequential(
            nn.Linear(z_dim, self.start * self.side * self.side, bias=norm == "none"),
            norm1d(norm, self.start * self.side * self.side),
            nn.ReLU(inplace=True),
        )
        last = max(1, width // 2)
        self.body = nn.Sequential(
            up_block(4 * width, 4 * width, norm),
            up_block(4 * width, 2 * width, norm),
            up_block(2 * width, last, norm),
            nn.Conv2d(last, channels, 5, padding=2),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(z.shape[0], self.start, self.side, self.side)  # (B, 4w, s, s)
        return self.body(h)  # (B, C, S, S)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps, eps ~ N(0, I): a sample of q(z|x) that gradients flow through."""
    return mu + torch.randn_like(mu) * (0.5 * logvar).exp()


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp logvar)) || N(0, I)) per row, in nats (Kingma & Welling 2014, app. B)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)  # (B,)
