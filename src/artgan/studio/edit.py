"""The Edit tab's work: a latent (a sample sent from Create, or an uploaded image inverted) moved
along the run's SeFa directions (``artgan explore`` / ``artgan edit``), one slider a direction.

The directions need only the generator's weights (closed form), so they are found once per
loaded model; each slider move is one generator call on one latent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import ConfigError
from ..latent.directions import find_directions
from ..latent.inversion import invert, read_target
from ..outputs import save_image
from ..sample import enlarge_for_display, generate_from_latents, to_uint8
from .folders import StudioFolders
from .runs import ModelCache, latent_image_model

DIRECTIONS = 6  # sliders on the page
MAX_STRENGTH = 10.0
INVERT_STEPS = 100  # the page's default: a quick inversion (artgan invert's is 300)
INVERT_RESTARTS = 4


@dataclass
class Subject:
    """The latent being edited, and where it came from."""

    run: str
    z: torch.Tensor  # (1, z_dim)
    labels: torch.Tensor | None  # (1, K) for a conditional model
    source: str  # "seed 3 #5", "inverted photo.png"


def direction_names(models: ModelCache, folders: StudioFolders, run_name: str) -> list[str]:
    model = latent_image_model(models, folders.run(run_name))
    return find_directions(model, "sefa", min(DIRECTIONS, model.z_dim))[1]


def subject_from_page(page, index) -> Subject:
    """The selected sample of a Create page."""
    if page is None:
        raise ConfigError("generate a page in Create and select an image first")
    index = page.check_index(index)
    labels = None if page.labels is None else page.labels[index : index + 1]
    return Subject(page.run, page.latents[index : index + 1], labels, page.caption(index))


def invert_upload(
    folders: StudioFolders,
    models: ModelCache,
    run_name: str,
    upload,
    steps: int = INVERT_STEPS,
    seed: int = 0,
) -> tuple[Subject, float]:
    """The latent of an uploaded image (``artgan invert``'s optimisation) and its PSNR."""
    path = folders.upload_image(upload, "image to invert")
    steps = int(steps)
    if not 0 <= steps <= 2000:
        raise ConfigError("inversion steps must be 0 to 2000")
    model = latent_image_model(models, folders.run(run_name))
    shape = model.sample(1, seed=0).shape[1:]  # (C, H, W)
    target = read_target(path, shape[-1], shape[0])
    result = invert(model, target, steps=steps, restarts=INVERT_RESTARTS, seed=int(seed))
    subject = Subject(run_name, result.z.detach().cpu(), result.labels, f"inverted {path.name}")
    return subject, result.psnr


def edited(
    models: ModelCache, folders: StudioFolders, subject: Subject | None, strengths
) -> np.ndarray:
    """The subject moved by ``strengths[i]`` along SeFa direction i: a uint8 (H, W, C) image."""
    if subject is None:
        raise ConfigError("send an image from Create, or upload one to invert, first")
    model = latent_image_model(models, folders.run(subject.run))
    strengths = [float(s or 0) for s in strengths]
    if any(abs(s) > MAX_STRENGTH for s in strengths):
        raise ConfigError(f"strengths lie in -{MAX_STRENGTH:g}..{MAX_STRENGTH:g}")
    directions, _ = find_directions(model, "sefa", min(len(strengths), model.z_dim))
    move = torch.tensor(strengths[: len(directions)]) @ directions  # (z_dim,)
    image = generate_from_latents(model, subject.z + move, labels=subject.labels)
    return to_uint8(image)[0]


def save_edit(
    models: ModelCache,
    folders: StudioFolders,
    subject: Subject | None,
    strengths,
    name: str = "",
    enlarge_to: int = 0,
) -> Path:
    """The edited image, written through the one output point."""
    pixels = edited(models, folders, subject, strengths)
    if enlarge_to:
        pixels = enlarge_for_display(pixels, int(enlarge_to), "nearest")
    run = folders.run(subject.run)
    model = latent_image_model(models, run)
    path = folders.output_file(run, name, "edit.png")
    moves = {f"sefa {i}": float(s) for i, s in enumerate(strengths) if s}
    return save_image(
        pixels, path, run=model, command="studio edit", source=subject.source, moves=moves
    )
