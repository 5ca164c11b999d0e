"""Networks shared by the image-to-image families (CycleGAN, pix2pix, and any other that
translates one image into another).

- :class:`ResnetGenerator`: Johnson et al. 2016 ("Perceptual Losses for Real-Time Style Transfer
  and Super-Resolution"), as used by CycleGAN (Zhu et al. 2017): c7s1-w, d2w, d4w, ``blocks``
  residual blocks R4w, u2w, uw, c7s1-C, reflection padding, tanh output. Inputs must be a
  multiple of 4 (two stride-2 levels).
- :class:`UNetGenerator`: the pix2pix U-Net (Isola et al. 2017): ``depth`` stride-2 4x4
  convolutions down (C64-C128-C256-C512-C512-...), the mirror up with skip connections, dropout
  0.5 on the 8w -> 8w decoder layers next to the bottleneck (three at depth 8). Inputs must
  be a multiple of 2^depth.
- :class:`PatchDiscriminator`: the PatchGAN of pix2pix and CycleGAN: 4x4 convolutions C64 (no
  norm), C128, C256 (stride 2), C512 (stride 1), a 1-channel output (stride 1). With
  ``layers`` 3 every output score sees a 70x70 patch of the input (:func:`patch_receptive_field`).

All three are fully convolutional, so they run on any size that fits their stride.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import norm2d


def _bias(norm: str) -> bool:
    """A convolution followed by batch norm needs no bias (the norm's shift replaces it)."""
    return norm != "batch"


class ResnetBlock(nn.Module):
    """x + [reflect-pad, conv3x3, norm, ReLU, (dropout), reflect-pad, conv3x3, norm](x)."""

    def __init__(self, width: int, norm: str = "instance", dropout: float = 0.0):
        super().__init__()
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(width, width, 3, bias=_bias(norm)),
            norm2d(norm, width),
            nn.ReLU(True),
        ]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers += [
            nn.ReflectionPad2d(1),
            nn.Conv2d(width, width, 3, bias=_bias(norm)),
            norm2d(norm, width),
        ]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """(B, in_channels, H, W) -> (B, out_channels, H, W) in [-1, 1]; H, W multiples of 4."""

    multiple = 4  # inputs must be a multiple of this

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        width: int = 64,
        blocks: int = 9,
        norm: str = "instance",
        dropout: float = 0.0,
    ):
        super().__init__()
        b = _bias(norm)
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, width, 7, bias=b),
            norm2d(norm, width),
            nn.ReLU(True),
        ]
        ch = width
        for _ in range(2):  # d128, d256
            layers += [
                nn.Conv2d(ch, ch * 2, 3, stride=2, padding=1, bias=b),
                norm2d(norm, ch * 2),
                nn.ReLU(True),
            ]
            ch *= 2
        layers += [ResnetBlock(ch, norm, dropout) for _ in range(blocks)]
        for _ in range(2):  # u128, u64
            layers += [
                nn.ConvTranspose2d(ch, ch // 2, 3, stride=2, padding=1, output_padding=1, bias=b),
                norm2d(norm, ch // 2),
                nn.ReLU(True),
            ]
            ch //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ch, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class UNetLevel(nn.Module):
    """One level of the U-Net: down, the inner levels, up, and the skip concatenation.

    Returns ``cat([x, up(inner(down(x)))])`` (2 * outer channels), except at the outermost
    level, which returns the tanh image."""

    def __init__(
        self,
        outer: int,
        inner: int,
        sub: nn.Module | None,
        norm: str,
        dropout: float = 0.0,
        outermost: bool = False,
        in_channels: int | None = None,
    ):
        super().__init__()
        b = _bias(norm)
        self.outermost = outermost
        down_in = in_channels if in_channels is not None else outer
        down_conv = nn.Conv2d(down_in, inner, 4, stride=2, padding=1, bias=b)
        if outermost:
            down: list[nn.Module] = [down_conv]
        elif sub is None:  # innermost: no norm on the bottleneck
            down = [nn.LeakyReLU(0.2, True), down_conv]
        else:
            down = [nn.LeakyReLU(0.2, True), down_conv, norm2d(norm, inner)]
        up_in = inner if sub is None else inner * 2  # the inner level returns its skip concat
        if outermost:
            up: list[nn.Module] = [
                nn.ReLU(True),
                nn.ConvTranspose2d(up_in, outer, 4, stride=2, padding=1),
                nn.Tanh(),
            ]
        else:
            up = [
                nn.ReLU(True),
                nn.ConvTranspose2d(up_in, outer, 4, stride=2, padding=1, bias=b),
                norm2d(norm, outer),
            ]
            if dropout > 0:
                up.append(nn.Dropout(dropout))
        self.down = nn.Sequential(*down)
        self.sub = sub if sub is not None else nn.Identity()
        self.up = nn.Sequential(*up)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.up(self.sub(self.down(x)))
        return y if self.outermost else torch.cat([x, y], dim=1)  # (B, 2 * outer, H, W)


class UNetGenerator(nn.Module):
    """(B, in_channels, H, W) -> (B, out_channels, H, W) in [-1, 1]; H, W multiples of
    2^depth. depth 8 is pix2pix's unet_256 (1x1 bottleneck at 256 px), 7 its unet_128."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        width: int = 64,
        depth: int = 8,
        norm: str = "instance",
        dropout: float = 0.5,
    ):
        super().__init__()
        if depth < 2:
            raise ValueError("a U-Net needs at least 2 levels")
        self.multiple = 2**depth
        widths = [width * min(2**i, 8) for i in range(depth)]  # 64, 128, 256, 512, 512, ...
        level: nn.Module | None = None
        for i in reversed(range(1, depth)):  # from the bottleneck outwards
            inner = widths[i]
            outer = widths[i - 1]
            # Dropout on the 8w -> 8w levels between the bottleneck and the widening ones (three
            # of them at depth 8), as in the reference code.
            drop = dropout if level is not None and i - 1 >= 3 else 0.0
            level = UNetLevel(outer, inner, level, norm, drop)
        self.net = UNetLevel(
            out_channels, widths[0], level, norm, outermost=True, in_channels=in_channels
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """A map of real/fake scores, one per overlapping input patch: (B, C, H, W) ->
    (B, H' * W'). ``features`` and ``head`` split it for the objective's feature matching."""

    def __init__(self, in_channels: int, width: int = 64, layers: int = 3, norm: str = "instance"):
        super().__init__()
        b = _bias(norm)
        body: list[nn.Module] = [
            nn.Conv2d(in_channels, width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2, True),
        ]
        ch = width
        for i in range(1, layers + 1):
            out = width * min(2**i, 8)
            stride = 2 if i < layers else 1
            body += [
                nn.Conv2d(ch, out, 4, stride=stride, padding=1, bias=b),
                norm2d(norm, out),
                nn.LeakyReLU(0.2, True),
            ]
            ch = out
        self.body = nn.Sequential(*body)
        self.out = nn.Conv2d(ch, 1, 4, stride=1, padding=1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)  # (B, C', H', W')

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.out(features).flatten(1)  # (B, patches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def patch_receptive_field(layers: int = 3) -> int:
    """Side of the input patch each PatchGAN score sees: 70 for ``layers`` 3, 34 for 2."""
    kernels_strides = [(4, 2)] + [(4, 2 if i < layers else 1) for i in range(1, layers + 1)]
    kernels_strides.append((4, 1))
    field = 1
    for kernel, stride in reversed(kernels_strides):
        field = (field - 1) * stride + kernel
    return field
