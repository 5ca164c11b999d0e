"""The Restyle, Upscale and Inpaint tabs' work: the library functions of ``artgan stylize``,
``artgan style-transfer``, ``artgan upscale`` and ``artgan inpaint`` on an uploaded image, each
result written through the one output point into the output folder.

Every input is an upload bounded before decoding (``StudioFolders.upload_image``); the mask of
inpainting is what the person painted with the brush (any painted pixel is a hole).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..data.image_file import read_image, to_tensor
from ..errors import ConfigError
from ..models.capabilities import Inpainter, Translator, Upscaler
from ..provenance import GenerationRecord, write_image
from ..provenance.record import record_for_model
from ..sample import to_uint8
from ..style_transfer import style_transfer
from ..translate import DEFAULT_OVERLAP, DEFAULT_TILE, check_direction_of, translate_array
from ..upscale import upscale_image
from .folders import StudioFolders
from .runs import ModelCache

UPSCALE_TILE, UPSCALE_OVERLAP = 192, 32  # artgan upscale's defaults
STYLE_TRANSFER_MAX_STEPS = 1000


def _color(model) -> str:
    return "grey" if model.config.channels == 1 else "rgb"


def restyle(
    folders: StudioFolders, models: ModelCache, run_name: str, upload, direction: str = "a2b"
) -> tuple[np.ndarray, Path]:
    """An uploaded image translated by a cyclegan or pix2pix run (``artgan stylize``)."""
    path = folders.upload_image(upload)
    run = folders.run(run_name)
    model = models.load(run, Translator, "Restyle (cyclegan and pix2pix runs)")
    check_direction_of(model, direction)
    image = read_image(path, _color(model))
    styled = translate_array(
        model, image, direction, DEFAULT_TILE, DEFAULT_OVERLAP, folders.max_megapixels
    )
    record = record_for_model(model, command="stylize", input=path.name, direction=direction)
    out = folders.output_file(run, "", f"{path.stem}-{direction}.png")
    return styled, write_image(styled, out, record)


def transfer_style(
    folders: StudioFolders, content_upload, style_upload, steps: int = 100, size: int = 256
) -> tuple[np.ndarray, Path]:
    """Neural style transfer (``artgan style-transfer``) of two uploads; no run needed."""
    content_path = folders.upload_image(content_upload, "content image")
    style_path = folders.upload_image(style_upload, "style image")
    steps, size = int(steps), int(size)
    if not 1 <= steps <= STYLE_TRANSFER_MAX_STEPS or not 16 <= size <= 1024:
        raise ConfigError(f"steps must be 1 to {STYLE_TRANSFER_MAX_STEPS}, size 16 to 1024")
    content = read_image(content_path, "rgb", what="content image")
    style = read_image(style_path, "rgb", what="style image")
    result = style_transfer(content, style, size=size, steps=steps)
    record = GenerationRecord(
        model_family="style-transfer",
        weights_sha256=result.weights_sha256,
        params={
            "command": "style-transfer",
            "method": "Gatys et al. 2016 on EfficientNet-Lite0 features",
            "content": content_path.name,
            "style": style_path.name,
            "size": size,
            "steps": steps,
        },
    )
    out = folders.output_file(None, "", f"{content_path.stem}-styled.png")
    return result.image, write_image(result.image, out, record)


def upscale(
    folders: StudioFolders, models: ModelCache, run_name: str, upload
) -> tuple[np.ndarray, Path]:
    """An uploaded image enlarged by a super-resolution run (``artgan upscale``); the output
    is bounded by ``max_megapixels`` times the scale squared."""
    path = folders.upload_image(upload)
    run = folders.run(run_name)
    model = models.load(run, Upscaler, "Upscale (super-resolution runs)")
    image = read_image(path, _color(model))
    limit = folders.max_megapixels * model.scale**2
    big = upscale_image(model, image, UPSCALE_TILE, UPSCALE_OVERLAP, limit)
    record = record_for_model(
        model, command="upscale", input=path.name, scale=model.scale, tile=UPSCALE_TILE
    )
    out = folders.output_file(run, "", f"{path.stem}-x{model.scale}.png")
    return big, write_image(big, out, record)


def painted_mask(
    folders: StudioFolders, editor: dict | None, height: int, width: int
) -> np.ndarray:
    """The holes painted on the image: any pixel a brush layer covers, (H, W) bool."""
    mask = np.zeros((height, width), bool)
    for layer in (editor or {}).get("layers") or []:
        path = folders.upload_image(layer, "brush layer")
        with Image.open(path) as image:
            alpha = image.convert("RGBA").getchannel("A")
            if alpha.size != (width, height):
                alpha = alpha.resize((width, height), Image.NEAREST)
            mask |= np.asarray(alpha) > 0
    return mask


def inpaint(
    folders: StudioFolders, models: ModelCache, run_name: str, editor: dict | None
) -> tuple[np.ndarray, Path]:
    """Fill the painted holes of the editor's image with an inpainting run (``artgan
    inpaint``): known pixels kept exactly."""
    background = (editor or {}).get("background")
    path = folders.upload_image(background, "image to inpaint")
    run = folders.run(run_name)
    model = models.load(run, Inpainter, "Inpaint (lama and inpaint runs)")
    image = read_image(path, _color(model))
    height, width = image.shape[:2]
    mask = painted_mask(folders, editor, height, width)
    if not mask.any():
        raise ConfigError("paint the holes to fill with the brush first")
    m = torch.from_numpy(mask.astype("float32"))[None, None]  # (1, 1, H, W)
    restored = to_uint8(model.inpaint(to_tensor(image), m))[0]
    record = record_for_model(
        model, command="inpaint", input=path.name, hole_fraction=round(float(mask.mean()), 4)
    )
    out = folders.output_file(run, "", f"{path.stem}-filled.png")
    return restored, write_image(restored, out, record)
