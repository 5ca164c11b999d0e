"""The adversarial game shared by every GAN architecture (Goodfellow et al. 2014).

A family subclass builds ``G`` and ``D``; this class owns the two phases (discriminator then
generator), the composed objective (losses/objective.py), and latent sampling. ``D`` must offer
``features(x)`` and ``head(features)`` with ``D(x) == D.head(D.features(x))``.
"""

from __future__ import annotations

import torch

from ..losses.objective import GANObjective
from .base import Batch, GenerativeModel, Phase, make_generator


class GAN(GenerativeModel):
    def __init__(self, config) -> None:
        super().__init__(config)
        self.G, self.D = self.build_networks()
        self.objective = GANObjective(config.objective)

    def build_networks(self) -> tuple[torch.nn.Module, torch.nn.Module]:
        raise NotImplementedError

    # --- latent space ---------------------------------------------------------------------
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
        """Standard normal latents drawn on the CPU (same seed, same z on any device).
        ``truncation`` t > 0 resamples components outside [-t, t] (Brock et al. 2019)."""
        g = make_generator(seed, generator)
        z = torch.randn(n, self.z_dim, generator=g)
        if truncation and truncation > 0:
            outside = z.abs() > truncation
            while outside.any():
                z[outside] = torch.randn(int(outside.sum()), generator=g)
                outside = z.abs() > truncation
        return z

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.G(z.to(self.device))

    @torch.no_grad()
    def sample(
        self,
        n: int,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        truncation: float = 0.0,
        batch_size: int = 256,
        **_: object,
    ) -> torch.Tensor:
        """``n`` samples in [-1, 1], deterministic by ``seed``; returned on the CPU."""
        was_training = self.training
        self.eval()
        z = self.latents(n, seed, generator, truncation)
        out = [self.generate(chunk).float().cpu() for chunk in z.split(batch_size)]
        self.train(was_training)
        return torch.cat(out)

    # --- training -------------------------------------------------------------------------
    def phases(self, train) -> list[Phase]:
        betas = (train.beta1, train.beta2)
        return [
            Phase("D", ["D"], train.lr_d, betas, repeat=self.config.objective.critic_steps),
            Phase("G", ["G"], train.lr_g, betas),
        ]

    def ema_modules(self) -> list[str]:
        return ["G"]

    def _noise(self, batch: Batch) -> torch.Tensor:
        return torch.randn(batch.x.shape[0], self.z_dim, device=batch.x.device)

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        if phase == "D":
            with torch.no_grad():
                fake = self.G(self._noise(batch))
            return self.objective.discriminator_losses(self.D, batch.x, fake)
        fake = self.G(self._noise(batch))
        return self.objective.generator_losses(self.D, fake, real=batch.x)

    def after_phase_step(self, phase: str) -> None:
        if phase == "D":
            self.objective.clip_weights(self.D)
