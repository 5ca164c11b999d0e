"""What the one output point does to every generated file besides writing it: the invisible
watermark (images) and the signed C2PA manifest (every kind).

Watermark: the 32-bit payload is the id of the file's own generation record
(:func:`.watermark.payload_for_record` of the record as signed), so a detected mark can be
matched with the record. The record says whether the file carries the mark and, when not, why
("not watermarked: too small ..."): nothing is skipped silently.

Signing: every file gets a C2PA manifest signed by the local identity (created on first use,
see :mod:`.keys`) or the one given by ``ARTGAN_SIGNING_CERT``/``ARTGAN_SIGNING_KEY``. In a
broken install without c2pa-python (a dependency), files are written unsigned and one warning
says so, rather than losing the generated work.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from .record import GenerationRecord

WATERMARKED = "embedded (payload: the first 32 bits of this record's SHA-256)"
NOT_IMAGE = "not watermarked: {kind} (the watermark is for images)"
_warned_unsigned = False
_announced_identity = False


def watermark_status_too_small(width: int, height: int) -> str:
    from .watermark import MIN_SIZE

    return (
        f"not watermarked: too small ({width}x{height} px; the watermark needs at least "
        f"{MIN_SIZE} px on the short side)"
    )


def can_watermark(width: int, height: int) -> bool:
    from .watermark import MIN_SIZE

    return min(width, height) >= MIN_SIZE


def _mark_array(array: np.ndarray, payload: int) -> np.ndarray:
    from .watermark import embed

    if array.ndim == 3 and array.shape[2] == 4:  # RGBA: mark the colour, keep the alpha
        marked = embed(np.ascontiguousarray(array[..., :3]), payload)
        return np.concatenate([marked, array[..., 3:]], axis=2)
    return embed(array, payload)


def watermark_frames(
    frames: list[Image.Image], record: GenerationRecord
) -> tuple[list[Image.Image], GenerationRecord]:
    """Mark every frame (same payload) when they are large enough; the returned record says
    what was done and is the one whose id the payload carries."""
    width, height = frames[0].size
    if not can_watermark(width, height):
        return frames, record.with_watermark(watermark_status_too_small(width, height))
    record = record.with_watermark(WATERMARKED)
    payload = payload_of(record)
    marked = []
    for frame in frames:
        if frame.mode not in ("L", "RGB", "RGBA"):
            frame = frame.convert("RGB")
        marked.append(Image.fromarray(_mark_array(np.asarray(frame), payload)))
    return marked, record


def watermark_image(image: Image.Image, record: GenerationRecord):
    """(marked image, record saying so), or the image unchanged and a record saying why."""
    frames, record = watermark_frames([image], record)
    return frames[0], record


def payload_of(record: GenerationRecord) -> int:
    from .watermark import payload_for_record

    return payload_for_record(record.to_dict())


def _identity():
    from .keys import find_signing_identity, keys_dir

    global _announced_identity
    identity = find_signing_identity()
    if identity is None:
        from .keys import create_signing_identity

        identity = create_signing_identity()
        if not _announced_identity:
            print(
                f"artgan: created a local signing key in {keys_dir()} (see `artgan keys show`)",
                file=sys.stderr,
            )
            _announced_identity = True
    return identity


def sign(path: Path, record: GenerationRecord) -> Path | None:
    """Sign ``path`` (embedded manifest, or a ``.c2pa`` sidecar); None when c2pa-python is
    missing (warned once)."""
    global _warned_unsigned
    try:
        import c2pa  # noqa: F401
    except ImportError:
        if not _warned_unsigned:
            warnings.warn(
                "generated files are not signed: C2PA Content Credentials need c2pa-python, an "
                "artgan dependency (pip install c2pa-python)",
                stacklevel=3,
            )
            _warned_unsigned = True
        return None
    from .c2pa_sign import sign_output

    return sign_output(path, record.to_dict(), _identity())
