"""``artgan.save_image``: library users write generated images through the one output point
(signed, watermarked where large enough, with the generation record), like the CLI does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .errors import ConfigError
from .provenance import write_image
from .provenance.record import GenerationRecord, record_for_model
from .sample import grid_pixels
from .training.checkpoint import load_model


def save_image(image, path: str | Path, run=None, seed: int | None = None, **params) -> Path:
    """Write ``image`` to ``path`` (.png, .jpg, .webp) through the output point.

    ``image``: a (C, H, W) or (N, C, H, W) tensor in [-1, 1] (a batch becomes a grid), or a
    uint8 (H, W) / (H, W, C) array. ``run``: the model that made it (loaded with
    ``artgan.load``) or its run folder, for the record; ``seed`` and ``params`` go into it too."""
    if isinstance(image, torch.Tensor):
        if image.dim() == 3:
            image = image.unsqueeze(0)  # (1, C, H, W)
        if image.dim() != 4:
            raise ConfigError(
                f"save_image takes (C, H, W) or (N, C, H, W), got {tuple(image.shape)}"
            )
        pixels = grid_pixels(image.detach().cpu().float(), padding=2 if len(image) > 1 else 0)
    else:
        pixels = np.asarray(image)
        if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3):
            raise ConfigError("save_image takes a tensor in [-1, 1] or a uint8 (H, W[, C]) array")
    params = {"command": "save_image", **params}
    if run is None:
        record = GenerationRecord(seed=seed, params=params)
    else:
        model = run if isinstance(run, torch.nn.Module) else load_model(run)
        record = record_for_model(model, seed=seed, **params)
    return write_image(pixels, path, record)
