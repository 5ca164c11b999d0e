"""Neural style transfer (Gatys, Ecker & Bethge 2016, "Image Style Transfer Using Convolutional
Neural Networks"): no training data and no trained model, only a fixed ImageNet network.

The output image itself is optimised so that its deep features match the content image's
(content loss) and the correlations between its feature channels, Gram matrices, match the
style image's at several depths (style loss):

    L = content_weight * L_content + style_weight * mean_l L_style,l  (+ tv_weight * TV)

The paper uses VGG-19 (content conv4_2, style conv1_1 .. conv5_1). artgan ships no VGG weights,
so it uses the offline EfficientNet-Lite0 (nn/efficientnet_lite.py) at the
analogous depths: style on the stem (stride 2, the conv1_1 analogue) and on the ends of stages
2, 3, 4 and 5 (MBConv blocks 2, 4, 7, 10: strides 4, 8, 16, 16); content at the end of stage 3
(block 4, stride 8, the depth of conv4_2). Each term is a relative squared error (divided by the
target's mean square), so layers of different scale weigh alike and ``style_weight`` means the
same at every image size. Gram matrices are F F^T / (H W) per layer (C x C).

The image starts as the content image (or noise, as in the paper, with ``init noise``) and is
optimised with L-BFGS (the paper's choice) or Adam, in [-1, 1] pixel units at a working size
whose longer side is ``size``; the result is resized back to the content image's own size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image
from torch import nn

from .errors import ConfigError
from .nn.efficientnet_lite import load_efficientnet_lite0

STYLE_BLOCKS = (-1, 2, 4, 7, 10)  # -1: the stem's output
CONTENT_BLOCK = 4
OPTIMIZERS = ("lbfgs", "adam")
INITS = ("content", "noise")


class LiteFeatures(nn.Module):
    """Frozen EfficientNet-Lite0 trunk returning the feature maps after the stem (key -1) and
    after the given MBConv blocks: images in [-1, 1] -> {block: (B, C, H/s, W/s)}."""

    def __init__(self, blocks: tuple[int, ...]):
        super().__init__()
        net, self.weights_sha256 = load_efficientnet_lite0()
        self.wanted = set(blocks)
        self.stem = nn.Sequential(net._conv_stem, net._bn0, nn.ReLU6())
        self.blocks = nn.ModuleList(net._blocks[: max(blocks) + 1])
        self.eval().requires_grad_(False)

    def forward(self, images: torch.Tensor) -> dict[int, torch.Tensor]:
        x = ((images + 1.0) * 127.5 - 127.0) / 128.0  # TensorFlow Lite's (pixel - 127) / 128
        h = self.stem(x)
        out = {-1: h} if -1 in self.wanted else {}
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i in self.wanted:
                out[i] = h
        return out


def gram(features: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, C) channel correlations F F^T / (H W)."""
    b, c, h, w = features.shape
    f = features.reshape(b, c, h * w)  # (B, C, HW)
    return f @ f.transpose(1, 2) / (h * w)


def relative_error(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (x - target).pow(2).mean() / (target.pow(2).mean() + 1e-8)


def total_variation(x: torch.Tensor) -> torch.Tensor:
    return (x[..., 1:, :] - x[..., :-1, :]).abs().mean() + (x[..., 1:] - x[..., :-1]).abs().mean()


@dataclass
class StyleTransferResult:
    image: np.ndarray  # uint8 (H, W, 3), the content image's size
    losses: list[float] = field(default_factory=list)  # total loss at each evaluation
    content_loss: float = 0.0  # final terms (unweighted)
    style_loss: float = 0.0
    working_size: tuple[int, int] = (0, 0)  # (width, height) optimised at
    weights_sha256: str = ""  # of the feature network


def working_size(width: int, height: int, size: int) -> tuple[int, int]:
    """(width, height) with the longer side ``size`` (never enlarged past the original)."""
    scale = min(1.0, size / max(width, height))
    return max(16, round(width * scale)), max(16, round(height * scale))


def to_tensor(image: np.ndarray, size: tuple[int, int], device) -> torch.Tensor:
    """uint8 (H, W, 3) resized to ``size`` (width, height) -> (1, 3, h, w) in [-1, 1]."""
    pil = Image.fromarray(image)
    if pil.size != size:
        pil = pil.resize(size, Image.Resampling.LANCZOS)
    array = np.asarray(pil, dtype=np.float32)
    x = torch.from_numpy(array).permute(2, 0, 1)[None].div(127.5).sub(1.0)  # (1, 3, h, w)
    return x.contiguous().to(device)


def as_rgb(image: np.ndarray) -> np.ndarray:
    return np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image


def style_transfer(
    content: np.ndarray,
    style: np.ndarray,
    style_weight: float = 1000.0,
    content_weight: float = 1.0,
    tv_weight: float = 0.0,
    size: int = 384,
    steps: int = 200,
    optimizer: str = "lbfgs",
    init: str = "content",
    seed: int = 0,
    device: str | torch.device = "cpu",
    progress: Callable[[int, float], None] | None = None,
) -> StyleTransferResult:
    """Paint ``content`` (uint8 (H, W, C)) in the style of ``style``; see the module docstring.
    ``steps`` counts loss evaluations (L-BFGS) or updates (Adam)."""
    if optimizer not in OPTIMIZERS:
        raise ConfigError(f"optimizer must be {' or '.join(OPTIMIZERS)}, got {optimizer!r}")
    if init not in INITS:
        raise ConfigError(f"init must be {' or '.join(INITS)}, got {init!r}")
    if steps < 1 or size < 16:
        raise ConfigError("steps must be at least 1 and size at least 16")
    if style_weight < 0 or content_weight < 0 or tv_weight < 0:
        raise ConfigError("the loss weights must be >= 0")
    content, style = as_rgb(content), as_rgb(style)
    height, width = content.shape[:2]
    work = working_size(width, height, size)
    style_work = working_size(style.shape[1], style.shape[0], max(work))

    net = LiteFeatures(tuple(sorted({*STYLE_BLOCKS, CONTENT_BLOCK}))).to(device)
    c = to_tensor(content, work, device)
    with torch.no_grad():
        content_target = net(c)[CONTENT_BLOCK]
        style_features = net(to_tensor(style, style_work, device))
        style_targets = {k: gram(style_features[k]) for k in STYLE_BLOCKS}
    if init == "content":
        x = c.clone()
    else:
        g = torch.Generator().manual_seed(seed)
        x = (torch.rand(c.shape, generator=g) * 2 - 1).to(device)
    x.requires_grad_(True)
    losses: list[float] = []
    terms: dict[str, float] = {}

    def objective() -> torch.Tensor:
        features = net(x.clamp(-1, 1))
        content_term = relative_error(features[CONTENT_BLOCK], content_target)
        style_term = torch.stack(
            [relative_error(gram(features[k]), style_targets[k]) for k in STYLE_BLOCKS]
        ).mean()
        loss = content_weight * content_term + style_weight * style_term
        if tv_weight > 0:
            loss = loss + tv_weight * total_variation(x)
        terms["content"], terms["style"] = content_term.item(), style_term.item()
        return loss

    if optimizer == "lbfgs":
        opt: torch.optim.Optimizer = torch.optim.LBFGS(
            [x], lr=1.0, max_iter=steps, max_eval=steps, history_size=50,
            tolerance_grad=0.0, tolerance_change=0.0, line_search_fn="strong_wolfe",
        )  # fmt: skip

        def closure() -> torch.Tensor:
            opt.zero_grad()
            loss = objective()
            loss.backward()
            losses.append(loss.item())
            if progress is not None:
                progress(len(losses), losses[-1])
            return loss

        opt.step(closure)
    else:
        opt = torch.optim.Adam([x], lr=0.02)
        for _ in range(steps):
            opt.zero_grad()
            loss = objective()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if progress is not None:
                progress(len(losses), losses[-1])

    with torch.no_grad():
        final = objective()  # the terms of the returned image
        losses.append(float(final))
        pixels = ((x.detach().clamp(-1, 1)[0] + 1) * 127.5).round().byte()
    image = pixels.permute(1, 2, 0).cpu().numpy()  # (h, w, 3)
    if image.shape[:2] != (height, width):
        image = np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.LANCZOS))
    return StyleTransferResult(
        image=image,
        losses=losses,
        content_loss=terms["content"],
        style_loss=terms["style"],
        working_size=work,
        weights_sha256=net.weights_sha256,
    )
