"""EfficientNet-Lite0 (Tan & Le 2019, "EfficientNet: Rethinking Model Scaling for Convolutional
Neural Networks"; the Lite variants of the TensorFlow TPU repository, 2020) as an ImageNet feature
extractor: 1280-d globally pooled features of the last convolution, before the classifier.

The network and its weights are nn/efficientnet_lite.py (the perceptual loss and style transfer
use them too).

Preprocessing (``EfficientNetLite0Features``): resize to 224 px (bilinear, antialiased), then the
normalisation the Lite models were trained with, ``(pixel - 127) / 128`` ("edge models use
inception-style mean and stddev for better post-quantization", efficientnet_lite_builder.py). The
ImageNet mean/std that the converter's README copies from ``efficientnet_pytorch`` is not what
these weights saw in training.

Speed (issue 15): on a CPU the features come from nn/efficientnet_lite_fused.py (batch norm
folded, ReLU6 and the residual adds fused into oneDNN convolutions, no padded copies, the
high-resolution blocks a few images at a time, so that their buffers stay under glibc's mmap
threshold and are not page-faulted in afresh every pass), in float32: the same features to
round-off. ``keep_buffers=True`` instead keeps the large buffers in the malloc heap between
passes (nn/large_buffers.py, glibc only) and runs 64 images through every block: measured alone
on 2 cores it was slower (2.71x the old path against 2.94x, bench/eval_speed.py), so it is
opt-in.
``precision="bfloat16"`` is about twice as fast again on CPUs with native bfloat16 (AMX), but
moved a real-vs-real FID of 98.04 to 98.63 (bench/eval_speed.py), so it is opt-in, never the
default. The precision is part of ``version``: cached features of one precision are never
scored against the other's.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ...errors import ConfigError
from ...nn.efficientnet_lite import (  # noqa: F401  (the network: re-exported)
    FEATURE_DIM,
    INPUT_SIZE,
    NUM_CLASSES,
    EfficientNetLite0,
    SameConv2d,
    load_efficientnet_lite0,
)
from ...nn.efficientnet_lite_fused import FusedLite0Features
from ...nn.large_buffers import can_keep_large_buffers, keep_large_buffers
from ...registry import FEATURES
from .base import FeatureExtractor

PRECISIONS = ("float32", "bfloat16")
# Images a pass for the fused network, which runs its high-resolution blocks 4 at a time; with
# keep_buffers (large buffers kept in the heap, glibc) every block takes 64 whole, about as much
# memory as the eager network's 32.
CPU_BATCH_IN_HEAP, CPU_BATCH = 64, 32


@FEATURES.register("efficientnet-lite0")
class EfficientNetLite0Features(FeatureExtractor):
    """ImageNet features from EfficientNet-Lite0 at 224 px. Not comparable to Inception FIDs."""

    name = "efficientnet-lite0"
    dim = FEATURE_DIM
    input_size = INPUT_SIZE
    PREPROCESSING = "bilinear-aa-224-tflite"  # bump when the preprocessing below changes

    def __init__(
        self,
        device: str | torch.device = "cpu",
        batch_size: int | None = None,
        precision: str = "float32",
        keep_buffers: bool = False,
    ):
        if precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision}")
        net, sha = load_efficientnet_lite0()
        # channels_last: depthwise convolutions run ~1.5x faster on CPU (oneDNN) this way.
        super().__init__(
            net.to(memory_format=torch.channels_last), device=device, batch_size=batch_size
        )
        if self.device.type != "cpu" and precision != "float32":
            raise ConfigError("bfloat16 Lite0 features are CPU only (oneDNN); use float32")
        self.precision = precision
        dtype = torch.bfloat16 if precision == "bfloat16" else torch.float32
        self.fast = FusedLite0Features(self.net, dtype) if self.device.type == "cpu" else None
        # float32 keeps the eager network's version: the same features to round-off (~2e-6)
        suffix = "" if precision == "float32" else f"-{precision}"
        self.version = f"{sha[:12]}-{self.PREPROCESSING}{suffix}"
        # keep_buffers: run the fused network inside keep_large_buffers (see its doc)
        self.keep_buffers = keep_buffers and can_keep_large_buffers()
        if batch_size is None and self.device.type == "cpu":
            self.batch_size = CPU_BATCH_IN_HEAP if self.keep_buffers else CPU_BATCH

    def to(self, device: str | torch.device) -> EfficientNetLite0Features:
        super().to(device)
        if self.device.type != "cpu" and getattr(self, "fast", None) is not None:
            if self.precision != "float32":
                raise ConfigError("bfloat16 Lite0 features are CPU only; build with float32")
            self.fast = None  # the eager network on the accelerator
        return self

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        # (N, 3, H, W) in [-1, 1]; antialiasing matters when large photos are shrunk to 224.
        x = F.interpolate(
            images,
            size=(INPUT_SIZE, INPUT_SIZE),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )
        # TensorFlow Lite's (pixel - 127) / 128, in place on the resized copy (the same
        # operations in the same order as ((x + 1) * 127.5 - 127) / 128, without 3 new buffers)
        x.add_(1.0).mul_(127.5).sub_(127.0).div_(128.0)
        return x.contiguous(memory_format=torch.channels_last)

    def run(
        self, images: torch.Tensor, fn: Callable[[torch.Tensor], torch.Tensor], dim: int
    ) -> torch.Tensor:
        if self.fast is None or not self.keep_buffers:
            return super().run(images, fn, dim)
        with keep_large_buffers():  # each pass reuses the last one's pages: no page faults
            return super().run(images, fn, dim)

    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        return self.fast(images) if self.fast is not None else self.net.features(images)

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        """ImageNet class logits (N, 1000), with the same preprocessing as the features."""
        return self.run(images, lambda x: self.net(x), NUM_CLASSES)
