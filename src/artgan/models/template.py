"""A template family to copy when adding one (as pytorch-CycleGAN-and-pix2pix's template_model).

Name the paper here, in one line, and say what differs from it and why. To add a family:

1. copy this file to ``models/<name>.py``; rename ``Template`` and ``TemplateConfig``;
2. register it: ``@MODELS.register("<name>")`` below, and import the file by hand in
   ``models/__init__.py`` (the one registry line; nothing scans folders);
3. add a tiny config to ``TINY_MODELS`` in ``tests/conftest.py`` (the shared model checks then
   run on it: shapes, range, determinism, one step per phase, save and load) and its row in
   ``tests/models/test_capabilities.py``; put the family's own tests in
   ``tests/models/test_<name>.py``.

This file is not registered, so ``artgan train --model template`` does not exist; the test
``tests/models/test_template.py`` registers it to keep it working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..config import DefaultsContext, ModelConfig
from ..errors import ConfigError
from .base import Batch, DataSpec, GenerativeModel, Phase, make_generator
from .capabilities import LatentGenerator


@dataclass
class TemplateConfig(ModelConfig):
    """JSON-safe fields only, with the paper's defaults, checked in ``__post_init__``: the
    config saved beside the weights is all it takes to rebuild the model."""

    name: ClassVar[str] = "template"
    data_shape: list[int] = None  # type: ignore[assignment]  set from the data by with_data
    z_dim: int = 8
    width: int = 64

    def __post_init__(self) -> None:
        self.data_shape = list(self.data_shape or [2])
        if self.z_dim < 1 or self.width < 1:
            raise ConfigError("model.z_dim and model.width must be at least 1")

    @classmethod
    def run_defaults(cls, context: DefaultsContext) -> dict[str, Any]:
        # How the paper trains, for the settings a user leaves unset (``--dry-run`` shows them).
        # ``context`` has the data source and the device type ("cpu", "cuda", "mps").
        return {"train.lr_g": 1e-3, "train.lr_d": 1e-3, "train.beta1": 0.5}

    def with_data(self, spec: DataSpec) -> TemplateConfig:
        """Fill in what comes from the data (here the shape of one item)."""
        self.data_shape = list(spec.shape)
        return self


class Template(GenerativeModel, LatentGenerator):
    """Declare capabilities by inheritance (models/capabilities.py): ``LatentGenerator`` here;
    an image-to-image family would take ``Translator``, ``Upscaler`` or ``Inpainter``."""

    name = "template"
    config_class = TemplateConfig
    output_kind = "points"  # a registered kind (output_kinds.py): image, points, text, audio

    def __init__(self, config: TemplateConfig) -> None:
        super().__init__(config)
        size = int(torch.tensor(config.data_shape).prod())
        self.G = nn.Sequential(
            nn.Linear(config.z_dim, config.width), nn.ReLU(), nn.Linear(config.width, size)
        )
        self.D = nn.Sequential(nn.Linear(size, config.width), nn.ReLU(), nn.Linear(config.width, 1))

    # --- training: the trainer owns optimizers, backward, EMA, logs and checkpoints ----------
    def phases(self, train) -> list[Phase]:
        """The sub-networks each phase updates, with which optimizer settings, how often."""
        betas = (train.beta1, train.beta2)
        return [Phase("D", ["D"], train.lr_d, betas), Phase("G", ["G"], train.lr_g, betas)]

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        """The named losses of one phase; ``"loss"`` is the one minimized."""
        real = batch.x.flatten(1)  # (B, D)
        fake = self.G(torch.randn(len(real), self.z_dim, device=real.device))
        if phase == "D":
            d_real, d_fake = self.D(real), self.D(fake.detach())
            loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
            return {"loss": loss, "d_real": d_real.mean().detach()}
        return {"loss": F.softplus(-self.D(fake)).mean()}

    def ema_modules(self) -> list[str]:
        return ["G"]  # averaged weights, used for sampling

    # --- generation: what LatentGenerator promises ------------------------------------------
    @property
    def z_dim(self) -> int:
        return self.config.z_dim

    def latents(self, n, seed=None, generator=None, truncation=0.0) -> torch.Tensor:
        return torch.randn(n, self.z_dim, generator=make_generator(seed, generator))  # on CPU

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.G(z.to(self.device)).reshape(len(z), *self.config.data_shape)

    @torch.no_grad()
    def draw(self, n: int, seed: int | None = None, batch_size: int = 256) -> torch.Tensor:
        """``sample()`` calls this after checking the options: its keyword arguments are the
        options the family takes (here ``batch_size``); any other is refused."""
        z = self.latents(n, seed)
        return torch.cat([self.generate(chunk).float().cpu() for chunk in z.split(batch_size)])
