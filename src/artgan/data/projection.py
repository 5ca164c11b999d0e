"""The differentiable projection of a voxel grid to a picture (PlatonicGAN, Henzler et al. 2019).

A grid is (B, 4, D, D, D): channel 0 is opacity in [0, 1], channels 1-3 RGB colour in [0, 1].
Axes: (depth z, rows y, columns x); rows run top to bottom, so "up" is -y, and the camera looks
along +z from in front of slice 0 (orthographic). A view turns the grid about its centre first
(azimuth about the vertical axis, then elevation about x) by trilinear resampling
(``grid_sample``), so the picture from any view is one differentiable function of the grid.

Two image formation models, after the paper:

- emission-absorption: each voxel absorbs ``alpha = 1 - exp(-k * opacity)`` of the light that
  reaches it and emits its colour with that weight; a ray adds ``T_i * alpha_i * colour_i``
  where ``T_i`` is the light left after the voxels in front, and the background shows through
  what is left at the end. ``k`` is the absorption of one fully opaque voxel, scaled with the
  grid so a 64^3 grid of the same object looks like the 32^3 one.
- visual hull: ``1 - exp(-k * sum(opacity))``, the silhouette: how much of the ray is blocked.

It lives in the data layer because the built-in ``shapes3d`` renders its training pictures with
this very operator, so real and generated pictures come from one image formation model.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

# Absorption of one fully opaque voxel on a 32^3 grid: 1 - exp(-3) = 95 % of the light.
ABSORPTION_AT_32 = 3.0
TURNTABLE_ELEVATION = 20.0  # degrees: turntables and preview sheets look slightly down


def absorption(side: int, scale: float = ABSORPTION_AT_32) -> float:
    """Per-voxel absorption of a ``side``^3 grid: the same object is as opaque at any size."""
    return scale * 32.0 / side


def view_rotations(azimuth: torch.Tensor, elevation: torch.Tensor) -> torch.Tensor:
    """(B, 3, 3) rotations for views at ``azimuth`` and ``elevation`` (radians, (B,) each),
    acting on (x, y, z) grid coordinates: about the vertical (y) axis, then about x."""
    ca, sa = torch.cos(azimuth), torch.sin(azimuth)
    ce, se = torch.cos(elevation), -torch.sin(elevation)  # positive: the camera looks down
    one, zero = torch.ones_like(azimuth), torch.zeros_like(azimuth)
    about_y = torch.stack([ca, zero, sa, zero, one, zero, -sa, zero, ca], -1).view(-1, 3, 3)
    about_x = torch.stack([one, zero, zero, zero, ce, -se, zero, se, ce], -1).view(-1, 3, 3)
    return about_y @ about_x


def rotate(volume: torch.Tensor, rotation: torch.Tensor) -> torch.Tensor:
    """The grid as seen after turning it by ``rotation`` (B, 3, 3): trilinear, zeros outside."""
    b = volume.shape[0]
    theta = torch.cat([rotation, rotation.new_zeros(b, 3, 1)], dim=2)  # (B, 3, 4)
    grid = F.affine_grid(theta.to(volume.dtype), list(volume.shape), align_corners=False)
    return F.grid_sample(volume, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def emission_absorption(
    volume: torch.Tensor, k: float, background: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """(colour (B, 3, H, W) in [0, 1], coverage (B, 1, H, W)) of a grid seen along +z."""
    opacity, colour = volume[:, :1], volume[:, 1:4]  # (B, 1, D, H, W), (B, 3, D, H, W)
    alpha = 1.0 - torch.exp(-k * opacity)
    # Light left in front of each voxel: the product of (1 - alpha) over the voxels before it.
    left = torch.cumprod(1.0 - alpha + 1e-6, dim=2)
    in_front = torch.cat([torch.ones_like(left[:, :, :1]), left[:, :, :-1]], dim=2)
    weight = in_front * alpha  # (B, 1, D, H, W)
    coverage = weight.sum(dim=2)  # (B, 1, H, W)
    image = (weight * colour).sum(dim=2) + (1.0 - coverage) * background
    return image, coverage


def visual_hull(volume: torch.Tensor, k: float) -> torch.Tensor:
    """(B, 1, H, W) silhouettes in [0, 1]: 1 - exp(-k * sum of opacity along the ray)."""
    return 1.0 - torch.exp(-k * volume[:, :1].sum(dim=2))


def render(
    volume: torch.Tensor,
    azimuth: torch.Tensor,
    elevation: torch.Tensor,
    mode: str = "absorption",
    background: float = 1.0,
    k: float | None = None,
) -> torch.Tensor:
    """Pictures of grids (B, 4, D, D, D) from views (radians, (B,) each), in [0, 1]:
    RGB (B, 3, D, D) for ``mode`` "absorption", silhouettes (B, 1, D, D) for "hull"."""
    k = absorption(volume.shape[-1]) if k is None else k
    rotation = view_rotations(azimuth.to(volume.device), elevation.to(volume.device))
    seen = rotate(volume, rotation)
    if mode == "hull":
        return visual_hull(seen, k)
    return emission_absorption(seen, k, background)[0]


def turntable_views(frames: int, elevation_deg: float = TURNTABLE_ELEVATION):
    """(azimuth, elevation) tensors for ``frames`` views once around the object."""
    azimuth = torch.arange(frames, dtype=torch.float32) * (2 * math.pi / frames)
    return azimuth, torch.full((frames,), math.radians(elevation_deg))
