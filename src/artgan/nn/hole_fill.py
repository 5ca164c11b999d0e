"""Classical fills of image holes in torch, batched: the smooth starting points that the
inpainting generators (models/inpaint.py, models/lama.py) correct rather than draw anew.

A mask is 1 where pixels are missing. Both fills keep the known pixels exactly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pyramid_fill(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``x`` (B, C, H, W) with its holes (``mask`` (B, 1, H, W) = 1) filled by push-pull
    (Gortler et al. 1996): at each coarser scale each cell holds the mean of the known pixels
    below it; then, from the coarsest scale up, a cell that knows nothing takes the upsampled
    coarser value."""
    values, weights = [x * (1 - mask)], [1 - mask]
    while min(values[-1].shape[-2:]) > 1:  # push: sums of known values and their counts
        values.append(4 * F.avg_pool2d(values[-1], 2, ceil_mode=True))
        weights.append(4 * F.avg_pool2d(weights[-1], 2, ceil_mode=True))
    filled = values[-1] / weights[-1].clamp_min(1e-8)
    for value, weight in zip(reversed(values[:-1]), reversed(weights[:-1])):  # pull
        up = F.interpolate(filled, size=value.shape[-2:], mode="bilinear", align_corners=False)
        known = weight.clamp(max=1.0)  # a cell with one known pixel below trusts its mean
        filled = value / weight.clamp_min(1e-8) * known + up * (1 - known)
    return x * (1 - mask) + filled * mask


def _neighbour_mean(x: torch.Tensor) -> torch.Tensor:
    """Mean of the 4 neighbours; outside the image a pixel mirrors itself (zero flux)."""
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    return (p[..., :-2, 1:-1] + p[..., 2:, 1:-1] + p[..., 1:-1, :-2] + p[..., 1:-1, 2:]) / 4


def harmonic_fill(
    x: torch.Tensor, mask: torch.Tensor, iterations: int = 48, omega: float = 1.85
) -> torch.Tensor:
    """The holes filled with the harmonic interpolant of their border (Laplace's equation, the
    classical diffusion fill of metrics/restoration.py), solved approximately: the push-pull
    fill as a start, then red-black successive over-relaxation, which converges in a number of
    sweeps proportional to the hole's width (plain Jacobi needs its square)."""
    rows = torch.arange(x.shape[-2], device=x.device)[:, None]
    cols = torch.arange(x.shape[-1], device=x.device)[None, :]
    red = ((rows + cols) % 2 == 0).to(x.dtype)  # (H, W) checkerboard
    out = pyramid_fill(x, mask)
    for _ in range(iterations):
        for colour in (red, 1 - red):  # a colour's neighbours all have the other colour
            step = mask * colour
            out = out + omega * step * (_neighbour_mean(out) - out)
    return out
