"""VAE-GAN (Larsen, Sønderby, Larochelle & Winther 2016, "Autoencoding beyond pixels using a
learned similarity metric").

A VAE whose decoder doubles as a GAN generator, and whose reconstruction error is measured in
the features of the GAN discriminator rather than in pixels: with Dis_l(x) the output of the
discriminator's l-th convolution, p(Dis_l(x) | z) = N(Dis_l(x~), I) with x~ = Dec(z), so

    L_prior = KL(q(z|x) || p(z))
    L_llike = 0.5 * ||Dis_l(x) - Dis_l(x~)||^2           (per image, constants dropped)
    L_GAN   = log Dis(x) + log(1 - Dis(x~)) + log(1 - Dis(Dec(z_p))),  z_p ~ p(z)

and each network follows its own rule (Algorithm 1), one trainer phase each:

    Enc: minimize beta * L_prior + L_llike        (no GAN signal reaches the encoder)
    Dec: minimize gamma / n_l * L_llike - L_GAN   (the generator's side of the game)
    Dis: maximize L_GAN                           (L_llike never updates the discriminator)

``gamma`` is counted per feature of Dis_l (n_l of them), so one value suits every image size,
width and layer: Larsen et al.'s 64x64 settings (their gamma of 1e-5 to 5e-5 on 16,384
features, with their weighting of real and fake terms) come to gamma = 0.5 to 1.6 here.

The adversarial terms come from the composed objective (losses/objective.py), so any loss
(bce = the paper's, with the non-saturating generator loss; hinge; wgan-gp ...) and its
stabilizers apply. Reconstructions and prior samples are judged as one fake batch, so the two
fake terms are averaged rather than summed. The encoder and decoder are the VAE's
(nn/autoencoder.py); the discriminator is the paper's (table 1), scaled by ``width``.
VAE-GAN has no likelihood over pixels (its reconstruction term lives in feature space), so it
reports image metrics but no nats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from ..config import DefaultsContext, ModelConfig, budget_presets
from ..errors import ConfigError
from ..losses.objective import GANObjective, ObjectiveConfig
from ..nn.autoencoder import gaussian_kl, norm1d, reparameterize
from ..nn.layers import NORMS, MinibatchStdDev, norm2d, spectral
from ..registry import MODELS
from .base import Batch, DataSpec, Phase
from .vae import AutoencodingModel, check_autoencoder_fields

D_LAYERS = 4  # convolutions in the discriminator


@dataclass
class VAEGANConfig(ModelConfig):
    name: ClassVar[str] = "vaegan"
    image_size: int = 64
    channels: int = 3
    z_dim: int = 128
    width: int = 64
    norm: str = "batch"  # encoder and decoder
    d_norm: str = "auto"  # auto: batch norm, or none with a gradient penalty / spectral norm
    spectral_norm: bool = False  # on the discriminator's layers
    beta: float = 1.0  # weight of the prior (KL) term in the encoder's loss
    gamma: float = 1.0  # weight of L_llike per Dis_l feature against the GAN loss (Dec update)
    recon_layer: int = 4  # l: the discriminator convolution (1-4) whose output is Dis_l
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)

    def __post_init__(self) -> None:
        check_autoencoder_fields(self, "vaegan")
        if self.d_norm not in (*NORMS, "auto"):
            raise ConfigError(f"model.d_norm must be one of {', '.join(NORMS)} or auto")
        if self.gamma < 0:
            raise ConfigError(f"model.gamma must be >= 0, got {self.gamma}")
        if not 1 <= self.recon_layer <= D_LAYERS:
            raise ConfigError(f"model.recon_layer must be 1..{D_LAYERS}, got {self.recon_layer}")
        if self.objective.pack != 1:
            raise ConfigError(
                "vaegan's discriminator also measures reconstructions one image at "
                "a time, so it cannot pack samples; set --model.objective.pack 1"
            )

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about an hour there; gpu: the paper's scale.
        return budget_presets(
            {
                "model.image_size": (32, 32, 64),
                "model.width": (8, 16, 64),
                "train.batch_size": (16, 32, 64),
                "train.steps": (200, 2000, 20000),
            }
        )

    def with_data(self, spec: DataSpec) -> VAEGANConfig:
        if len(spec.shape) != 3:
            raise ConfigError("vaegan needs image data; for 2-D points use --model mlp")
        self.channels = spec.shape[0]
        return self

    @property
    def resolved_d_norm(self) -> str:
        if self.d_norm != "auto":
            return self.d_norm
        if self.objective.uses_gradient_penalty or self.objective.r1_gamma or self.spectral_norm:
            return "none"
        return "batch"


class VAEGANDiscriminator(nn.Module):
    """Larsen et al.'s discriminator: a 5x5 convolution at full size, three strided 5x5
    convolutions (norm, ReLU after each), a fully connected layer of 8 width units, a logit.
    ``recon_features`` is Dis_l: the l-th convolution's output, before its norm."""

    def __init__(self, c: VAEGANConfig):
        super().__init__()
        w, sn, norm = c.width, c.spectral_norm, c.resolved_d_norm
        widths = [c.channels, max(1, w // 2), 2 * w, 4 * w, 4 * w]
        self.convs = nn.ModuleList()
        self.after = nn.ModuleList()  # norm and ReLU that follow each convolution
        for i in range(D_LAYERS):
            stride = 1 if i == 0 else 2
            self.convs.append(spectral(nn.Conv2d(widths[i], widths[i + 1], 5, stride, 2), sn))
            self.after.append(
                nn.Sequential(
                    norm2d("none" if i == 0 else norm, widths[i + 1]), nn.ReLU(inplace=True)
                )
            )
        self.recon_layer = c.recon_layer
        side = c.image_size // 2 ** max(0, c.recon_layer - 1)  # the first conv keeps the size
        self.recon_size = widths[c.recon_layer] * side * side  # n_l, the features of Dis_l
        side = c.image_size // 8
        self.mbstd = MinibatchStdDev() if c.objective.minibatch_std else None
        channels = 4 * w + (1 if self.mbstd else 0)
        self.fc = nn.Sequential(
            spectral(nn.Linear(channels * side * side, 8 * w), sn),
            norm1d(norm, 8 * w),
            nn.ReLU(inplace=True),
            spectral(nn.Linear(8 * w, 1), sn),
        )

    def recon_features(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for i in range(self.recon_layer):
            h = self.convs[i](h)
            if i + 1 < self.recon_layer:
                h = self.after[i](h)
        return h.flatten(1)  # (B, features of layer l)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for conv, after in zip(self.convs, self.after):
            h = after(conv(h))
        return h  # (B, 4w, S/8, S/8)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        if self.mbstd is not None:
            features = self.mbstd(features)
        return self.fc(features.flatten(1)).view(-1)  # (B,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@MODELS.register("vaegan")
class VAEGAN(AutoencodingModel):
    name = "vaegan"
    config_class = VAEGANConfig

    def __init__(self, config: VAEGANConfig) -> None:
        super().__init__(config)
        self.D = VAEGANDiscriminator(config)
        self.objective = GANObjective(config.objective)

    def phases(self, train) -> list[Phase]:
        betas = (train.beta1, train.beta2)
        return [
            Phase("Enc", ["encoder"], train.lr_g, betas),
            Phase("Dec", ["decoder"], train.lr_g, betas),
            Phase("Dis", ["D"], train.lr_d, betas, repeat=self.config.objective.critic_steps),
        ]

    def feature_recon(self, x: torch.Tensor, x_tilde: torch.Tensor) -> torch.Tensor:
        """L_llike: 0.5 ||Dis_l(x) - Dis_l(x~)||^2 per image, averaged over the batch. Real and
        reconstructed images pass through D together (one set of batch statistics)."""
        features = self.D.recon_features(torch.cat([x_tilde, x])).float()
        fake, real = features.chunk(2)
        return 0.5 * (fake - real.detach()).pow(2).sum(dim=1).mean()

    def _fakes(self, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """Reconstructions x~ = Dec(z), z ~ q(z|x), then samples Dec(z_p), z_p ~ p(z): (2B, ...)."""
        z = reparameterize(mu, logvar)
        z_prior = torch.randn_like(z)
        return self.to_image(self.decoder(torch.cat([z, z_prior])))

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        x = batch.x
        if phase == "Enc":
            mu, logvar = (t.float() for t in self.encoder(x))
            x_tilde = self.to_image(self.decoder(reparameterize(mu, logvar)))
            llike = self.feature_recon(x, x_tilde)
            kl = gaussian_kl(mu, logvar).mean()
            return {
                "loss": self.config.beta * kl + llike,
                "kl": kl.detach(),
                "llike": llike.detach(),
            }
        if phase == "Dec":
            with torch.no_grad():  # the decoder's update must not move the encoder
                mu, logvar = (t.float() for t in self.encoder(x))
            fakes = self._fakes(x, mu, logvar)
            llike = self.feature_recon(x, fakes[: x.shape[0]])
            adversarial = self.objective.generator_losses(self.D, fakes, real=x)
            out = {k: v for k, v in adversarial.items() if k != "loss"}
            weight = self.config.gamma / self.D.recon_size
            return {
                "loss": weight * llike + adversarial["loss"],
                **out,
                "dec_llike": llike.detach(),
            }
        with torch.no_grad():
            mu, logvar = (t.float() for t in self.encoder(x))
            fakes = self._fakes(x, mu, logvar)
        # The objective pairs real and fake rows (gradient penalty), so the real batch is shown
        # twice; with mean-reduced losses and batch statistics that changes nothing else.
        return self.objective.discriminator_losses(self.D, torch.cat([x, x]), fakes)

    def after_phase_step(self, phase: str) -> None:
        if phase == "Dis":
            self.objective.clip_weights(self.D)

    def extra_training_state(self) -> dict:
        return {"objective": self.objective.state_dict()}  # the ADA strength p

    def load_extra_training_state(self, state: dict) -> None:
        self.objective.load_state_dict(state.get("objective", {}))
