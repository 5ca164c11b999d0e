"""`shapes3d`: procedural 3-D objects in five classes, as voxel grids and as pictures of them.

Classes (label ``index % 5``, so balanced): lathe-turned **vase** (a hollow surface of revolution
with a foot, a belly, a neck and a lip) and **bowl**, **table** and **chair** built from boxes,
and **torus** (a ring, tilted). Every object is drawn from its own random stream (seed, split,
index): the set is deterministic by seed, made offline in seconds, and the test split (another
stream) shares no object with train, so it holds out whole shapes for evaluation.

Each object is kept as a grid (4, D, D, D) of opacity and RGB in [0, 1] (data/projection.py's
layout): opacity is the fraction of the voxel inside the shape (2x supersampled up to 32^3), and
the colour is the object's paint lit by a fixed light (Lambert, normals from the smoothed
opacity), baked in, so a picture of the grid from any view is what the emission-absorption
projection gives. Two built-in datasets:

- ``shapes3d``: pictures, ``VIEWS_PER_OBJECT`` random views of each object (azimuth all round,
  elevation in ``ELEVATION_DEG``), on white: what a 2-D-supervised voxelgan trains on;
- ``shapes3d-voxels``: the grids themselves (uint8), for the 3-D discriminator (3D-GAN).

``shapes3d:vase`` (any class name after the colon) keeps one class.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from ..config import DataConfig
from ..registry import DATASETS
from .dataset import DataReport, InMemoryDataset
from .projection import render

CLASSES = ("vase", "bowl", "table", "chair", "torus")
DEFAULT_RENDERS = 2000  # pictures in ``shapes3d`` (500 objects seen 4 times)
DEFAULT_OBJECTS = 500  # grids in ``shapes3d-voxels``
DEFAULT_SIDE = 32
VIEWS_PER_OBJECT = 4
ELEVATION_DEG = (10.0, 40.0)  # the views' elevation range; voxelgan's default matches it
LIGHT = np.array([-0.5, -0.8, -0.45]) / np.linalg.norm([-0.5, -0.8, -0.45])  # (x, y, z), y down
AMBIENT = 0.35

Inside = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]  # (x, height, z) -> bool


def _lathe(radius: Callable[[np.ndarray], np.ndarray], bottom: float, top: float, wall: float):
    """A hollow surface of revolution: radius(t) for t in [0, 1] from ``bottom`` to ``top``
    heights, a wall ``wall`` thick and a closed base of the same thickness."""

    def inside(x, h, z):
        t = (h - bottom) / (top - bottom)
        r = radius(np.clip(t, 0.0, 1.0))
        rho = np.sqrt(x * x + z * z)
        shell = (rho <= r) & ((rho >= r - wall) | (h <= bottom + wall))
        return shell & (t >= 0.0) & (t <= 1.0)

    return inside


def _vase(rng: np.random.Generator) -> Inside:
    bottom, top = -0.8, rng.uniform(0.5, 0.8)
    t = [0.0, rng.uniform(0.3, 0.5), rng.uniform(0.75, 0.85), 1.0]
    r = [rng.uniform(0.22, 0.32), rng.uniform(0.45, 0.62), rng.uniform(0.13, 0.22)]
    r.append(r[2] + rng.uniform(0.03, 0.12))  # the lip flares out
    # scipy.interpolate is imported here, not with the module: every command imports the
    # dataset registry, and scipy's interpolate/signal cost about a CPU second at start-up
    from scipy.interpolate import PchipInterpolator

    return _lathe(PchipInterpolator(t, r), bottom, top, wall=0.1)


def _bowl(rng: np.random.Generator) -> Inside:
    bottom, top = rng.uniform(-0.55, -0.35), rng.uniform(0.05, 0.3)
    foot, rim = rng.uniform(0.18, 0.3), rng.uniform(0.68, 0.82)
    return _lathe(lambda t: foot + (rim - foot) * (1 - (1 - t) ** 2), bottom, top, wall=0.1)


def _box(x, h, z, lo, hi) -> np.ndarray:
    return (x >= lo[0]) & (x <= hi[0]) & (h >= lo[1]) & (h <= hi[1]) & (z >= lo[2]) & (z <= hi[2])


def _legs(x, h, z, half_x, half_z, floor, height, side) -> np.ndarray:
    out = np.zeros_like(x, dtype=bool)
    for sx in (-1, 1):
        for sz in (-1, 1):
            cx, cz = sx * (half_x - side), sz * (half_z - side)
            out |= _box(x, h, z, (cx - side, floor, cz - side), (cx + side, height, cz + side))
    return out


def _table(rng: np.random.Generator) -> Inside:
    half_x, half_z = rng.uniform(0.5, 0.65), rng.uniform(0.35, 0.55)
    height, thick, leg = rng.uniform(0.0, 0.2), rng.uniform(0.08, 0.14), rng.uniform(0.05, 0.08)

    def inside(x, h, z):
        top = _box(x, h, z, (-half_x, height - thick, -half_z), (half_x, height, half_z))
        return top | _legs(x, h, z, half_x, half_z, -0.65, height, leg)

    return inside


def _chair(rng: np.random.Generator) -> Inside:
    half = rng.uniform(0.3, 0.42)
    seat, thick, leg = rng.uniform(-0.2, 0.0), rng.uniform(0.08, 0.12), rng.uniform(0.04, 0.07)
    back_top = rng.uniform(0.55, 0.72)

    def inside(x, h, z):
        seat_box = _box(x, h, z, (-half, seat - thick, -half), (half, seat, half))
        back = _box(x, h, z, (-half, seat, half - 0.1), (half, back_top, half))
        return seat_box | back | _legs(x, h, z, half, half, -0.72, seat, leg)

    return inside


def _torus(rng: np.random.Generator) -> Inside:
    big, small = rng.uniform(0.45, 0.6), rng.uniform(0.14, 0.24)
    tilt = rng.uniform(0.0, math.radians(60))
    c, s = math.cos(tilt), math.sin(tilt)

    def inside(x, h, z):
        h2, z2 = c * h - s * z, s * h + c * z  # tilted about the x axis
        return (np.sqrt(x * x + z2 * z2) - big) ** 2 + h2 * h2 <= small * small

    return inside


SHAPES: dict[str, Callable[[np.random.Generator], Inside]] = {
    "vase": _vase,
    "bowl": _bowl,
    "table": _table,
    "chair": _chair,
    "torus": _torus,
}
# A few paints per class (RGB 0-255), each jittered per object.
PAINTS = {
    "vase": [(40, 80, 170), (190, 90, 50), (60, 130, 90), (200, 180, 140)],
    "bowl": [(220, 200, 170), (150, 60, 60), (70, 110, 160), (90, 140, 110)],
    "table": [(150, 100, 60), (110, 70, 40), (180, 140, 90), (70, 70, 80)],
    "chair": [(160, 110, 60), (120, 80, 50), (170, 50, 50), (60, 90, 130)],
    "torus": [(220, 60, 50), (230, 180, 40), (40, 160, 160), (150, 70, 170)],
}


def _occupancy(inside: Inside, side: int) -> np.ndarray:
    """(D, D, D) fraction of each voxel inside the shape (2x2x2 samples up to 32^3)."""
    factor = 2 if side <= 32 else 1
    n = side * factor
    c = (np.arange(n) + 0.5) / n * 2.0 - 1.0  # sample centres in [-1, 1]
    z, y, x = np.meshgrid(c, c, c, indexing="ij")  # (depth, rows, columns)
    solid = inside(x, -y, z).astype(np.float32)  # height is -y: rows run top to bottom
    return solid.reshape(side, factor, side, factor, side, factor).mean(axis=(1, 3, 5))


def _lit(occupancy: np.ndarray, paint: np.ndarray) -> np.ndarray:
    """(3, D, D, D) colour: the paint under a fixed light, normals from the smoothed opacity."""
    from scipy.ndimage import gaussian_filter  # on use: see _vase

    gz, gy, gx = np.gradient(gaussian_filter(occupancy, 1.0))
    normal = -np.stack([gx, gy, gz])  # outwards: where opacity falls
    length = np.linalg.norm(normal, axis=0)
    cosine = np.einsum("c...,c->...", normal, LIGHT) / np.maximum(length, 1e-6)
    shade = AMBIENT + (1 - AMBIENT) * np.clip(cosine, 0.0, 1.0)
    shade = np.where(length > 1e-4, shade, AMBIENT + (1 - AMBIENT) * 0.5)  # no surface there
    return np.clip(paint[:, None, None, None] * shade[None], 0.0, 1.0).astype(np.float32)


def lit_grey(volumes: torch.Tensor) -> torch.Tensor:
    """Grids (B, 4, D, D, D) with their colour replaced by a light grey under the light: to
    look at shapes whose colour means nothing (a model trained on silhouettes)."""
    grey = np.full(3, 0.8)
    colours = [_lit(v[0].detach().cpu().numpy(), grey) for v in volumes]
    colour = torch.from_numpy(np.stack(colours)).to(volumes)  # (B, 3, D, D, D)
    return torch.cat([volumes[:, :1], colour], dim=1)


def make_object(index: int, side: int = DEFAULT_SIDE, seed: int = 0, split: int = 0):
    """Object ``index``: a float32 grid (4, side, side, side) in [0, 1] and its class label."""
    label = index % len(CLASSES)
    name = CLASSES[label]
    rng = np.random.default_rng([seed, split, index, 3])
    occupancy = _occupancy(SHAPES[name](rng), side)
    paints = PAINTS[name]
    paint = np.asarray(paints[rng.integers(0, len(paints))], dtype=np.float64)
    paint = np.clip(paint + rng.integers(-20, 21, 3), 0, 255) / 255.0
    return np.concatenate([occupancy[None], _lit(occupancy, paint)]), label


def make_objects(n: int, side: int = DEFAULT_SIDE, seed: int = 0, split: int = 0, classes=None):
    """The first ``n`` objects of a split (of ``classes`` only, when given): (grids (n, 4, D,
    D, D) float32 tensor, labels (n,))."""
    wanted = [CLASSES.index(c) for c in classes] if classes else list(range(len(CLASSES)))
    grids, labels, index = [], [], 0
    while len(grids) < n:
        if index % len(CLASSES) in wanted:
            grid, label = make_object(index, side, seed, split)
            grids.append(torch.from_numpy(grid))
            labels.append(label)
        index += 1
    return torch.stack(grids), torch.tensor(labels, dtype=torch.long)


def random_views(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(azimuth, elevation) in radians for ``n`` views: all round, elevation in ELEVATION_DEG."""
    low, high = (math.radians(a) for a in ELEVATION_DEG)
    azimuth = torch.rand(n, generator=generator) * 2 * math.pi
    return azimuth, low + (high - low) * torch.rand(n, generator=generator)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    return (x.clamp(0, 1) * 255).round().to(torch.uint8)


def _split(config: DataConfig) -> int:
    return 1 if config.split == "test" else 0


@DATASETS.register("shapes3d")
def load_shapes3d(config: DataConfig, image_size: int | None = None) -> InMemoryDataset:
    side = image_size or DEFAULT_SIDE
    n = min(config.size or DEFAULT_RENDERS, config.limit or 1 << 62)
    objects = math.ceil(n / VIEWS_PER_OBJECT)
    generator = torch.Generator().manual_seed(config.seed * 7 + _split(config))
    pictures, labels = [], []
    for start in range(0, objects, 32):  # a chunk of grids at a time bounds the memory
        grids, y = _objects_range(start, min(32, objects - start), side, config)
        grids = grids.repeat_interleave(VIEWS_PER_OBJECT, 0)  # (views * n, 4, D, D, D)
        azimuth, elevation = random_views(len(grids), generator)
        pictures.append(to_uint8(render(grids, azimuth, elevation)))
        labels.append(y.repeat_interleave(VIEWS_PER_OBJECT))
    x, y = torch.cat(pictures)[:n], torch.cat(labels)[:n]  # (N, 3, D, D)
    if config.color == "grey":
        luma = torch.tensor([0.299, 0.587, 0.114])[None, :, None, None]  # ITU-R 601, as Pillow
        x = (x.float() * luma).sum(1, keepdim=True).round_().to(torch.uint8)  # (N, 1, D, D)
    report = DataReport(name="shapes3d", count=n)
    report.notes.append(f"{objects} objects, {VIEWS_PER_OBJECT} random views each")
    return InMemoryDataset(x, y, list(CLASSES), report, flip=False)


def _objects_range(start: int, n: int, side: int, config: DataConfig):
    pairs = [make_object(i, side, config.seed, _split(config)) for i in range(start, start + n)]
    grids = torch.stack([torch.from_numpy(g) for g, _ in pairs])
    return grids, torch.tensor([label for _, label in pairs], dtype=torch.long)


@DATASETS.register("shapes3d-voxels")
def load_shapes3d_voxels(config: DataConfig, image_size: int | None = None) -> InMemoryDataset:
    side = image_size or DEFAULT_SIDE
    n = min(config.size or DEFAULT_OBJECTS, config.limit or 1 << 62)
    grids, y = _objects_range(0, n, side, config)
    report = DataReport(name="shapes3d-voxels", count=n)
    return InMemoryDataset(to_uint8(grids), y, list(CLASSES), report, flip=False)
