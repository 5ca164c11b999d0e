"""Keep large buffers in the C heap while a CPU network makes many passes (glibc only).

Why: glibc's malloc serves a block above its mmap threshold (which adapts, up to 32 MB on 64-bit
systems) with a fresh mapping from the kernel and unmaps it on free. A network whose activations
exceed that, pass after pass, page-faults every one of them in again: 4.8 MB an image at
EfficientNet-Lite0's 112-px blocks, and a third of the fused network's CPU time went to the
kernel at 16 images a pass (bench/eval_speed.py). PyTorch's CPU tuning guide answers this by
preloading jemalloc or tcmalloc; ``keep_large_buffers`` does the same job in-process, for as long
as it is entered: malloc takes blocks up to 1 GiB from its heap and does not give the heap back,
so each pass reuses the previous pass's pages. On leaving, the thresholds go to glibc's usual
ceiling (32 MB mapping, 64 MB trim) and ``malloc_trim`` returns the freed memory to the system.

Elsewhere (macOS, Windows, musl, a glibc that refuses the setting) nothing changes and
``large_buffers_kept()`` stays False, so callers keep their blocks small instead.
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)
HEAP_LIMIT = 1 << 30  # blocks up to this size come from the heap while kept
GLIBC_MMAP_CEILING = 32 << 20  # where glibc's own adaptive threshold stops on 64-bit systems

_lock = threading.Lock()
_depth = 0
_kept = False


@functools.cache
def glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (whose mallopt this module uses), else None."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        libc = ctypes.CDLL("libc.so.6")
    except (AttributeError, ValueError, OSError):  # no confstr name, or not glibc
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def restore(libc: ctypes.CDLL) -> None:
    """glibc's usual ceiling for both thresholds, and the freed heap back to the system."""
    libc.mallopt(M_MMAP_THRESHOLD, GLIBC_MMAP_CEILING)
    libc.mallopt(M_TRIM_THRESHOLD, 2 * GLIBC_MMAP_CEILING)
    libc.malloc_trim(0)


def can_keep_large_buffers() -> bool:
    """Whether ``keep_large_buffers`` can work here (glibc)."""
    return glibc() is not None


def large_buffers_kept() -> bool:
    """True inside ``keep_large_buffers`` where the C library accepted the setting."""
    return _kept


@contextmanager
def keep_large_buffers() -> Iterator[bool]:
    """Within: large blocks come from, and return to, the malloc heap (see the module doc).
    Yields whether that is in effect. Nests; the outermost exit restores and trims."""
    global _depth, _kept
    with _lock:
        if _depth == 0:
            libc = glibc()
            _kept = libc is not None and libc.mallopt(M_MMAP_THRESHOLD, HEAP_LIMIT) == 1
            if _kept and libc.mallopt(M_TRIM_THRESHOLD, 2 * HEAP_LIMIT) != 1:
                restore(libc)
                _kept = False
        _depth += 1
        kept = _kept
    try:
        yield kept
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and kept:
                restore(glibc())
                _kept = False
