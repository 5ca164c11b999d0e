"""EfficientNet-Lite0 for inference only: batch norm folded into the convolutions and each
ReLU6 fused into its convolution, optionally in bfloat16. Same numbers as the eager network in
float32 (to round-off); the feature extractor uses it because scoring embeds thousands of images.

Why: profiled on a CPU, the eager network spent 39 % of its time in convolutions and the rest in
batch norm, ReLU6 and their memory traffic. Folding removes the batch norms; oneDNN's fused
"convolution + hardtanh" (``torch.ops.mkldnn._convolution_pointwise``, the kernel torch.compile
emits for this pattern) removes the separate ReLU6 passes. Where that op is missing (a build
without oneDNN) the folded convolutions run with an in-place ReLU6 instead.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_weights

from .efficientnet_lite import EfficientNetLite0


def fused_kernel_available() -> bool:
    """True when this torch has oneDNN's fused convolution + activation op."""
    try:
        return torch.backends.mkldnn.is_available() and hasattr(
            torch.ops.mkldnn, "_convolution_pointwise"
        )
    except (AttributeError, RuntimeError):
        return False


def bf16_fast() -> bool:
    """True when the CPU computes bfloat16 natively (AVX512-BF16 / AMX), where it pays."""
    try:
        return fused_kernel_available() and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


class FoldedConv(nn.Module):
    """A SAME-padded convolution with its batch norm folded in and an optional ReLU6."""

    def __init__(self, conv: nn.Conv2d, bn: nn.BatchNorm2d, relu6: bool, dtype, fused: bool):
        super().__init__()
        weight, bias = fuse_conv_bn_weights(
            conv.weight, None, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
        )
        weight = weight.detach().to(dtype).contiguous(memory_format=torch.channels_last)
        self.register_buffer("weight", weight)
        self.register_buffer("bias", bias.detach().to(dtype))
        self.kernel, self.stride, self.groups = conv.kernel_size, conv.stride, conv.groups
        self.relu6, self.fused = relu6, fused
        # stride 1 with an odd kernel: SAME is symmetric, the convolution pads by itself
        self.padding = [(k - 1) // 2 for k in self.kernel] if self.stride == (1, 1) else [0, 0]

    def same_pad(self, x: torch.Tensor) -> torch.Tensor:
        """TensorFlow SAME for strided layers: the odd pixel goes bottom/right."""
        if self.stride == (1, 1):
            return x
        pads = []
        for size, k, s in zip(x.shape[:-3:-1], self.kernel[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.pad(x, pads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.same_pad(x)
        if self.fused:
            attr, scalars = ("hardtanh", [0.0, 6.0]) if self.relu6 else ("none", [])
            return torch.ops.mkldnn._convolution_pointwise(
                x, self.weight, self.bias, self.padding, list(self.stride), [1, 1],
                self.groups, attr, scalars, "",
            )  # fmt: skip
        y = F.conv2d(x, self.weight, self.bias, self.stride, self.padding, groups=self.groups)
        return F.hardtanh_(y, 0.0, 6.0) if self.relu6 else y


class FusedLite0Features(nn.Module):
    """(N, 3, 224, 224) normalised images -> (N, 1280) pooled features (float32), computed in
    ``dtype`` (float32 or bfloat16) with folded, fused layers."""

    def __init__(self, net: EfficientNetLite0, dtype: torch.dtype = torch.float32):
        super().__init__()
        fused = fused_kernel_available()
        self.dtype = dtype

        def fold(conv, bn, relu6=True):
            return FoldedConv(conv, bn, relu6, dtype, fused)

        self.stem = fold(net._conv_stem, net._bn0)
        self.blocks = nn.ModuleList()
        for b in net._blocks:
            layers = [fold(b._expand_conv, b._bn0)] if b.expand else []
            layers += [fold(b._depthwise_conv, b._bn1), fold(b._project_conv, b._bn2, False)]
            block = nn.Sequential(*layers)
            block.residual = b.residual
            self.blocks.append(block)
        self.head = fold(net._conv_head, net._bn1)

    @torch.inference_mode()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x.to(self.dtype).contiguous(memory_format=torch.channels_last))
        for block in self.blocks:
            h = block(h).add_(h) if block.residual else block(h)
        return self.head(h).float().mean(dim=(2, 3))  # pooled in float32
