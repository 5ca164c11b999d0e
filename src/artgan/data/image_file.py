"""Reading one image a user names on the command line (to upscale, inpaint or restyle).

Unlike a training folder, where an unreadable file is skipped and counted, a single input that
cannot be used is an error that says what was wrong and what to do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import DataError
from .folder import to_mode
from .image_limits import open_image


def read_image(path: str | Path, color: str = "rgb", what: str = "image") -> np.ndarray:
    """``path`` decoded upright (EXIF) to a uint8 (H, W, C) array, C = 3 (rgb) or 1 (grey).
    Transparency is composited on white; 16-bit and float images are scaled to 8 bits."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{what} not found: {path}")
    try:
        with open_image(path, what) as image:  # the size is checked before decoding
            image.seek(0)
            mode = image.mode
            image = ImageOps.exif_transpose(image)
            try:
                image = to_mode(image, color)
            except (ValueError, OSError) as error:
                raise DataError(
                    f"{path} has the colour mode {mode}, which cannot be converted to "
                    f"{color.upper()} ({error}); save it as an RGB or greyscale PNG"
                ) from None
            array = np.array(image, dtype=np.uint8)
    except UnidentifiedImageError:
        raise DataError(f"{path} is not an image Pillow can read (png, jpg, webp, ...)") from None
    except Image.DecompressionBombError:
        raise DataError(
            f"{path} is too large to decode safely (Pillow's limit is "
            f"{2 * Image.MAX_IMAGE_PIXELS:,} pixels)"
        ) from None
    except OSError as error:
        raise DataError(f"cannot read {path}: {str(error).splitlines()[0]}") from None
    return array[:, :, None] if array.ndim == 2 else array  # (H, W, C)


def to_tensor(array: np.ndarray):
    """uint8 (H, W, C) -> float (1, C, H, W) in [-1, 1]."""
    return torch.from_numpy(array).permute(2, 0, 1)[None].float().div(127.5).sub(1.0)
