"""Moved to ``artgan.atomic`` (a utility every layer uses); kept so older imports work."""

from ..atomic import atomic_write, atomic_write_bytes, atomic_write_text

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text"]
