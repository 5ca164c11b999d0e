"""The Inception-v3 network of the standard FID (Heusel et al. 2017, "GANs Trained by a Two
Time-Scale Update Rule Converge to a Local Nash Equilibrium"; network: Szegedy et al. 2016,
"Rethinking the Inception Architecture for Computer Vision"), as ported to PyTorch by pytorch-fid
from TensorFlow's ``inception-2015-12-05`` graph: 2048-d pool3 features.

The weights are not downloadable here; the user supplies ``pt_inception-2015-12-05-6726825d.pth``
(pytorch-fid's release file). Module names mirror torchvision's ``Inception3`` so that file loads
as is. Written here rather than imported because pytorch-fid and torchvision pull a CUDA build of
torch. The TensorFlow graph differs from torchvision's Inception in three places, reproduced
below: its average pools ignore the zero padding, the last block max-pools its pool branch, and
the classifier has 1008 classes.

Preprocessing is pytorch-fid's: bilinear resize to 299 x 299 (``align_corners=False``, no
antialiasing) of images in [-1, 1]. Only this file of weights with this preprocessing gives FIDs
comparable to published ones; ``InceptionFeatures.standard`` says whether the file is it.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import CheckpointError
from ...registry import FEATURES
from .base import FeatureExtractor, file_sha256

WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_SHA256_PREFIX = "6726825d"  # the release file's name carries its hash's first 8 digits
WEIGHTS_ENV = "ARTGAN_INCEPTION_WEIGHTS"
INPUT_SIZE = 299
FEATURE_DIM = 2048
NUM_CLASSES = 1008  # the 2015 graph's ImageNet classifier has 8 unused classes


class BasicConv2d(nn.Module):
    """Convolution, batch norm (TensorFlow's eps), ReLU."""

    def __init__(self, cin: int, cout: int, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def tf_avg_pool(x: torch.Tensor) -> torch.Tensor:
    # TensorFlow's 3x3 "SAME" average pool divides by the number of real (unpadded) inputs.
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    def __init__(self, cin: int, pool_features: int):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, 1)
        self.branch5x5_1 = BasicConv2d(cin, 48, 1)
        self.branch5x5_2 = BasicConv2d(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(tf_avg_pool(x))
        return torch.cat([self.branch1x1(x), b5, b3, bp], 1)


class InceptionB(nn.Module):
    """Grid reduction 35 -> 17."""

    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionC(nn.Module):
    """Factorised 7x7 convolutions as 1x7 and 7x1."""

    def __init__(self, cin: int, c7: int):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 192, 1)
        self.branch7x7_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = self.branch7x7dbl_1(x)
        for layer in (
            self.branch7x7dbl_2,
            self.branch7x7dbl_3,
            self.branch7x7dbl_4,
            self.branch7x7dbl_5,
        ):
            d = layer(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(tf_avg_pool(x))], 1)


class InceptionD(nn.Module):
    """Grid reduction 17 -> 8."""

    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, 1)
        self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_1(x)
        for layer in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b7 = layer(b7)
        return torch.cat([b3, b7, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionE(nn.Module):
    """Expanded filter bank at 8x8; ``max_pool`` marks the graph's last block (see top)."""

    def __init__(self, cin: int, max_pool: bool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(cin, 320, 1)
        self.branch3x3_1 = BasicConv2d(cin, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(s), self.branch3x3_2b(s)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        pooled = F.max_pool2d(x, 3, stride=1, padding=1) if self.max_pool else tf_avg_pool(x)
        return torch.cat([self.branch1x1(x), b3, bd, self.branch_pool(pooled)], 1)


class FIDInceptionV3(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, c7=128)
        self.Mixed_6c = InceptionC(768, c7=160)
        self.Mixed_6d = InceptionC(768, c7=160)
        self.Mixed_6e = InceptionC(768, c7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, max_pool=False)
        self.Mixed_7c = InceptionE(2048, max_pool=True)
        self.fc = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, 299, 299) in [-1, 1] -> (N, 2048) pool3 features."""
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, 3, stride=2)  # (N, 192, 35, 35)
        for block in (
            self.Mixed_5b,
            self.Mixed_5c,
            self.Mixed_5d,
            self.Mixed_6a,
            self.Mixed_6b,
            self.Mixed_6c,
            self.Mixed_6d,
            self.Mixed_6e,
            self.Mixed_7a,
            self.Mixed_7b,
            self.Mixed_7c,
        ):
            x = block(x)
        return x.mean(dim=(2, 3))  # (N, 2048, 8, 8) -> (N, 2048)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits over the graph's 1008 classes (what Inception Score uses)."""
        return self.fc(self.features(x))


def resolve_weights_path(path: str | os.PathLike | None) -> Path:
    """The weights file from the argument, else from $ARTGAN_INCEPTION_WEIGHTS."""
    chosen = path or os.environ.get(WEIGHTS_ENV)
    how = (
        f"download {WEIGHTS_FILE} from the pytorch-fid GitHub release 'fid_weights' on a "
        f"connected machine, then pass --inception-weights PATH (or set {WEIGHTS_ENV})"
    )
    if not chosen:
        raise CheckpointError(f"the inception feature extractor needs its weights file; {how}")
    resolved = Path(chosen).expanduser()
    if not resolved.is_file():
        raise CheckpointError(f"inception weights file not found: {resolved}; {how}")
    return resolved


def load_fid_inception(path: str | os.PathLike | None = None) -> tuple[FIDInceptionV3, str]:
    """The network in eval mode with the user's weights, and the file's sha256."""
    resolved = resolve_weights_path(path)
    try:
        # weights_only: the file comes from the user, so it is never unpickled as code.
        state = torch.load(resolved, map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise ValueError(f"holds a {type(state).__name__}, not a state dict")
        net = FIDInceptionV3()
        net.load_state_dict(state)  # strict: every key and shape must match
    except (OSError, EOFError, RuntimeError, ValueError, pickle.UnpicklingError) as err:
        raise CheckpointError(
            f"{resolved} is not a pytorch-fid Inception weights file ({type(err).__name__}: "
            f"{str(err).splitlines()[0][:200]}); use {WEIGHTS_FILE} from the pytorch-fid release"
        ) from None
    return net.eval(), file_sha256(resolved)


@FEATURES.register("inception")
class InceptionFeatures(FeatureExtractor):
    """pool3 features of the FID Inception-v3, from a weights file the user supplies."""

    name = "inception"
    dim = FEATURE_DIM
    num_classes = NUM_CLASSES
    PREPROCESSING = "bilinear-299-pytorchfid"  # bump when the preprocessing below changes

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        device: str | torch.device = "cpu",
        batch_size: int | None = None,
    ):
        net, sha = load_fid_inception(weights)
        super().__init__(net, device=device, batch_size=batch_size)
        self.version = f"{sha[:12]}-{self.PREPROCESSING}"
        # Only the release file gives FIDs comparable with published numbers.
        self.standard = sha.startswith(WEIGHTS_SHA256_PREFIX)

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        return F.interpolate(
            images, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False
        )  # (N, 3, 299, 299)

    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        return self.net.features(images)

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits (N, 1008) for the Inception Score."""
        return self.run(images, lambda x: self.net(x), NUM_CLASSES)
