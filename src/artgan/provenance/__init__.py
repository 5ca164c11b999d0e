"""The one output point: every file artgan generates is written by :mod:`.output`, which
records provenance (and, for images, applies the invisible watermark)."""

from .output import write_audio, write_gif, write_image, write_points, write_text
from .record import GenerationRecord

__all__ = [
    "GenerationRecord",
    "write_audio",
    "write_gif",
    "write_image",
    "write_points",
    "write_text",
]
