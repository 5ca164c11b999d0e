"""SEGAN (Pascual, Bonafonte & Serrà 2017, "SEGAN: Speech Enhancement Generative Adversarial
Network", Interspeech).

Speech denoising on the raw 16 kHz waveform, window by window (16,384 samples, about 1 s):

- the generator is a fully convolutional encoder-decoder. The encoder has 11 strided 1-D
  convolutions (length 31, stride 2, PReLU) with 16-32-32-64-64-128-128-256-256-512-1024
  channels (``width`` times ``CHANNEL_STEPS``), taking 16384 x 1 to 8 x 1024; a latent z of
  the same shape, drawn from N(0, I), is concatenated to it at the bottleneck; the decoder
  mirrors the encoder, doubling the length at each layer, and a skip connection concatenates each
  encoder layer's output to the decoder layer of the same length. tanh at the end.
- the discriminator is conditional: it judges the pair (noisy, clean) against (noisy,
  enhanced), stacked as two channels, through the encoder's layout (LeakyReLU 0.3), then a 1x1
  convolution to one channel and a dense layer to one score.
- the loss is least squares (LSGAN, Mao et al. 2017) plus L1 to the clean wave with lambda 100:
  min_G 1/2 E[(D(G(z, x~), x~) - 1)^2] + 100 |G(z, x~) - x|_1.
- a pre-emphasis filter (0.95) is applied to the input and the target; the output is
  de-emphasised.

Differences from the paper, and why:

- **Virtual batch norm -> spectral normalisation.** The paper normalises D with virtual batch
  norm (Salimans et al. 2016) so that D's score of one pair does not depend on the rest of its
  batch. VBN does so by running a stored reference batch through D at every call, which costs
  another D pass per call on a CPU and ties the weights to a batch of training data. Spectral
  normalisation (Miyato et al. 2018, ``d_norm spectral``, the default) also keeps each score a
  function of its own pair alone and bounds D's slope, for no extra pass; ``d_norm none`` turns it
  off.
- **RMSprop -> Adam with beta1 = 0.** The trainer owns one optimiser for every family (Adam);
  with beta1 0 Adam is RMSprop with bias correction (``run_defaults``: lr 2e-4, beta2 0.9).
- **Transposed convolutions -> interpolate, then convolve** (``upsample linear``, the default;
  ``upsample transposed`` is the paper's). A stride-2 transposed convolution turns a constant
  into a period-2 pattern, and the stacked decoder makes steady tones at 16000 / 2^k Hz under
  every recording (``upsampler`` says more).
- **Width and window are settings.** ``width`` 16 and ``window`` 16384 are the paper's; a CPU
  run takes narrower layers (``--preset``), which keep the layout.

Data: ``artgan train --model segan --data spoken_digits`` mixes noise into clean speech on the
fly (data/noisy_speech.py); ``--data-clean DIR --data-noisy DIR`` takes pairs matched by name.
``artgan denoise RUN noisy.wav --out clean.wav`` cleans a file of any length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ..audio import SAMPLE_RATE
from ..config import DefaultsContext, ModelConfig, budget_presets
from ..errors import ConfigError
from ..losses.objective import GANObjective, ObjectiveConfig
from ..nn.layers import spectral
from ..nn.modes import evaluating
from ..registry import MODELS
from .base import Batch, DataSpec, GenerativeModel, Phase, critic_then_generator, make_generator
from .capabilities import AudioDenoiser
from .cyclegan import check_translation_objective
from .wavegan import same_padding

# The paper's encoder channels as multiples of its first layer's 16.
CHANNEL_STEPS = (1, 2, 2, 4, 4, 8, 8, 16, 16, 32, 64)
D_NORMS = ("spectral", "none")
UPSAMPLES = ("linear", "transposed")


@dataclass
class SEGANObjectiveConfig(ObjectiveConfig):
    loss: str = "lsgan"  # the paper's least-squares GAN


@dataclass
class SEGANConfig(ModelConfig):
    name: ClassVar[str] = "segan"
    saved_before: ClassVar[dict] = {"upsample": "transposed"}  # runs before the option existed
    window: int = 16_384  # samples at 16 kHz the network takes at once (multiple of 2^depth)
    width: int = 16  # channels of the first encoder layer (the rest: width x CHANNEL_STEPS)
    depth: int = 11  # strided layers of the encoder (and of the decoder)
    kernel: int = 31
    latent: bool = True  # z ~ N(0, I) concatenated at the bottleneck
    upsample: str = "linear"  # linear (interpolate, then convolve) | transposed (the paper's)
    d_width: int = 0  # the discriminator's first-layer channels; 0 = width
    d_norm: str = "spectral"  # spectral | none: the substitute for virtual batch norm
    preemphasis: float = 0.95  # 0 = off
    l1_weight: float = 100.0  # lambda
    objective: SEGANObjectiveConfig = field(default_factory=SEGANObjectiveConfig)

    def __post_init__(self) -> None:
        if not 1 <= self.depth <= len(CHANNEL_STEPS):
            raise ConfigError(f"model.depth must be 1 to {len(CHANNEL_STEPS)}, got {self.depth}")
        if self.window < 2**self.depth or self.window % 2**self.depth:
            raise ConfigError(
                f"model.window {self.window} must be a multiple of 2^depth = {2**self.depth}"
            )
        if self.width < 1 or self.d_width < 0:
            raise ConfigError("model.width must be at least 1 and model.d_width at least 0")
        if self.kernel < 2:
            raise ConfigError(f"model.kernel must be at least 2 (the stride), got {self.kernel}")
        if self.upsample not in UPSAMPLES:
            raise ConfigError(f"model.upsample must be one of {', '.join(UPSAMPLES)}")
        if self.d_norm not in D_NORMS:
            raise ConfigError(f"model.d_norm must be one of {', '.join(D_NORMS)}")
        if not 0.0 <= self.preemphasis < 1.0:
            raise ConfigError("model.preemphasis must be in [0, 1)")
        if self.l1_weight < 0:
            raise ConfigError("model.l1_weight must be >= 0")
        check_translation_objective(self.objective, "segan")
        if self.objective.diffaugment or self.objective.ada:
            raise ConfigError(
                "segan's discriminator sees waveforms, which DiffAugment and ADA (image "
                "transforms) do not take: leave objective.diffaugment empty and ada false"
            )

    @property
    def item_length(self) -> int:
        return self.window  # the clip length the data is cut to

    @property
    def channels(self) -> list[int]:
        return [self.width * m for m in CHANNEL_STEPS[: self.depth]]

    @classmethod
    def run_defaults(cls, context: DefaultsContext) -> dict[str, Any]:
        # Noise mixed into clean speech on the fly unless paired folders are given; the paper's
        # RMSprop at 2e-4 as Adam with beta1 0; no weight averaging (the paper has none).
        return {
            "data.pairing": "noise",
            "train.lr_g": 2e-4,
            "train.lr_d": 2e-4,
            "train.beta1": 0.0,
            "train.beta2": 0.9,
            "train.batch_size": 100,
            "train.ema_decay": 0.0,
        }

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about an hour there; gpu: the paper's layout
        # (its batch of 400 and 86 epochs of VoiceBank are far more).
        return budget_presets(
            {
                "model.width": (2, 4, 16),
                "model.window": (8192, 8192, 16384),
                "model.depth": (10, 10, 11),
                "train.batch_size": (8, 16, 100),
                "train.steps": (100, 2000, 20000),
            }
        )

    def with_data(self, spec: DataSpec) -> SEGANConfig:
        if tuple(spec.shape) != (1, self.window):
            raise ConfigError(
                f"segan needs mono clips of {self.window} samples (spoken_digits, a folder of "
                f"clean speech, or --data-clean/--data-noisy), got items of shape "
                f"{tuple(spec.shape)}"
            )
        return self


def emphasis(x: torch.Tensor, coefficient: float) -> torch.Tensor:
    """Pre-emphasis y[t] = x[t] - c x[t-1] along the last axis (x[-1] = 0)."""
    if coefficient == 0:
        return x
    return torch.cat([x[..., :1], x[..., 1:] - coefficient * x[..., :-1]], dim=-1)


def de_emphasis(y: np.ndarray, coefficient: float) -> np.ndarray:
    """The inverse filter x[t] = y[t] + c x[t-1] along the last axis."""
    if coefficient == 0:
        return y
    # imported on use: every command imports the model registry, and scipy.signal costs about
    # a CPU second at start-up
    from scipy.signal import lfilter

    return lfilter([1.0], [1.0, -coefficient], y, axis=-1)


def upsampler(inputs: int, out: int, kernel: int, mode: str) -> nn.Module:
    """One decoder step doubling the length.

    ``transposed`` is the paper's stride-2 transposed convolution. With stride 2 the even and odd
    output samples are made by different halves of the kernel, so even a constant input (a bias,
    the silence between words) comes out as a pattern of period 2, and through the stacked
    layers of period 4, 8, ... 2^depth: steady tones at 16000 / 2^k Hz and their harmonics (the
    step-500 bench run put a 500 Hz comb under every recording). ``linear`` (the default)
    interpolates to twice the length and then convolves at stride 1 ("resize-convolution",
    Odena, Dumoulin & Olah 2016, "Deconvolution and Checkerboard Artifacts"): every output
    sample sees the same kernel, so a constant stays a constant and no fixed tone is made.
    Its kernel is half as long (odd, for symmetric padding): the same multiplies an output
    sample as the stride-2 transposed convolution, whose every output sample meets half its
    taps; the full length cost 3x the generator's CPU time for no change in layout."""
    if mode == "transposed":
        padding, output_padding = same_padding(kernel, 2)
        return nn.ConvTranspose1d(inputs, out, kernel, 2, padding, output_padding)
    half = (kernel // 2) | 1
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="linear", align_corners=False),
        nn.Conv1d(inputs, out, half, 1, half // 2),
    )


class SEGANGenerator(nn.Module):
    """Encoder-decoder with skip connections and a latent at the bottleneck."""

    def __init__(self, c: SEGANConfig):
        super().__init__()
        channels = c.channels
        padding, _ = same_padding(c.kernel, 2)
        self.encoder = nn.ModuleList()
        inputs = 1
        for out in channels:
            self.encoder.append(
                nn.Sequential(nn.Conv1d(inputs, out, c.kernel, 2, padding), nn.PReLU(out))
            )
            inputs = out
        self.latent = c.latent
        self.decoder = nn.ModuleList()
        for level in reversed(range(c.depth)):
            # Input: the level's encoder output beside the latent (bottleneck) or beside the
            # decoder output of the same length (skip); the bottleneck without z is one copy.
            inputs = channels[level] * (2 if c.latent or level < c.depth - 1 else 1)
            out = channels[level - 1] if level > 0 else 1
            up = upsampler(inputs, out, c.kernel, c.upsample)
            self.decoder.append(nn.Sequential(up, nn.PReLU(out) if level > 0 else nn.Tanh()))

    def forward(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        skips = []
        h = x  # (B, 1, T)
        for layer in self.encoder:
            h = layer(h)
            skips.append(h)  # (B, C_i, T / 2^(i+1))
        if self.latent:
            h = torch.cat([h, z], dim=1)  # (B, 2 C_last, T / 2^depth)
        for k, layer in enumerate(self.decoder):
            h = layer(h)
            if k < len(self.decoder) - 1:
                h = torch.cat([h, skips[-2 - k]], dim=1)  # beside the encoder's of this length
        return h  # (B, 1, T) in [-1, 1]


class SEGANDiscriminator(nn.Module):
    """Strided convolutions over the (noisy, clean or enhanced) pair, then 1x1 conv and dense."""

    def __init__(self, c: SEGANConfig):
        super().__init__()
        sn = c.d_norm == "spectral"
        padding, _ = same_padding(c.kernel, 2)
        width = c.d_width or c.width
        layers: list[nn.Module] = []
        inputs = 2
        for m in CHANNEL_STEPS[: c.depth]:
            layers += [
                spectral(nn.Conv1d(inputs, width * m, c.kernel, 2, padding), sn),
                nn.LeakyReLU(0.3, inplace=True),
            ]
            inputs = width * m
        layers.append(spectral(nn.Conv1d(inputs, 1, 1), sn))  # (B, 1, T / 2^depth)
        self.body = nn.Sequential(*layers)
        self.out = spectral(nn.Linear(c.window // 2**c.depth, 1), sn)

    def features(self, x: torch.Tensor, a: torch.Tensor | None = None) -> torch.Tensor:
        return self.body(torch.cat([a, x], dim=1))  # (B, 1, T / 2^depth)

    def head(self, features: torch.Tensor, a: torch.Tensor | None = None) -> torch.Tensor:
        return self.out(features.flatten(1)).view(-1)  # (B,)

    def forward(self, x: torch.Tensor, a: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, a))


@MODELS.register("segan")
class SEGAN(GenerativeModel, AudioDenoiser):
    name = "segan"
    config_class = SEGANConfig
    output_kind = "denoised-audio"
    sample_rate = SAMPLE_RATE

    def __init__(self, config: SEGANConfig) -> None:
        super().__init__(config)
        self.G = SEGANGenerator(config)
        self.D = SEGANDiscriminator(config)
        self.objective = GANObjective(config.objective)

    @property
    def window(self) -> int:
        return self.config.window

    def latent_shape(self, n: int) -> tuple[int, int, int]:
        c = self.config
        return (n, c.channels[-1], c.window // 2**c.depth)

    # --- denoising -----------------------------------------------------------------------
    @torch.no_grad()
    def denoise(
        self, noisy: torch.Tensor, seed: int = 0, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """(B, 1, window) in [-1, 1] -> the generator's clean estimate, de-emphasised, on the
        CPU; the latent is drawn on the CPU from ``generator`` (or ``seed``)."""
        if noisy.dim() != 3 or noisy.shape[1:] != (1, self.window):
            raise ConfigError(
                f"segan denoises (B, 1, {self.window}) windows, got {tuple(noisy.shape)}; "
                "model.enhance takes sounds of any length"
            )
        z = None
        if self.config.latent:
            z = torch.randn(
                self.latent_shape(len(noisy)), generator=make_generator(seed, generator)
            )
            z = z.to(self.device)
        with evaluating(self):
            x = emphasis(noisy.to(self.device).float(), self.config.preemphasis)
            y = self.G(x, z).float().cpu().numpy()
        clean = de_emphasis(y, self.config.preemphasis)
        return torch.from_numpy(np.clip(clean, -1.0, 1.0).astype(np.float32))

    @torch.no_grad()
    def draw(
        self,
        n: int,
        seed: int | None = None,
        noisy: torch.Tensor | None = None,
        batch_size: int = 8,
    ) -> torch.Tensor:
        """``noisy`` (N, 1, window) windows denoised, on the CPU."""
        if noisy is None:
            raise ConfigError(
                f"segan denoises sounds it is given: pass noisy=(N, 1, {self.window}) in "
                "[-1, 1], or clean a recording with artgan denoise RUN noisy.wav --out clean.wav"
            )
        generator = make_generator(0 if seed is None else seed)
        return torch.cat(
            [self.denoise(chunk, generator=generator) for chunk in noisy.split(batch_size)]
        )

    @torch.no_grad()
    def preview_rows(self, dataset, n: int = 4) -> torch.Tensor:
        indices = torch.arange(min(n, len(dataset)))
        batch = dataset.get(indices, torch.Generator().manual_seed(0))
        noisy, clean = batch.x.float().cpu(), batch.x_b.float().cpu()
        rows = torch.stack([noisy, self.denoise(noisy), clean], dim=1)  # (n, 3, 1, T)
        return rows.flatten(0, 1)  # (3n, 1, T)

    # --- training ------------------------------------------------------------------------
    def phases(self, train) -> list[Phase]:
        return critic_then_generator(train, self.config.objective.critic_steps)

    def ema_modules(self) -> list[str]:
        return ["G"]

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        if batch.x_b is None:
            raise ConfigError(
                "segan trains on (noisy, clean) pairs: --data spoken_digits (noise mixed in) or "
                "--data-clean DIR --data-noisy DIR"
            )
        c = self.config
        noisy, clean = emphasis(batch.x, c.preemphasis), emphasis(batch.x_b, c.preemphasis)
        z = torch.randn(self.latent_shape(len(noisy)), device=noisy.device) if c.latent else None
        if phase == "D":
            with torch.no_grad():
                enhanced = self.G(noisy, z)
            return self.objective.discriminator_losses(self.D, clean, enhanced, a=noisy)
        enhanced = self.G(noisy, z)
        l1 = (enhanced.float() - clean).abs().mean()
        adv = self.objective.generator_losses(self.D, enhanced, real=clean, a=noisy)
        return {"loss": adv["loss"] + c.l1_weight * l1, "l1": l1.detach(), "g_adv": adv["g_adv"]}

    def after_phase_step(self, phase: str) -> None:
        if phase == "D":
            self.objective.clip_weights(self.D)
