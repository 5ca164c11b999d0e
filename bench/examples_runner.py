"""Run pytorch/examples' ``dcgan/main.py`` unchanged, in its own environment.

bench/train_throughput.py starts this with the examples' Python (bench/.venv-examples, or
bench/.venv-lwgan, which has the same torch and torchvision) and imports nothing of artgan:
torchvision comes in through bench/torchvision_cpu.py, then the script runs as ``__main__``
with the arguments given after its path.

    bench/.venv-examples/bin/python bench/examples_runner.py bench/.examples/dcgan/main.py \
        --dataset mnist --dataroot DIR --manualSeed 0 --outf OUT
"""

from __future__ import annotations

import ctypes
import os
import runpy
import signal
import sys

from torchvision_cpu import import_torchvision

PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


def stop_with_parent() -> None:
    """The benchmark stops this run (and its DataLoader workers, in this process group) when
    it has timed enough steps; if the benchmark dies first, the kernel ends this process too
    (Linux's parent-death signal; the workers notice their parent is gone and stop)."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the benchmark's own clean-up only
        return
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)


if __name__ == "__main__":
    stop_with_parent()
    import_torchvision()
    script, *arguments = sys.argv[1:]
    sys.argv = [script, *arguments]
    runpy.run_path(script, run_name="__main__")
