"""WaveGAN (Donahue, McAuley & Puckette 2019, "Adversarial Audio Synthesis").

DCGAN flattened to one dimension for raw audio: the generator maps z through a dense layer to
16 steps of 16d channels (32d for longer clips), then transposed convolutions of length 25 and
stride 4 (the last one stride 2 for 32,768 samples) each multiply the length by the stride and
halve the channels, with ReLU between and tanh at the end: 16,384 samples at 16 kHz (about
1 s), or 32,768 / 65,536 with one more layer (the authors' later release). The discriminator is
its mirror: strided convolutions of length 25 with LeakyReLU(0.2), each but the last followed by
phase shuffle, then a dense layer to one score. No batch normalisation, as in the paper.

Phase shuffle (paper section 3.3) moves each example's activations by a random whole number of
samples in [-n, n] (n = 2), filling the edge by reflection, so the discriminator cannot judge a
sound by the phase of its periodic artefacts. It is drawn per example (the paper's text; the
authors' code draws one shift per batch) and only while training.

The objective is composed as for every artgan GAN (losses/objective.py); this family's default
is the paper's, WGAN-GP with lambda 10 and five critic steps per generator step. The paper trains
with Adam (lr 1e-4, betas 0.5 and 0.9, batch 64): ``run_defaults``. Latents are standard
normal like every artgan GAN (the paper draws z from U(-1, 1)^100), so interpolation and
truncation work alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..audio import SAMPLE_RATE
from ..config import DefaultsContext, ModelConfig, budget_presets
from ..errors import ConfigError
from ..losses.objective import ObjectiveConfig
from ..nn.layers import MinibatchStdDev, spectral
from ..registry import MODELS
from .base import DataSpec
from .capabilities import AudioGenerator
from .gan import GAN

# Strides of the up/down-sampling layers for each clip length, from the 16-step base.
STRIDES = {16_384: (4, 4, 4, 4, 4), 32_768: (4, 4, 4, 4, 4, 2), 65_536: (4, 4, 4, 4, 4, 4)}
BASE_STEPS = 16


@dataclass
class WaveGANObjectiveConfig(ObjectiveConfig):
    loss: str = "wgan-gp"  # the paper's objective


@dataclass
class WaveGANConfig(ModelConfig):
    name: ClassVar[str] = "wavegan"
    clip_length: int = 16_384  # samples at 16 kHz: 16384, 32768 or 65536
    z_dim: int = 100
    width: int = 64  # d: the generator's last hidden layer has d channels, its first 16d (32d)
    d_width: int = 0  # the discriminator's d; 0 = same as width
    kernel: int = 25
    phase_shuffle: int = 2  # n: shift D's activations by up to n samples (0 = off)
    spectral_norm: bool = False  # on the discriminator's layers
    objective: WaveGANObjectiveConfig = field(default_factory=WaveGANObjectiveConfig)

    def __post_init__(self) -> None:
        if self.clip_length not in STRIDES:
            raise ConfigError(
                f"wavegan makes clips of {', '.join(map(str, STRIDES))} samples, "
                f"got {self.clip_length}"
            )
        if self.z_dim < 1 or self.width < 1 or self.d_width < 0:
            raise ConfigError("model.z_dim and model.width must be positive")
        if self.kernel < 4:
            raise ConfigError(f"model.kernel must be at least 4 (the stride), got {self.kernel}")
        if self.phase_shuffle < 0:
            raise ConfigError(f"model.phase_shuffle must be >= 0, got {self.phase_shuffle}")

    @property
    def item_length(self) -> int:
        return self.clip_length

    @property
    def channel_multiplier(self) -> int:
        return 16 if self.clip_length == 16_384 else 32

    @classmethod
    def run_defaults(cls, context: DefaultsContext) -> dict[str, Any]:
        # The paper's optimiser (Adam 1e-4, betas 0.5/0.9) and batch of 64, without weight
        # averaging (the train section's defaults are DCGAN's).
        return {
            "train.lr_g": 1e-4,
            "train.lr_d": 1e-4,
            "train.beta1": 0.5,
            "train.beta2": 0.9,
            "train.batch_size": 64,
            "train.ema_decay": 0.0,
        }

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about an hour there; gpu: the paper's scale.
        return budget_presets(
            {
                "model.width": (4, 8, 64),
                "train.batch_size": (16, 32, 64),
                "train.steps": (100, 1000, 20000),
            }
        )

    def with_data(self, spec: DataSpec) -> WaveGANConfig:
        if tuple(spec.shape) != (1, self.clip_length):
            raise ConfigError(
                f"wavegan needs mono audio clips of {self.clip_length} samples (a folder of "
                f"WAV/FLAC/OGG files or spoken_digits), got items of shape {tuple(spec.shape)}"
            )
        return self


def same_padding(kernel: int, stride: int) -> tuple[int, int]:
    """(padding, output_padding) making a stride-s (transposed) convolution divide (multiply)
    the length by exactly s, for any kernel length >= s."""
    padding = (kernel - stride + 1) // 2
    return padding, 2 * padding - (kernel - stride)


class PhaseShuffle(nn.Module):
    """Shift each example by a random integer in [-n, n] samples, reflecting at the edges."""

    def __init__(self, radius: int):
        super().__init__()
        self.radius = radius

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = self.radius
        if r == 0 or not self.training:
            return x
        b, c, length = x.shape  # (B, C, L)
        shift = torch.randint(-r, r + 1, (b,), device=x.device)
        padded = F.pad(x, (r, r), mode="reflect")  # (B, C, L + 2r); padded[j] = x[j - r]
        index = (r - shift)[:, None] + torch.arange(length, device=x.device)  # (B, L)
        return padded.gather(2, index[:, None, :].expand(b, c, length))  # out[t] = x[t - shift]


def glorot_init(module: nn.Module) -> None:
    """Glorot-uniform weights and zero biases, the initialisation of the authors' TensorFlow
    code (PyTorch's default leaves biases that can silence every ReLU of a narrow network)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d, nn.Linear)):
            weight = getattr(m, "parametrizations", None)
            nn.init.xavier_uniform_(weight.weight.original if weight is not None else m.weight)
            nn.init.zeros_(m.bias)


class WaveGANGenerator(nn.Module):
    def __init__(self, c: WaveGANConfig):
        super().__init__()
        channels = c.width * c.channel_multiplier
        self.z_dim, self.base_channels = c.z_dim, channels
        self.dense = nn.Linear(c.z_dim, BASE_STEPS * channels)
        layers: list[nn.Module] = []
        strides = STRIDES[c.clip_length]
        for i, stride in enumerate(strides):
            last = i == len(strides) - 1
            out = 1 if last else channels // 2
            padding, output_padding = same_padding(c.kernel, stride)
            layers.append(
                nn.ConvTranspose1d(channels, out, c.kernel, stride, padding, output_padding)
            )
            layers.append(nn.Tanh() if last else nn.ReLU(inplace=True))
            channels = out
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.dense(z).view(z.shape[0], self.base_channels, BASE_STEPS)  # (B, 16d, 16)
        return self.net(F.relu(h))  # (B, 1, T)


class WaveGANDiscriminator(nn.Module):
    def __init__(self, c: WaveGANConfig):
        super().__init__()
        width, sn = c.d_width or c.width, c.spectral_norm
        strides = STRIDES[c.clip_length]
        layers: list[nn.Module] = []
        channels_in = c.objective.pack  # PacGAN: packed clips arrive as channels
        for i, stride in enumerate(strides):
            out = width * 2**i  # d, 2d, 4d, 8d, 16d (, 32d)
            padding, _ = same_padding(c.kernel, stride)
            layers += [
                spectral(nn.Conv1d(channels_in, out, c.kernel, stride, padding), sn),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            if i < len(strides) - 1:
                layers.append(PhaseShuffle(c.phase_shuffle))
            channels_in = out
        self.body = nn.Sequential(*layers)
        self.mbstd = MinibatchStdDev() if c.objective.minibatch_std else None
        features = (channels_in + (1 if self.mbstd else 0)) * BASE_STEPS
        self.out = spectral(nn.Linear(features, 1), sn)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)  # (B, 16d or 32d, 16)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        if self.mbstd is not None:
            features = self.mbstd(features)
        return self.out(features.flatten(1)).view(-1)  # (B,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@MODELS.register("wavegan")
class WaveGAN(GAN, AudioGenerator):
    name = "wavegan"
    config_class = WaveGANConfig
    output_kind = "audio"
    sample_rate = SAMPLE_RATE

    def build_networks(self):
        G, D = WaveGANGenerator(self.config), WaveGANDiscriminator(self.config)
        glorot_init(G)
        glorot_init(D)
        return G, D
