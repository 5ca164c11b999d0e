"""What every feature extractor shares: input checks, conversion to [-1, 1] RGB, batching on the
network's device, and lookup by name.

An extractor maps images (N, C, H, W), uint8 in [0, 255] or float in [-1, 1], C = 1 or 3, any
size, to features (N, dim) float32 on the CPU. ``name`` and ``dim`` say what the numbers are;
``version`` changes whenever the weights or the preprocessing change, so cached features and
reported scores can name exactly what produced them.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ...cache import file_sha256  # noqa: F401  (re-exported for the extractors)
from ...errors import ConfigError, DataError, UnknownNameError
from ...registry import FEATURES

# Images per forward pass when the caller gives none: small batches stay in cache on a CPU
# (measured ~1.4x faster at 16-32 than at 64 for EfficientNet-Lite0); GPUs want large ones.
CPU_BATCH, ACCELERATOR_BATCH = 32, 256

# Float images this far outside [-1, 1] are taken for another convention (e.g. [0, 255] floats)
# rather than generator overshoot, which is clamped as saving an image would.
RANGE_TOLERANCE = 0.5


def as_rgb_pm1(images: torch.Tensor) -> torch.Tensor:
    """Check and convert a batch to float32 RGB in [-1, 1], shape (N, 3, H, W)."""
    if not isinstance(images, torch.Tensor):
        raise DataError(f"images must be a torch tensor (N, C, H, W), got {type(images).__name__}")
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise DataError(
            f"images must have shape (N, C, H, W) with C = 1 or 3, got {tuple(images.shape)}"
        )
    if images.dtype == torch.uint8:
        x = images.float() / 127.5 - 1.0
    elif images.is_floating_point():
        x = images.float()
        if not torch.isfinite(x).all():
            raise DataError("images contain NaN or infinite values; check the generator's output")
        lo, hi = (x.min().item(), x.max().item()) if x.numel() else (0.0, 0.0)
        if lo < -1 - RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
            raise DataError(
                f"float images must lie in [-1, 1], got values in [{lo:.3g}, {hi:.3g}]; "
                "pass uint8 tensors for [0, 255] data"
            )
        x = x.clamp(-1.0, 1.0)
    else:
        raise DataError(f"images must be uint8 or floating point, got {images.dtype}")
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)  # grey -> RGB by replication, (N, 3, H, W)
    return x


class FeatureExtractor:
    """A frozen network plus its preprocessing. Subclasses set ``name``, ``dim`` and
    ``version`` and implement ``preprocess`` and ``forward_features``."""

    name: str = ""
    dim: int = 0
    version: str = ""
    class_names: list[str] = []  # set by classifiers of labelled data; [] for ImageNet nets

    def __init__(
        self, net: nn.Module, device: str | torch.device = "cpu", batch_size: int | None = None
    ):
        self.net = net.eval().requires_grad_(False)
        self.batch_size = batch_size
        self.to(device)

    @property
    def batch_size(self) -> int:
        if self._batch_size is not None:
            return self._batch_size
        return CPU_BATCH if self.device.type == "cpu" else ACCELERATOR_BATCH

    @batch_size.setter
    def batch_size(self, value: int | None) -> None:
        """None: chosen by device (CPU_BATCH or ACCELERATOR_BATCH)."""
        if value is not None and value < 1:
            raise DataError(f"batch_size must be at least 1, got {value}")
        self._batch_size = value

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits (N, classes), for extractors that are classifiers (all registered ones
        are); the others say so."""
        raise ConfigError(f"the {self.name} extractor is not a classifier (it has no logits)")

    def to(self, device: str | torch.device) -> FeatureExtractor:
        self.device = torch.device(device)
        self.net.to(self.device)
        return self

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) float in [-1, 1] on the device -> the network's input."""
        raise NotImplementedError

    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        """Preprocessed images -> (N, dim)."""
        raise NotImplementedError

    @torch.no_grad()
    def run(
        self, images: torch.Tensor, fn: Callable[[torch.Tensor], torch.Tensor], dim: int
    ) -> torch.Tensor:
        """Apply ``fn`` to preprocessed batches; (N, dim) float32 on the CPU."""
        if not isinstance(images, torch.Tensor) or images.ndim != 4:
            as_rgb_pm1(images)  # raises the explanatory error
        out = torch.empty(len(images), dim, dtype=torch.float32)
        step = self.batch_size
        for start in range(0, len(images), step):
            batch = images[start : start + step].to(self.device)
            x = self.preprocess(as_rgb_pm1(batch))
            out[start : start + len(batch)] = fn(x).float().cpu()
        return out

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return self.run(images, self.forward_features, self.dim)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, dim={self.dim}, version={self.version!r})"
        )


def get_extractor(name: str, **kwargs) -> FeatureExtractor:
    """Build the feature extractor registered as ``name`` (see ``FEATURES.names()``).
    ``kind:argument`` passes the argument first, e.g. ``classifier:digits``."""
    kind, _, argument = name.partition(":")
    if kind not in FEATURES:
        valid = ", ".join(f"{n}:<dataset>" if n == "classifier" else n for n in FEATURES.names())
        raise UnknownNameError(f"unknown feature extractor {kind!r}; valid names: {valid}")
    if argument:
        return FEATURES.get(kind)(argument, **kwargs)
    return FEATURES.get(kind)(**kwargs)
