"""The run folder's lock lives in artgan/run_lock.py (below run_folder.py, so that ``Run.lock``
can give it); re-exported here for the trainer and older imports."""

from ..run_lock import LOCK_FILE, RunLock, RunLockedError, is_locked, lock_run

__all__ = ["LOCK_FILE", "RunLock", "RunLockedError", "is_locked", "lock_run"]
