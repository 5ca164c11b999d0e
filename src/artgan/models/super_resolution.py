"""Single-image super-resolution: SRResNet and SRGAN (Ledig et al. 2017, "Photo-Realistic Single
Image Super-Resolution Using a Generative Adversarial Network").

Generator (SRResNet, Fig. 4 of the paper): a 9x9 convolution and PReLU; ``blocks`` residual
blocks (3x3 conv, batch norm, PReLU, 3x3 conv, batch norm, identity shortcut); a 3x3 conv and
batch norm added to the first layer's output (the long skip); log2(scale) sub-pixel
upsamplings (3x3 conv to 4x channels, pixel shuffle by 2, PReLU; Shi et al. 2016); a 9x9
convolution to the image. The output is linear (clamped when sampled). ``residual`` (off in the
paper) adds the bicubic upscale of the input to the output, so the network learns only the
missing detail and starts as bicubic interpolation (the global residual of VDSR, Kim et al.
2016): much shorter training reaches and passes bicubic quality.

Discriminator (SRGAN): eight 3x3 convolutions with LeakyReLU(0.2), strided every second one and
doubling the width from 64 to 512, batch norm after all but the first, then a dense layer of
1024, LeakyReLU and a dense output. Here the dense layers are 1x1 convolutions after global
average pooling, so the discriminator accepts any patch size (the paper flattens 6x6 maps of a
96 px patch).

Training pairs are made on the fly (data/degrade.py): a random ``patch_size`` HR crop of each
image and its bicubic downscale by ``scale``. SRResNet minimizes the pixel MSE (one phase).
SRGAN adds a perceptual loss, MSE between deep feature maps of a fixed ImageNet network (the
paper's VGG54; here EfficientNet-Lite0, losses/perceptual.py), and the adversarial loss of
losses/objective.py (the paper's non-saturating BCE, weight 1e-3). The paper starts SRGAN from a
trained SRResNet: ``init_from`` names such a run (its generator weights are copied at the start),
or ``pretrain_steps`` trains with the pixel loss alone for that many steps first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..config import DefaultsContext, ModelConfig, budget_presets
from ..data.degrade import bicubic_downscale, bicubic_upscale, training_pair
from ..errors import ConfigError
from ..losses.objective import GANObjective, ObjectiveConfig
from ..losses.perceptual import LITE0_BLOCKS, PerceptualLoss
from ..nn.modes import evaluating
from ..registry import MODELS
from .base import Batch, DataSpec, GenerativeModel, Phase, critic_then_generator
from .capabilities import Upscaler

SCALES = (2, 4, 8)


@dataclass
class SRResNetConfig(ModelConfig):
    name: ClassVar[str] = "srresnet"
    scale: int = 4  # upscaling factor: 2, 4 or 8
    image_size: int = 128  # training images are loaded at this size; crops are taken from them
    patch_size: int = 96  # HR crop per training item (the paper's 96 px); LR is patch / scale
    channels: int = 3
    width: int = 64  # generator channels
    blocks: int = 16  # residual blocks
    norm: str = "batch"  # batch (the paper) | none (EDSR's finding: often better for PSNR)
    residual: bool = False  # add the bicubic upscale to the output (VDSR's global residual)
    pixel_weight: float = 1.0  # weight of the pixel MSE
    init_from: str = ""  # a srresnet/srgan run whose generator weights this run starts from

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ConfigError(f"model.scale must be one of {', '.join(map(str, SCALES))}")
        if self.channels not in (1, 3):
            raise ConfigError(f"channels must be 1 or 3, got {self.channels}")
        if self.width < 1 or self.blocks < 0:
            raise ConfigError("model.width must be positive and model.blocks >= 0")
        if self.norm not in ("batch", "none"):
            raise ConfigError(f"model.norm must be batch or none, got {self.norm!r}")
        if self.patch_size % self.scale or self.patch_size < 2 * self.scale:
            raise ConfigError(
                f"model.patch_size {self.patch_size} must be a multiple of the scale "
                f"{self.scale} (at least {2 * self.scale})"
            )
        if self.image_size < self.patch_size:
            raise ConfigError(
                f"model.image_size {self.image_size} must be at least model.patch_size "
                f"{self.patch_size} (crops are taken from the loaded images)"
            )

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about an hour there; gpu: the paper's scale.
        # (Patch sizes divide by every scale, 2, 4 and 8.)
        return budget_presets(
            {
                "model.image_size": (64, 96, 128),
                "model.patch_size": (32, 48, 96),
                "model.width": (16, 32, 64),
                "model.blocks": (4, 8, 16),
                "train.batch_size": (16, 16, 16),
                "train.steps": (300, 3000, 100000),
            }
        )

    def with_data(self, spec: DataSpec):
        if len(spec.shape) != 3:
            raise ConfigError(f"{self.name} needs image data")
        self.channels = spec.shape[0]
        return self


@dataclass
class SRGANConfig(SRResNetConfig):
    name: ClassVar[str] = "srgan"
    d_width: int = 64  # discriminator channels of the first layer
    perceptual_weight: float = 1.0  # feature-map MSE on EfficientNet-Lite0 (0 = off)
    perceptual_blocks: int = 7  # MBConv blocks before the features (7: stride 16, like VGG54)
    adversarial_weight: float = 1e-3  # the paper's 10^-3
    pretrain_steps: int = 0  # pixel loss only for this many steps (the paper's SRResNet start)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        d_widths = {"quick": 16, "cpu": 32, "gpu": 64}  # discriminator sized like G
        steps = {"quick": 300, "cpu": 2000, "gpu": 100000}  # the perceptual loss costs: fewer
        return {
            name: {
                **settings,
                "model.d_width": d_widths[name],
                "train.steps": steps[name],
                "train.sample_every": steps[name] // 5,
                "train.checkpoint_every": steps[name] // 2,
            }
            for name, settings in super().presets(context).items()
        }

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.d_width < 1:
            raise ConfigError("model.d_width must be positive")
        if not 1 <= self.perceptual_blocks <= LITE0_BLOCKS:
            raise ConfigError(f"model.perceptual_blocks must be in 1..{LITE0_BLOCKS}")
        for name in ("perceptual_weight", "adversarial_weight", "pretrain_steps", "pixel_weight"):
            if getattr(self, name) < 0:
                raise ConfigError(f"model.{name} must be >= 0")


def _norm(kind: str, channels: int) -> nn.Module:
    return nn.BatchNorm2d(channels) if kind == "batch" else nn.Identity()


class ResidualBlock(nn.Module):
    def __init__(self, width: int, norm: str):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1),
            _norm(norm, width),
            nn.PReLU(width),
            nn.Conv2d(width, width, 3, padding=1),
            _norm(norm, width),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class SRResNetGenerator(nn.Module):
    def __init__(self, c: SRResNetConfig):
        super().__init__()
        w = c.width
        self.head = nn.Sequential(nn.Conv2d(c.channels, w, 9, padding=4), nn.PReLU(w))
        self.body = nn.Sequential(
            *[ResidualBlock(w, c.norm) for _ in range(c.blocks)],
            nn.Conv2d(w, w, 3, padding=1),
            _norm(c.norm, w),
        )
        up: list[nn.Module] = []
        for _ in range(int(math.log2(c.scale))):
            up += [nn.Conv2d(w, 4 * w, 3, padding=1), nn.PixelShuffle(2), nn.PReLU(w)]
        self.upsample = nn.Sequential(*up)
        self.tail = nn.Conv2d(w, c.channels, 9, padding=4)
        self.scale, self.residual = c.scale, c.residual
        if c.residual:  # start as plain bicubic upscaling
            nn.init.zeros_(self.tail.weight)
            nn.init.zeros_(self.tail.bias)

    def forward(self, lr: torch.Tensor) -> torch.Tensor:
        h = self.head(lr)  # (B, w, h, w)
        h = h + self.body(h)
        out = self.tail(self.upsample(h))  # (B, C, h * scale, w * scale)
        if self.residual:
            size = (lr.shape[-2] * self.scale, lr.shape[-1] * self.scale)
            # antialias=True: Keys' a = -0.5 (Pillow, MATLAB), as data/degrade.py; the plain
            # path would use a = -0.75
            out = out + F.interpolate(
                lr, size=size, mode="bicubic", align_corners=False, antialias=True
            )
        return out


class SRGANDiscriminator(nn.Module):
    def __init__(self, c: SRGANConfig):
        super().__init__()
        w = c.d_width
        layers: list[nn.Module] = [nn.Conv2d(c.channels, w, 3, padding=1), nn.LeakyReLU(0.2)]
        cin = w
        for i in range(7):  # k3n64s2, k3n128s1, k3n128s2, ..., k3n512s2
            cout = w * 2 ** ((i + 1) // 2)
            stride = 2 if i % 2 == 0 else 1
            layers += [
                nn.Conv2d(cin, cout, 3, stride, 1),
                nn.BatchNorm2d(cout),
                nn.LeakyReLU(0.2),
            ]
            cin = cout
        self.body = nn.Sequential(*layers)
        self.dense = nn.Sequential(
            nn.Conv2d(cin, 2 * cin, 1), nn.LeakyReLU(0.2), nn.Conv2d(2 * cin, 1, 1)
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).mean(dim=(2, 3), keepdim=True)  # (B, 8w, 1, 1)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.dense(features).view(-1)  # (B,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@MODELS.register("srresnet")
class SRResNet(GenerativeModel, Upscaler):
    name = "srresnet"
    config_class = SRResNetConfig

    def __init__(self, config) -> None:
        super().__init__(config)
        self.G = SRResNetGenerator(config)

    @property
    def scale(self) -> int:
        return self.config.scale

    # --- generation ----------------------------------------------------------------------
    @torch.no_grad()
    def upscale(self, lr: torch.Tensor, batch_size: int = 16) -> torch.Tensor:
        """(B, C, h, w) LR images in [-1, 1] -> (B, C, h * scale, w * scale), on the CPU."""
        with evaluating(self):
            out = [
                self.G(chunk.to(self.device)).clamp_(-1, 1).float().cpu()
                for chunk in lr.split(batch_size)
            ]
        return torch.cat(out)

    @torch.no_grad()
    def draw(
        self, n: int, seed: int | None = None, inputs: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``inputs`` (LR images, (N, C, h, w) in [-1, 1]) upscaled: (N, C, h * s, w * s)."""
        return self.upscale(self.require_images(inputs, "inputs"))

    @torch.no_grad()
    def preview_grid(self, dataset, n: int = 8) -> tuple[torch.Tensor, int]:
        """Rows of (bicubic, model, original) on the first ``n`` training images' centres,
        and the number of columns."""
        c = self.config
        images = dataset.get(torch.arange(min(n, len(dataset)))).x.float().cpu()
        top = (images.shape[-2] - c.patch_size) // 2
        left = (images.shape[-1] - c.patch_size) // 2
        hr = images[..., top : top + c.patch_size, left : left + c.patch_size]
        lr = bicubic_downscale(hr, c.scale)
        rows = torch.stack([bicubic_upscale(lr, c.scale), self.upscale(lr), hr], dim=1)
        return rows.flatten(0, 1), 3  # (3n, C, P, P), three columns

    # --- training ------------------------------------------------------------------------
    def warm_start_run(self) -> str:
        return self.config.init_from  # the paper trains SRGAN from a trained SRResNet

    def warm_start(self, source: GenerativeModel) -> None:
        """Copy the generator weights of ``source``, the run ``init_from`` names."""
        if not isinstance(source, Upscaler) or source.scale != self.scale:
            raise ConfigError(
                f"model.init_from {self.config.init_from} is not a {self.scale}x "
                "super-resolution run"
            )
        try:
            self.G.load_state_dict(source.G.state_dict())
        except RuntimeError:
            raise ConfigError(
                f"model.init_from {self.config.init_from} has another generator shape "
                "(width, blocks, norm or channels differ)"
            ) from None

    def phases(self, train) -> list[Phase]:
        return [Phase("G", ["G"], train.lr_g, (train.beta1, train.beta2))]

    def ema_modules(self) -> list[str]:
        return ["G"]

    def training_pair(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        return training_pair(batch.x, self.config.patch_size, self.config.scale)

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        lr, hr = self.training_pair(batch)
        pixel = F.mse_loss(self.G(lr).float(), hr)
        return {"loss": self.config.pixel_weight * pixel, "pixel": pixel.detach()}


@MODELS.register("srgan")
class SRGAN(SRResNet):
    name = "srgan"
    config_class = SRGANConfig

    def __init__(self, config) -> None:
        super().__init__(config)
        self.D = SRGANDiscriminator(config)
        self.objective = GANObjective(config.objective)
        self.perceptual = PerceptualLoss(config.perceptual_blocks)

    def phases(self, train) -> list[Phase]:
        return critic_then_generator(train, self.config.objective.critic_steps)

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        c = self.config
        lr, hr = self.training_pair(batch)
        if phase == "D":
            with torch.no_grad():
                sr = self.G(lr)
            return self.objective.discriminator_losses(self.D, hr, sr)
        sr = self.G(lr)
        pixel = F.mse_loss(sr.float(), hr)
        out = {"pixel": pixel.detach()}
        loss = c.pixel_weight * pixel
        if step >= c.pretrain_steps:
            if c.perceptual_weight > 0:
                content = self.perceptual(sr, hr)
                loss = loss + c.perceptual_weight * content
                out["perceptual"] = content.detach()
            if c.adversarial_weight > 0:
                adv = self.objective.generator_losses(self.D, sr, real=hr)
                loss = loss + c.adversarial_weight * adv["loss"]
                out["g_adv"] = adv["g_adv"]
        out["loss"] = loss
        return out

    def after_phase_step(self, phase: str) -> None:
        if phase == "D":
            self.objective.clip_weights(self.D)

    def extra_training_state(self) -> dict:
        return {"objective": self.objective.state_dict()}  # the ADA strength p

    def load_extra_training_state(self, state: dict) -> None:
        self.objective.load_state_dict(state.get("objective", {}))
