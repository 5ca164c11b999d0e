"""`art`: a procedural set of abstract paintings in five styles, made on the fly.

Each item is drawn from its own random stream (seed, split, index), so the set is deterministic
by seed, needs no download, any item can be rendered alone, and the test split (another stream)
shares no item with train. The label is the style (``index % 5``, so classes are balanced):

- mondrian:  off-white canvas, thick black grid lines, a few red/blue/yellow cells
- rothko:    two or three soft-edged colour fields stacked on a tinted ground
- kandinsky: circles, concentric rings, black lines and triangles on a light ground
- pollock:   all-over drips and splatter in a few paints over a plain canvas
- riley:     op-art waves of dark and light stripes

Shapes are bold and low-frequency on purpose: the styles stay recognisable at 32 px, which is
what a small GAN trained for minutes on a CPU can learn. Hard-edged styles are drawn with Pillow
at twice the size and box-filtered down (supersampling antialiasing); the soft ones (rothko,
blurred; riley, antialiased analytically) are drawn at the final size, which is cheaper.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter

from ..config import DataConfig
from ..registry import DATASETS
from .dataset import DataReport, InMemoryDataset

DEFAULT_SIZE = 4096
DEFAULT_IMAGE_SIZE = 64

Color = tuple[int, int, int]
PRIMARIES = np.array([(214, 36, 30), (28, 62, 160), (246, 200, 24)])  # red, blue, yellow
BLACK = (18, 18, 18)


def _color(rng: np.random.Generator, base, amount: int) -> Color:
    """``base`` with each channel moved by up to ``amount``: variety within one palette."""
    jitter = rng.integers(-amount, amount + 1, 3)
    return tuple(np.clip(np.asarray(base) + jitter, 0, 255).tolist())


def _mondrian(rng: np.random.Generator, s: int) -> Image.Image:
    image = Image.new("RGB", (s, s), _color(rng, (240, 237, 228), 8))
    draw = ImageDraw.Draw(image)
    # Lines sit on a coarse 8-slot grid so that no two are closer than an eighth of the canvas.
    xs = np.sort(rng.choice(np.arange(1, 8), int(rng.integers(1, 4)), replace=False)) * s // 8
    ys = np.sort(rng.choice(np.arange(1, 8), int(rng.integers(1, 4)), replace=False)) * s // 8
    cols, rows = [0, *xs.tolist(), s], [0, *ys.tolist(), s]
    cells = [
        (cols[i], rows[j], cols[i + 1], rows[j + 1])
        for i in range(len(cols) - 1)
        for j in range(len(rows) - 1)
    ]
    n_colored = min(len(cells) - 1, int(rng.integers(2, 5)))
    for k in rng.choice(len(cells), n_colored, replace=False):
        draw.rectangle(cells[k], fill=_color(rng, PRIMARIES[rng.integers(0, 3)], 12))
    half = max(1, round(s * rng.uniform(0.02, 0.03)))  # half the line width
    for x in xs:
        draw.rectangle((x - half, 0, x + half, s), fill=BLACK)
    for y in ys:
        draw.rectangle((0, y - half, s, y + half), fill=BLACK)
    return image


ROTHKO_PALETTE = np.array(
    [
        (150, 28, 30),
        (214, 96, 30),
        (62, 22, 52),
        (32, 52, 112),
        (226, 170, 46),
        (92, 18, 20),
        (38, 92, 74),
        (196, 60, 70),
    ]
)


def _rothko(rng: np.random.Generator, s: int) -> Image.Image:
    ground, *fields = rng.choice(len(ROTHKO_PALETTE), int(rng.integers(3, 5)), replace=False)
    image = Image.new("RGB", (s, s), _color(rng, ROTHKO_PALETTE[ground], 20))
    draw = ImageDraw.Draw(image)
    margin, gap = s * rng.uniform(0.08, 0.14), s * rng.uniform(0.04, 0.07)
    heights = rng.dirichlet(np.full(len(fields), 3.0)) * (s - 2 * margin - (len(fields) - 1) * gap)
    top = margin
    for field, height in zip(fields, heights):
        draw.rectangle(
            (margin, top, s - margin, top + height), fill=_color(rng, ROTHKO_PALETTE[field], 28)
        )
        top += height + gap
    return image.filter(ImageFilter.GaussianBlur(radius=s * 0.03))  # the soft, breathing edges


KANDINSKY_COLORS = np.array(
    [
        (204, 40, 40),
        (30, 60, 164),
        (240, 190, 30),
        (24, 24, 24),
        (40, 140, 90),
        (150, 60, 150),
        (236, 120, 30),
    ]
)


def _kandinsky(rng: np.random.Generator, s: int) -> Image.Image:
    image = Image.new("RGB", (s, s), _color(rng, (236, 226, 200), 12))
    draw = ImageDraw.Draw(image)

    def paint() -> Color:
        return _color(rng, KANDINSKY_COLORS[rng.integers(0, len(KANDINSKY_COLORS))], 20)

    for _ in range(int(rng.integers(1, 3))):  # triangles
        draw.polygon(rng.uniform(0.1 * s, 0.9 * s, 6).tolist(), fill=paint())
    for _ in range(int(rng.integers(2, 5))):  # straight black lines
        draw.line(
            rng.uniform(0, s, 4).tolist(),
            fill=BLACK,
            width=max(2, round(s * rng.uniform(0.015, 0.03))),
        )
    for _ in range(int(rng.integers(2, 5))):  # discs, and rings of concentric discs
        radius = s * rng.uniform(0.08, 0.22)
        cx, cy = rng.uniform(radius, s - radius, 2)
        for r in radius * (1.0 - 0.3 * np.arange(int(rng.integers(1, 4)))):
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=paint())
    return image


POLLOCK_CANVAS = np.array([(206, 194, 168), (226, 222, 210), (120, 116, 108), (40, 38, 36)])
POLLOCK_PAINTS = np.array(
    [(16, 16, 16), (246, 244, 236), (196, 146, 52), (168, 44, 32), (70, 84, 96), (120, 150, 170)]
)


def _pollock(rng: np.random.Generator, s: int) -> Image.Image:
    image = Image.new("RGB", (s, s), _color(rng, POLLOCK_CANVAS[rng.integers(0, 4)], 14))
    draw = ImageDraw.Draw(image)
    paints = rng.choice(len(POLLOCK_PAINTS), 3, replace=False)  # a few paints per canvas
    n, steps = int(rng.integers(20, 30)), 8
    # Drips: random walks whose heading turns smoothly, so strokes read as flung loops.
    heading = rng.uniform(0, 2 * np.pi, (n, 1)) + np.cumsum(rng.normal(0, 0.8, (n, steps)), 1)
    step = s * rng.uniform(0.06, 0.14, (n, 1))
    moves = np.stack([np.cos(heading), np.sin(heading)], -1) * step[..., None]  # (n, steps, 2)
    walks = rng.uniform(0, s, (n, 1, 2)) + np.cumsum(moves, 1)
    widths = np.maximum(1, np.round(s * rng.uniform(0.015, 0.04, n))).astype(int)
    colors = paints[rng.integers(0, 3, n)]
    for walk, width, c in zip(walks, widths, colors):
        draw.line(
            walk.ravel().tolist(),
            fill=_color(rng, POLLOCK_PAINTS[c], 12),
            width=int(width),
            joint="curve",
        )
    for x, y, r, c in zip(
        *rng.uniform(0, s, (2, 24)),
        s * rng.uniform(0.008, 0.025, 24),
        paints[rng.integers(0, 3, 24)],
    ):  # splatter
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(POLLOCK_PAINTS[c].tolist()))
    return image


def _riley(rng: np.random.Generator, s: int) -> Image.Image:
    yy, xx = (np.mgrid[0:s, 0:s] + 0.5) / s  # pixel centres in [0, 1]
    angle = rng.uniform(0, np.pi)
    u = xx * np.cos(angle) + yy * np.sin(angle)
    v = -xx * np.sin(angle) + yy * np.cos(angle)
    cycles = rng.uniform(2.5, 4.5)  # stripe pairs across the canvas: 7+ px each even at 32 px
    bend = rng.uniform(0.04, 0.1) * np.sin(2 * np.pi * (rng.uniform(0.8, 2.0) * v + rng.random()))
    wave = np.sin(2 * np.pi * cycles * (u + bend))
    # Antialiasing: sin ~ its slope times the distance to a stripe edge, and the slope per pixel
    # is about 2*pi*cycles/s, so this is the pixel's signed coverage by the dark stripe.
    coverage = np.clip(0.5 + wave * s / (2 * np.pi * cycles), 0.0, 1.0)[..., None]
    dark = np.array(_color(rng, (22, 22, 28), 10))
    if rng.random() < 0.3:  # some of her stripe paintings are in colour
        dark = np.array(_color(rng, PRIMARIES[rng.integers(0, 2)], 20))  # red or blue
    light = np.array(_color(rng, (240, 238, 228), 10))
    pixels = light + coverage * (dark - light)  # (s, s, 3)
    return Image.fromarray(np.round(pixels).astype(np.uint8))


# name -> (painter, supersampling factor)
PAINTERS: dict[str, tuple[Callable[[np.random.Generator, int], Image.Image], int]] = {
    "mondrian": (_mondrian, 2),
    "rothko": (_rothko, 1),
    "kandinsky": (_kandinsky, 2),
    "pollock": (_pollock, 2),
    "riley": (_riley, 1),
}
STYLES = tuple(PAINTERS)


def render(index: int, size: int, seed: int, split: int = 0) -> tuple[np.ndarray, int]:
    """Item ``index`` of the set: an RGB uint8 (size, size, 3) painting and its style label."""
    label = index % len(STYLES)
    painter, factor = PAINTERS[STYLES[label]]
    rng = np.random.default_rng([seed, split, index])
    image = painter(rng, size * factor)
    if factor > 1:
        image = image.reduce(factor)  # box filter over factor x factor: supersampled AA
    return np.array(image), label  # a writable copy


@DATASETS.register("art")
def load_art(config: DataConfig, image_size: int | None = None) -> InMemoryDataset:
    size = image_size or DEFAULT_IMAGE_SIZE
    n = config.size or DEFAULT_SIZE
    if config.limit:
        n = min(n, config.limit)
    split = 1 if config.split == "test" else 0
    x = torch.empty((n, 3, size, size), dtype=torch.uint8)  # (N, C, H, W)
    y = torch.empty(n, dtype=torch.long)
    # One thread: drawing is many small calls that hold the GIL, so a pool measured no faster.
    for i in range(n):
        image, y[i] = render(i, size, config.seed, split)
        x[i] = torch.from_numpy(image).permute(2, 0, 1)
    if config.color == "grey":
        luma = torch.tensor([0.299, 0.587, 0.114])[None, :, None, None]  # ITU-R 601, as Pillow
        x = (x.float() * luma).sum(1, keepdim=True).round_().to(torch.uint8)  # (N, 1, H, W)
    report = DataReport(name="art", count=n)
    return InMemoryDataset(x, y, list(STYLES), report, flip=config.flip)
