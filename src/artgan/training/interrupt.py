"""Ctrl-C and SIGTERM stop training at the end of the current step, with a checkpoint.

While the loop runs, the first SIGINT or SIGTERM only sets a flag: the trainer finishes the step
it is in, saves a checkpoint at that step (exactly what ``checkpoint_every`` would have saved, so
``--resume`` continues exactly) and raises ``TrainingInterrupted``. A second signal stops at once
(checkpoint writes are atomic, so the previous checkpoint stays loadable).
"""

from __future__ import annotations

import os
import signal
import threading

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on a signal after saving a checkpoint; ``str()`` says how to resume.

    A KeyboardInterrupt, so a notebook or a script that catches Ctrl-C sees what it expects."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum  # what a shell reports for a process ended by that signal


def signal_name(signum: int) -> str:
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


class StopRequests:
    """A context that turns SIGINT/SIGTERM into a request (``.signum``) checked between steps.

    Only the main thread can take signals; elsewhere (a training started from a worker thread)
    the handlers are left alone and nothing is ever requested."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict = {}

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                try:
                    self._previous[signum] = signal.signal(signum, self._handle)
                except (ValueError, OSError):  # e.g. an embedded interpreter
                    pass
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum, frame) -> None:
        if self.signum is not None:  # the second one: stop now
            raise KeyboardInterrupt
        self.signum = signum
        # os.write, not print: a signal handler may run while print holds stdout's lock.
        os.write(
            2,
            f"\nartgan: {signal_name(signum)}: finishing this step and saving a checkpoint "
            "(again to stop at once)\n".encode(),
        )
