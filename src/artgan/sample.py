"""Sampling helpers: image grids, slerp interpolation, 2-D scatter plots. Deterministic by seed
(DESIGN convention 8): latents are drawn on the CPU from a seeded generator."""

from __future__ import annotations

import hashlib
import math
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .config import env_whole_number
from .data.image_limits import max_image_pixels
from .errors import ConfigError
from .models.base import make_generator
from .models.capabilities import LatentGenerator
from .models.conditioning import class_row, require_conditional
from .models.truncation import check_truncation
from .nn.modes import evaluating

SAMPLE_BYTES_ENV = "ARTGAN_MAX_SAMPLE_BYTES"
DEFAULT_MAX_SAMPLE_BYTES = 4 << 30  # samples held in memory at once (float32)
# `artgan sample` draws in batches of at most this many bytes of float32 samples. A folder
# output is written batch by batch, so memory holds one batch whatever --n is. The batch layout
# decides which seed each batch draws from, so it is a constant, not a setting: a setting would
# make the same command give different images on two machines.
BATCH_BYTES = 256 << 20
FALLBACK_BATCH = 256  # samples per batch when the run does not say their shape
MIN_FILE_BYTES = 4 << 10  # no signed output file is smaller (its manifest alone is more)


def quantize(images: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) in [-1, 1] -> uint8 (N, C, H, W) on the CPU, as a saved image has it."""
    return ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> (N, H, W, C) uint8: the pixels image files hold."""
    return quantize(images).permute(0, 2, 3, 1).numpy()


def sample_images(model, n: int, seed: int, classes: str | None = None) -> np.ndarray:
    """(n, H, W, C) uint8 samples of an image model, of one class when ``classes`` is given."""
    if classes:
        require_conditional(model, "--class")
    return to_uint8(model.sample(n, seed=seed, **({"classes": classes} if classes else {})))


def grid_pixels(images: torch.Tensor, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> one uint8 (H', W', C) picture, ``columns`` wide, on white.
    Named for what it returns: torchvision's ``make_grid`` returns a (C, H', W') tensor in the
    input's range, so a function of that name returning pixels would mislead (issue 16)."""
    if columns is not None and not 1 <= columns <= len(images):
        raise ConfigError(f"the grid needs 1 to {len(images)} columns, got {columns}")
    tiles = to_uint8(images)
    n, h, w, c = tiles.shape
    columns = columns or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / columns)
    grid = np.full(
        (rows * (h + padding) + padding, columns * (w + padding) + padding, c), 255, np.uint8
    )
    for i, tile in enumerate(tiles):
        r, col = divmod(i, columns)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[top : top + h, left : left + w] = tile
    return grid


def truncation_note(model, truncation: float | None) -> str | None:
    """One line for a user who asks ``model`` for truncation, from what bench/truncation.py
    measured for its family (``LatentGenerator.truncation_helps``); None where it helps or
    was not asked for."""
    if not truncation or not isinstance(model, LatentGenerator):
        return None
    check_truncation(truncation, model.truncation_method)  # a bad T: its error, not a note
    if model.truncation_helps:
        return None
    if model.truncation_helps is False:
        return (
            f"artgan: note: truncation made {model.name} samples worse at every T where it was "
            "measured (bench/truncation.py); here it only narrows variety"
        )
    return (
        f"artgan: note: truncation is not measured for {model.name}; check it on your run with "
        "artgan eval before relying on it"
    )


DISPLAY_WIDTH = 512  # previews, demo sheets and animations are at least this wide
DISPLAY_FILTERS = ("nearest", "lanczos")


def enlarge_for_display(
    picture: np.ndarray, width: int = DISPLAY_WIDTH, method: str = "nearest"
) -> np.ndarray:
    """A uint8 (H, W, C) sheet enlarged to at least ``width`` pixels wide, for a person to look
    at: ``nearest`` by a whole factor (every pixel a crisp square), ``lanczos`` to exactly
    ``width``. Sheets already that wide are returned as they are; saved samples never pass
    here."""
    if method not in DISPLAY_FILTERS:
        raise ConfigError(f"the display filter must be nearest or lanczos, got {method!r}")
    if width < 1:
        raise ConfigError(f"--display-size must be at least 1 pixel, got {width}")
    h, w = picture.shape[:2]
    if w >= width:
        return picture
    if method == "nearest":
        factor = math.ceil(width / w)
        return picture.repeat(factor, axis=0).repeat(factor, axis=1)
    size = (width, max(1, round(h * width / w)))
    grey = picture.ndim == 3 and picture.shape[2] == 1
    image = Image.fromarray(picture[:, :, 0] if grey else picture)
    out = np.asarray(image.resize(size, Image.LANCZOS))
    return out[:, :, None] if grey else out


def sample_bytes_limit() -> int:
    """The most bytes of float32 samples (or one training batch) held at once."""
    return env_whole_number(SAMPLE_BYTES_ENV, DEFAULT_MAX_SAMPLE_BYTES, "bytes")


def check_sample_count(n: int, shape, grid: bool = False, what: str = "", advice: str = "") -> None:
    """Refuse, before any work, a sample count that cannot fit: ``n`` items of ``shape``
    ((C, H, W) or (D,)) beyond ``ARTGAN_MAX_SAMPLE_BYTES`` (default 4 GiB) of float32, or a
    grid image beyond the decoding limit (``ARTGAN_MAX_IMAGE_PIXELS``). ``what`` names the
    count and ``advice`` what to do, for the message (defaults: about ``--n``)."""
    limit = sample_bytes_limit()
    need = n * math.prod(int(s) for s in shape) * 4
    if need > limit:
        raise ConfigError(
            f"{what or f'--n {n} samples'} of shape {tuple(shape)} need {need / 2**30:,.1f} GiB "
            f"at once, more than the {limit / 2**30:g} GiB limit ({SAMPLE_BYTES_ENV}); "
            + (advice or "draw fewer, or several batches with different --seed values")
        )
    if grid and len(shape) == 3:
        side = math.ceil(math.sqrt(n))
        pixels = (side * (shape[1] + 2)) * (side * (shape[2] + 2))
        if pixels > max_image_pixels():
            raise ConfigError(
                f"a grid of {n} images of {shape[2]}x{shape[1]} px would be about {pixels:,} px, "
                "more than an image artgan reads back; use fewer --n or an --out folder"
            )


def batch_size_for(shape) -> int:
    """Samples per batch for samples of ``shape`` ((C, H, W) or (D,)): :data:`BATCH_BYTES`
    of float32 (every batch of a 64 px model up to 5,461 samples), at least 1."""
    if not shape:
        return FALLBACK_BATCH
    return max(1, BATCH_BYTES // (math.prod(int(s) for s in shape) * 4))


def batch_seed(seed: int | None, k: int) -> int | None:
    """The seed of batch ``k``: the seed itself for the first (so up to one batch of samples
    are exactly ``model.sample(n, seed)``), a 64-bit hash of (seed, k) for the others (so no
    batch repeats another seed's first batch)."""
    if seed is None or k == 0:
        return seed
    digest = hashlib.sha256(f"artgan-batch:{seed}:{k}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def draw_in_batches(
    draw: Callable, model, n: int, seed: int | None, options: dict, batch_size: int
) -> Iterator[tuple[int, object]]:
    """(offset, samples) for ``n`` samples drawn ``batch_size`` at a time with
    ``draw(model, count, seed, options)``, lazily: a caller that writes each batch before
    asking for the next holds one batch in memory. Deterministic by ``seed``; a conditional
    model asked for no class cycles through the classes across batches as in one draw."""
    cycle = model.conditional and "classes" not in options
    cycle = cycle and "classes" in model.sample_options()
    for k, offset in enumerate(range(0, n, batch_size)):
        count = min(batch_size, n - offset)
        batch_options = dict(options)
        if cycle:  # sample i has class i % K, as resolve_labels gives one draw of n
            classes = torch.arange(offset, offset + count) % model.config.num_classes
            batch_options["classes"] = classes
        yield offset, draw(model, count, batch_seed(seed, k), batch_options)


def concat_batches(batches) -> object:
    """The samples of :func:`draw_in_batches` in one tensor (or one list, for texts)."""
    parts = [samples for _, samples in batches]
    if isinstance(parts[0], torch.Tensor):
        return torch.cat(parts)
    return [item for part in parts for item in part]


def check_folder_space(n: int, folder: Path) -> None:
    """Refuse, before any work, ``n`` files that cannot fit on the disk holding ``folder``
    (each at least :data:`MIN_FILE_BYTES`)."""
    existing = next((p for p in [folder, *folder.parents] if p.exists()), Path("."))
    free = shutil.disk_usage(existing).free
    need = n * MIN_FILE_BYTES
    if need > free:
        raise ConfigError(
            f"--n {n} files need at least {need / 2**30:,.1f} GiB on disk, more than the "
            f"{free / 2**30:,.1f} GiB free at {existing.resolve()}; draw fewer"
        )


def check_walk_size(frames: int, keyframes: int, n: int, shape, z_dim: int) -> None:
    """Refuse, before any work, an interpolation that cannot fit: ``keyframes`` x ``n``
    latents of ``z_dim`` or ``frames`` x ``n`` images of ``shape`` beyond the sample limit,
    or a frame (a row of ``n`` images) wider than an image artgan reads back."""
    check_sample_count(keyframes * n, (z_dim,), what=f"{keyframes} keyframes of {n} walks")
    if not shape or len(shape) != 3:
        return
    check_sample_count(frames * n, shape, what=f"{frames} frames of {n} images")
    pixels = (n * (int(shape[2]) + 2) + 2) * (int(shape[1]) + 4)
    if pixels > max_image_pixels():
        raise ConfigError(
            f"a frame of {n} images side by side would be about {pixels:,} px, more than an "
            "image artgan reads back; use fewer --n"
        )


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between latents (White 2016), per row."""
    a_n = a / a.norm(dim=-1, keepdim=True)
    b_n = b / b.norm(dim=-1, keepdim=True)
    omega = torch.acos((a_n * b_n).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    return (torch.sin((1.0 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


def interpolation_latents(
    model, keyframes: int, frames: int, seed: int | None, truncation: float = 0.0
) -> torch.Tensor:
    """A closed loop through ``keyframes`` random latents, ``frames`` latents in all."""
    g = make_generator(seed)
    keys = model.latents(keyframes, generator=g, truncation=truncation)
    out = []
    for i in range(frames):
        pos = i * keyframes / frames
        k = int(pos)
        out.append(
            slerp(keys[k : k + 1], keys[(k + 1) % keyframes : (k + 1) % keyframes + 1], pos - k)
        )
    return torch.cat(out)


@torch.no_grad()
def generate_from_latents(
    model, z: torch.Tensor, batch_size: int = 128, labels: torch.Tensor | None = None
) -> torch.Tensor:
    """Images of latents ``z`` (N, z_dim); ``labels`` (N, K) soft rows for conditional models
    (None: the model's default, cycling through the classes)."""
    with evaluating(model):
        if labels is None:
            out = [model.generate(chunk).float().cpu() for chunk in z.split(batch_size)]
        else:
            out = [
                model.generate(zc, yc).float().cpu()
                for zc, yc in zip(z.split(batch_size), labels.split(batch_size))
            ]
    return torch.cat(out)


def class_path(rows: torch.Tensor, frames: int) -> torch.Tensor:
    """``frames`` soft label rows (frames, K) moving linearly through the keyframe rows
    (M, K) in order, first and last included: a tour between classes."""
    t = torch.linspace(0, len(rows) - 1, frames)
    k = t.floor().long().clamp(max=len(rows) - 2)  # segment of each frame
    w = (t - k).unsqueeze(1)  # (frames, 1) position within the segment
    return (1 - w) * rows[k] + w * rows[k + 1]


def scatter_plot(
    points: np.ndarray, reference: np.ndarray | None = None, size: int = 512
) -> np.ndarray:
    """A uint8 RGB scatter plot of 2-D samples (over real data in grey, when given)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(size / 100, size / 100), dpi=100)
    if reference is not None:
        ax.scatter(reference[:, 0], reference[:, 1], s=2, c="0.75", label="data")
    ax.scatter(points[:, 0], points[:, 1], s=2, c="tab:red", label="samples")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].copy()
    plt.close(fig)
    return image


def interpolation_frames(
    model,
    steps: int,
    keyframes: int,
    n: int,
    seed: int,
    truncation: float,
    classes: list[str] | None = None,
) -> list:
    """``steps`` frames, each a row of ``n`` images walking through ``keyframes`` latents, or
    (``classes``) through those classes with each walk's latent fixed."""
    labels = None
    if classes:
        rows = torch.stack([class_row(c, model.class_names) for c in classes])  # (M, K)
        path = class_path(rows, steps)  # (frames, K)
        z = torch.stack([model.latents(1, seed + i, truncation=truncation)[0] for i in range(n)])
        z = z.unsqueeze(0).expand(steps, -1, -1).reshape(steps * n, -1)  # (frames * n, z_dim)
        labels = path.repeat_interleave(n, dim=0)  # (frames * n, K)
    else:
        walks = [
            interpolation_latents(model, keyframes, steps, seed + i, truncation) for i in range(n)
        ]
        z = torch.stack(walks, dim=1).reshape(steps * n, -1)  # (frames * n, z_dim)
        if model.conditional:  # walk i keeps class i % K
            labels = model.labels(None, n).repeat(steps, 1)  # (frames * n, K)
    images = generate_from_latents(model, z, labels=labels)
    images = images.reshape(steps, n, *images.shape[1:])  # (frames, n, C, H, W)
    # Small images are enlarged for viewing (crisp pixels, at least DISPLAY_WIDTH wide).
    return [enlarge_for_display(grid_pixels(images[t], columns=n)) for t in range(steps)]
