"""What the one output point does to every generated file besides writing it: the invisible
watermark (images) and the signed C2PA manifest (every kind).

Watermark: the 32-bit payload is the id of the file's own generation record
(:func:`.watermark.payload_for_record` of the record as signed, less its creation time), so a
detected mark can be matched with the record, and the same model, seed and parameters give the
same pixels whenever they are run (the time is in the signed manifest only). The record says
whether the file carries the mark and, when not, why ("not watermarked: too small ..."): nothing
is skipped silently.

Signing: every file gets a C2PA manifest signed by the local identity (created on first use, see
:mod:`.keys`) or the one given by ``ARTGAN_SIGNING_CERT``/``ARTGAN_SIGNING_KEY``. The bytes are
signed before anything is written, so a key that fails (garbage, missing, foreign, a key folder
that cannot be made) is an error naming the problem and no file is written or replaced. Only in
a broken install without c2pa-python (a dependency) are files written unsigned, with one
warning, rather than losing the generated work.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import ConfigError
from .c2pa_sign import sign_bytes as sign_with
from .keys import create_signing_identity, find_signing_identity, keys_dir
from .record import GenerationRecord

WATERMARKED = "embedded (payload: the first 32 bits of this record's SHA-256, less its time)"
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
    """The watermark payload of a record: its deterministic part (weights hash, seed,
    parameters, index...), never its creation time."""
    from .watermark import payload_for_record

    return payload_for_record(record.to_dict())


def _identity():
    global _announced_identity
    try:
        identity = find_signing_identity()
        if identity is None:
            identity = create_signing_identity()
            if not _announced_identity:
                print(
                    f"artgan: created a local signing key in {keys_dir()} (see `artgan keys show`)",
                    file=sys.stderr,
                )
                _announced_identity = True
    except OSError as error:
        raise ConfigError(_key_folder_problem(keys_dir(), error)) from None
    return identity


def _key_folder_problem(folder: Path, error: OSError) -> str:
    """What is wrong with the signing key folder (or ARTGAN_HOME above it), in one line."""
    blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocker == folder:
        problem = f"the signing key folder {folder} is a file, not a folder"
    elif blocker is not None:
        problem = f"the signing key folder {folder} cannot be made: {blocker} is a file"
    else:
        problem = f"the signing key folder {folder} cannot be made or read ({error.strerror})"
    return (
        f"{problem}; nothing was written. Set ARTGAN_HOME to a writable folder, or give a key "
        "with ARTGAN_SIGNING_CERT and ARTGAN_SIGNING_KEY"
    )


def sign_bytes(data: bytes, path: Path, record: GenerationRecord) -> tuple[bytes, bytes | None]:
    """Sign a file's bytes before anything is written: ``(bytes to write, manifest store for
    <file>.c2pa or None)``. A key that fails raises a ConfigError naming the problem. Only when
    c2pa-python is missing (a broken install) are the bytes returned unsigned, warned once."""
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
        return data, None
    identity = _identity()
    try:
        return sign_with(data, path, record.to_dict(), identity)
    except ConfigError as error:
        raise ConfigError(f"{error}; nothing was written") from None
