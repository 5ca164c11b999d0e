"""EfficientNet-Lite0 for inference only: batch norm folded into the convolutions and each
ReLU6 fused into its convolution, optionally in bfloat16. Same numbers as the eager network in
float32 (to round-off); the feature extractor uses it because scoring embeds thousands of images.

Why: profiled on a CPU, the eager network spent 39 % of its time in convolutions and the rest in
batch norm, ReLU6 and their memory traffic. Folding removes the batch norms; oneDNN's fused
"convolution + hardtanh" (``torch.ops.mkldnn._convolution_pointwise``, the kernel torch.compile
emits for this pattern) removes the separate ReLU6 passes. Where that op is missing (a build
without oneDNN) the folded convolutions run with an in-place ReLU6 instead.

Then the strided layers: TensorFlow's SAME padding is asymmetric on even inputs (the odd pixel
bottom/right), which PyTorch's convolutions cannot express, so each padded its input with a
copy first; at 224 px those copies (zero fill and copy of up to 96 x 113 x 113 floats an image)
took a quarter of the network's time. Instead the kernel gets a leading row and column of
zeros and the convolution pads symmetrically: ``k x k`` with padding ``(0, 1)`` (k = 3) or
``(1, 2)`` (k = 5) is exactly ``(k + 1) x (k + 1)`` with padding ``k // 2`` on both sides when
the first tap is zero, and the features are unchanged (bench/eval_speed.py: 1.3x fewer CPU
seconds an image).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_weights

from .efficientnet_lite import EfficientNetLite0
from .large_buffers import large_buffers_kept


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
        # stride 2 with an odd kernel: SAME by a zero-led kernel, no copy (see the module doc)
        self.shifted = self.stride == (2, 2) and all(k % 2 for k in self.kernel)
        self._shifted_weights: dict[tuple[bool, bool], torch.Tensor] = {}

    def same_pad(self, x: torch.Tensor) -> torch.Tensor:
        """TensorFlow SAME for strided layers by a padded copy: the odd pixel goes
        bottom/right."""
        if self.stride == (1, 1):
            return x
        pads = []
        for size, k, s in zip(x.shape[:-3:-1], self.kernel[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.pad(x, pads)

    def same_weight(self, x: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
        """The kernel and symmetric padding that give SAME at stride 2 without padding ``x``:
        along an even side SAME pads (k - 2) / 2 before and k / 2 after, which is a zero tap
        before the kernel and k // 2 on both sides; along an odd side it pads (k - 1) / 2 on
        both sides already."""
        even = (x.shape[-2] % 2 == 0, x.shape[-1] % 2 == 0)
        weight = self._shifted_weights.get(even)
        if weight is None:
            lead = (int(even[1]), 0, int(even[0]), 0)  # (left, right, top, bottom) zero taps
            weight = F.pad(self.weight, lead).contiguous(memory_format=torch.channels_last)
            self._shifted_weights[even] = weight
        padding = [k // 2 if e else (k - 1) // 2 for k, e in zip(self.kernel, even)]
        return weight, padding

    def forward(self, x: torch.Tensor, residual: torch.Tensor | None = None) -> torch.Tensor:
        """The layer on ``x``; with ``residual`` (no ReLU6), ``conv(x) + residual`` written into
        ``residual`` itself: oneDNN adds it as the convolution's last step, so the block's sum
        takes neither a pass over memory nor a new buffer."""
        if self.shifted:
            weight, padding = self.same_weight(x)
        else:
            x, weight, padding = self.same_pad(x), self.weight, self.padding
        if self.fused and residual is not None and not self.relu6:
            return torch.ops.mkldnn._convolution_pointwise_.binary(
                residual, x, weight, self.bias, padding, list(self.stride), [1, 1],
                self.groups, "add", 1.0, None, [], None,
            )  # fmt: skip
        if self.fused:
            attr, scalars = ("hardtanh", [0.0, 6.0]) if self.relu6 else ("none", [])
            y = torch.ops.mkldnn._convolution_pointwise(
                x, weight, self.bias, padding, list(self.stride), [1, 1],
                self.groups, attr, scalars, "",
            )  # fmt: skip
        else:
            y = F.conv2d(x, weight, self.bias, self.stride, padding, groups=self.groups)
            y = F.hardtanh_(y, 0.0, 6.0) if self.relu6 else y
        return y if residual is None else residual.add_(y)


class FusedBlock(nn.Sequential):
    """An inverted-residual block of folded layers; the last (projection) layer adds the
    block's input itself when the block is residual."""

    def __init__(self, layers: list[FoldedConv], residual: bool):
        super().__init__(*layers)
        self.residual = residual

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        y = h
        for layer in list(self)[:-1]:
            y = layer(y)
        # the input h is not needed after the block, so its buffer takes the sum
        return self[-1](y, residual=h if self.residual else None)


class FusedLite0Features(nn.Module):
    """(N, 3, 224, 224) normalised images -> (N, 1280) pooled features (float32), computed in
    ``dtype`` (float32 or bfloat16) with folded, fused layers.

    Page faults: at 112 and 56 px one image's widest activation is 4.8 MB (96 x 112 x 112
    floats), so 16 images make 77 MB blocks, and glibc's malloc serves blocks above its mmap
    threshold (at most 32 MB) straight from the system and gives them back on free, so every
    pass page-faults them in afresh: a quarter to a third of the network's CPU time went to the
    kernel (bench/eval_speed.py). Inside ``large_buffers.keep_large_buffers`` (the extractor
    enters it) those blocks stay in the heap and every block sees the whole batch, which is
    fastest. Elsewhere the high-resolution blocks run ``EARLY_CHUNK`` images at a time (every
    block under 20 MB, reused from the heap) and the 14- and 7-px blocks, which gain most from
    many images per matrix product, the whole batch (32 images: at most 17 MB a block).
    """

    EARLY_BLOCKS = 5  # the blocks at 112, 56 and 28 px; from block 5 on, 14 px and 7 px
    EARLY_CHUNK = 4

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
            self.blocks.append(FusedBlock(layers, b.residual))
        self.head = fold(net._conv_head, net._bn1)

    def early(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x.to(self.dtype).contiguous(memory_format=torch.channels_last))
        for block in self.blocks[: self.EARLY_BLOCKS]:
            h = block(h)
        return h

    @torch.inference_mode()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        chunk = len(x) if large_buffers_kept() else self.EARLY_CHUNK
        chunks = [self.early(part) for part in x.split(max(chunk, 1))]
        h = torch.cat(chunks) if len(chunks) > 1 else chunks[0]
        h = h.contiguous(memory_format=torch.channels_last)
        for block in self.blocks[self.EARLY_BLOCKS :]:
            h = block(h)
        return self.head(h).float().mean(dim=(2, 3))  # pooled in float32
