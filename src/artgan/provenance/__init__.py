"""The one output point: every file artgan generates is written by :mod:`.output`, which
records provenance, signs it with C2PA Content Credentials and, for images, applies the
invisible watermark (:mod:`.marking`). Also: signing keys (:mod:`.keys`), verification
(:mod:`.verify`) and the originality guard (:mod:`.originality`)."""

from .output import (
    write_audio,
    write_diagram,
    write_gif,
    write_image,
    write_mesh,
    write_points,
    write_text,
)
from .record import GenerationRecord

__all__ = [
    "GenerationRecord",
    "write_audio",
    "write_diagram",
    "write_gif",
    "write_image",
    "write_mesh",
    "write_points",
    "write_text",
]
