"""One writer per run folder: an OS file lock held while a process trains in it.

The lock is ``fcntl.flock`` on ``<run>/.artgan.lock``. The operating system drops it when the
holder exits in any way (kill -9 and power cuts included), so a lock file left behind by a
killed process never blocks: only a live holder does. The file holds the holder's process id,
for the message a second writer sees; it is never deleted (deleting a lock file while another
process waits on it would let two writers in).

    with Run(run_dir).lock():       # raises RunLockedError when another process holds it
        ...write into run_dir...

(``Run.lock`` in run_folder.py gives this lock; the file name is :data:`LOCK_FILE`.)

Where ``fcntl`` does not exist (Windows), the lock is a no-op.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ArtganError

LOCK_FILE = ".artgan.lock"  # inside the run folder (run_folder.Run.lock_file)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


class RunLockedError(ArtganError):
    """Another live process is writing into this run folder."""


class RunLock:
    """An exclusive, non-blocking lock on a run folder (re-entrant within one object)."""

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> RunLock:
        """Take the lock (creating the folder if needed), or raise :class:`RunLockedError`."""
        if self._fd is not None or fcntl is None:
            return self
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except NotADirectoryError:
            raise ArtganError(f"run folder {self.run_dir} is a file, not a folder") from None
        except OSError as error:  # a read-only folder or disk: nothing can be written there
            raise ArtganError(
                f"cannot write in run folder {self.run_dir} ({error.strerror or error}); a "
                "training needs it writable for its log and checkpoints"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"process {holder}" if holder else "another process"
            raise RunLockedError(
                f"run folder {self.run_dir} is in use: {who} is training in it; wait for it to "
                "finish or choose another --run-dir"
            ) from None
        try:  # who holds it, for the message above (best effort: the lock is what counts)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else None
    except (OSError, ValueError):
        return None


def lock_run(run_dir: str | Path) -> RunLock:
    """Take and return the lock on ``run_dir`` (call ``.release()`` when done)."""
    return RunLock(run_dir).acquire()


def is_locked(run_dir: str | Path) -> bool:
    """Whether a live process holds ``run_dir``'s lock (never creates anything)."""
    path = Path(run_dir) / LOCK_FILE
    if fcntl is None or not path.is_file():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
