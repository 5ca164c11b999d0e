"""Bounded decoding: an image's size is read from its header and checked before any pixel is
decoded, wherever an image enters artgan (training folders, single inputs, verify), so a small
file that claims a huge size (a decompression bomb) costs nothing to refuse.

The limit is ``ARTGAN_MAX_IMAGE_PIXELS`` (width x height; default 64 million, e.g. 8000x8000).
Raise it to read larger images, at the cost of their memory (about 3 bytes a pixel decoded,
several times that while converting).
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from ..config import env_whole_number
from ..errors import DataError

PIXEL_LIMIT_ENV = "ARTGAN_MAX_IMAGE_PIXELS"
DEFAULT_MAX_PIXELS = 64_000_000


def max_image_pixels() -> int:
    """The largest width x height artgan decodes (``ARTGAN_MAX_IMAGE_PIXELS``)."""
    return env_whole_number(PIXEL_LIMIT_ENV, DEFAULT_MAX_PIXELS, "pixels")


def too_large(width: int, height: int) -> str:
    """Why an image of this size is refused ('' when it is within the limit)."""
    limit = max_image_pixels()
    if width * height <= limit:
        return ""
    return (
        f"{width}x{height} px is more than the {limit:,}-pixel limit; shrink it, or raise "
        f"{PIXEL_LIMIT_ENV} if you have the memory"
    )


def check_image_size(image: Image.Image, path: str | Path, what: str = "image") -> None:
    """Refuse an opened (not yet decoded) image whose header size exceeds the limit."""
    width, height = image.size
    reason = too_large(width, height)
    if reason:
        raise DataError(f"{what} {path} is too large to decode: {reason}")


@contextmanager
def sizes_checked_here():
    """Pillow's ``DecompressionBombWarning`` silenced: inside, artgan checks every image's size
    from its header itself (refused in one line, or skipped and counted), so Pillow's warning
    would only repeat it in raw words. Also a decorator. Warning filters are process-wide and
    entering this is not thread-safe: enter it on the calling thread around a thread pool,
    never inside its workers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


def _bomb_error(path, what: str) -> DataError:
    """Pillow refused to open ``path`` (more than twice its own limit, which follows ours)."""
    return DataError(
        f"{what} {path} is too large to decode: more than the {max_image_pixels():,}-pixel "
        f"limit; raise {PIXEL_LIMIT_ENV} if you have the memory"
    )


def _follow_our_limit() -> None:
    """Pillow's bomb check follows the limit when the user raised it above Pillow's."""
    limit = max_image_pixels()
    if Image.MAX_IMAGE_PIXELS is not None and limit > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = limit


def header_size(path, what: str = "image") -> tuple[int, int]:
    """(width, height) from the header alone, nothing decoded. Pillow's bomb warning is not
    silenced here (callers check the size; see :func:`sizes_checked_here`)."""
    _follow_our_limit()
    try:
        with Image.open(path) as image:
            return image.size
    except Image.DecompressionBombError:
        raise _bomb_error(path, what) from None


def open_checked(path: str | Path, what: str = "image") -> Image.Image:
    """``Image.open`` (lazy: header only) with the size checked; use it as a context manager.
    Safe in worker threads (silences nothing: see :func:`sizes_checked_here`)."""
    _follow_our_limit()
    try:
        image = Image.open(path)
    except Image.DecompressionBombError:
        raise _bomb_error(path, what) from None
    try:
        check_image_size(image, path, what)
    except DataError:
        image.close()
        raise
    return image


@sizes_checked_here()
def open_image(path: str | Path, what: str = "image") -> Image.Image:
    """:func:`open_checked` for one image on the calling thread, Pillow's warning silenced."""
    return open_checked(path, what)
