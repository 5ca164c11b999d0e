"""The Create tab's work: a page of samples from a run, a like or dislike of one of them
(``artgan.feedback.record``), and saving one through the one output point.

A page keeps the latents and class rows it was drawn from, so a verdict records exactly the
latent the person saw, and a saved file's record says how it was made. Once the run has
feedback, pages can be steered by it (``artgan.feedback.preference_for`` and
``steered_latents``: latent proposals scored by a preference on their images, the same as
``artgan sample --prefer``); with no feedback nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import feedback
from ..errors import ConfigError
from ..models.conditioning import require_conditional
from ..outputs import save_image
from ..sample import enlarge_for_display, generate_from_latents, to_uint8
from .folders import StudioFolders
from .runs import ModelCache, latent_image_model

MAX_PAGE = 64  # samples on one page
MAX_SAVE_WIDTH = 4096  # "enlarge to" bound of a saved sample


@dataclass
class Page:
    """One page of samples, as drawn."""

    run: str  # the run's name in the runs folder
    seed: int
    latents: torch.Tensor  # (n, z_dim)
    labels: torch.Tensor | None  # (n, K) class rows of a conditional model
    images: np.ndarray  # (n, H, W, C) uint8
    truncation: float
    classes: str | None  # the class request as the user gave it
    steered_by: int  # feedback records the page was steered by (0: not steered)

    def __len__(self) -> int:
        return len(self.latents)

    def check_index(self, index) -> int:
        if index is None or not 0 <= int(index) < len(self):
            raise ConfigError("select an image in the gallery first")
        return int(index)

    def caption(self, index: int) -> str:
        return f"seed {self.seed} #{index}"


def class_request(styles: list[str] | str | None, blend: str | None) -> str | None:
    """The class request of the page's fields: a typed blend (``monet:0.7,rothko:0.3``) wins;
    else the chosen styles, mixed equally; None for none."""
    if blend and blend.strip():
        return blend.strip()
    if isinstance(styles, str):
        styles = [styles] if styles else []
    styles = [s for s in styles or [] if s]
    if not styles:
        return None
    return styles[0] if len(styles) == 1 else ",".join(f"{s}:1" for s in styles)


def feedback_preference(run: Path, model):
    """The preference fitted on the run's feedback, or None where it has none yet."""
    records, _ = feedback.load(run)
    preference = feedback.preference_for(records, model, where=f"{run.name}/feedback.jsonl")
    return preference, len(records)


def generate(
    folders: StudioFolders,
    models: ModelCache,
    run_name: str,
    count: int,
    seed: int,
    truncation: float = 0.0,
    classes: str | None = None,
    steer: bool = True,
) -> Page:
    """A page of ``count`` samples of the run, deterministic by ``seed``; steered by the run's
    feedback when ``steer`` and it has some."""
    count, seed = int(count), int(seed)
    if not 1 <= count <= MAX_PAGE:
        raise ConfigError(f"a page holds 1 to {MAX_PAGE} images, not {count}")
    if truncation is None or truncation < 0:
        raise ConfigError("truncation must be 0 (off) or more")
    run = folders.run(run_name)
    model = latent_image_model(models, run)
    if classes:
        require_conditional(model, "a style")
    preference, records = feedback_preference(run, model) if steer else (None, 0)
    z = feedback.steered_latents(
        model, count, seed, preference, truncation=truncation, classes=classes
    )
    labels = model.labels(classes, count) if model.conditional else None
    images = to_uint8(generate_from_latents(model, z, labels=labels))
    return Page(
        run_name, seed, z, labels, images, truncation, classes, records if preference else 0
    )


def verdict(folders: StudioFolders, page: Page | None, index, liked: bool) -> str:
    """Append a like or dislike of sample ``index`` to the run's feedback file; says how many
    verdicts the run now has."""
    if page is None:
        raise ConfigError("generate a page first, then select an image")
    index = page.check_index(index)
    run = folders.run(page.run)
    labels = None if page.labels is None else page.labels[index]
    feedback.record(run, page.latents[index], liked, classes=labels, seed=page.seed, index=index)
    records, _ = feedback.load(run)
    likes = sum(r["liked"] for r in records)
    return (
        f"{'liked' if liked else 'disliked'} {page.caption(index)}; {run.name} has {likes} "
        f"likes and {len(records) - likes} dislikes (steering uses them from the next page)"
    )


def save(
    folders: StudioFolders,
    models: ModelCache,
    page: Page | None,
    index,
    name: str = "",
    enlarge_to: int = 0,
) -> Path:
    """Write sample ``index`` through the one output point (signed, watermarked where large
    enough, with its generation record) into the output folder. ``enlarge_to``: a width the
    sample is enlarged to (whole-pixel squares), 0 to keep its size."""
    if page is None:
        raise ConfigError("generate a page first, then select an image")
    index = page.check_index(index)
    enlarge_to = int(enlarge_to or 0)
    if not 0 <= enlarge_to <= MAX_SAVE_WIDTH:
        raise ConfigError(f"enlarge to 0 (keep the size) up to {MAX_SAVE_WIDTH} pixels")
    run = folders.run(page.run)
    model = latent_image_model(models, run)
    pixels = page.images[index]
    if enlarge_to:
        pixels = enlarge_for_display(pixels, enlarge_to, "nearest")
    path = folders.output_file(run, name, f"seed{page.seed}-{index}.png")
    params = {"command": "studio", "index": index, "n": len(page)}
    if page.truncation:
        params["truncation"] = page.truncation
    if page.classes:
        params["class"] = page.classes
    if page.steered_by:
        params["prefer"] = {"records": page.steered_by}
    if enlarge_to:
        params["enlarged_to"] = int(pixels.shape[1])
    return save_image(pixels, path, run=model, seed=page.seed, **params)
