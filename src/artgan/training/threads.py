"""How many CPU threads a training uses: the cores that are free now, not all of them.

torch starts one thread per core. On a machine where other processes already keep cores busy,
those threads wait for each other at every operation and a training ran 4-17x slower than its
share of the machine (issue 16: a 12 s run took 48 s beside other work). So, unless the user
sets ``--train.threads``, the trainer measures how busy the cores are over a fraction of a
second (``/proc/stat`` on Linux) and takes the free ones, at least one. Together with passive
OpenMP waiting (set by the command line before torch loads) this keeps a training near its
fair share of a shared machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ThreadChoice:
    threads: int
    cores: int
    busy: float  # cores kept busy by other processes when measured (0 when not measured)
    chosen_by: str  # "user" | "free cores" | "all cores" | "resumed run"

    def describe(self) -> str:
        if self.chosen_by == "user":
            return f"threads: {self.threads} (--train.threads)"
        if self.chosen_by == "resumed run":
            return (
                f"threads: {self.threads}, the run's own (an exact resume needs the same count; "
                "--train.threads N to change)"
            )
        if self.chosen_by == "free cores":
            return (
                f"threads: {self.threads} of {self.cores} cores ({self.busy:.1f} busy with other "
                "work; --train.threads N to choose)"
            )
        return f"threads: {self.threads} of {self.cores} cores (--train.threads N to choose)"


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask, e.g. a container's CPU set)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def read_cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies of all cores from /proc/stat, or None where there is none."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [float(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_cores(
    cores: int,
    interval: float = 0.3,
    read: Callable[[], tuple[float, float] | None] = read_cpu_times,
    sleep: Callable[[float], None] = time.sleep,
) -> float | None:
    """How many cores other processes kept busy over ``interval`` seconds (this process
    sleeps meanwhile, so the work measured is theirs); None where it cannot be measured."""
    first = read()
    if first is None:
        return None
    sleep(interval)
    second = read()
    if second is None or second[1] <= first[1]:
        return None
    busy_fraction = (second[0] - first[0]) / (second[1] - first[1])
    machine_cores = os.cpu_count() or cores
    return min(cores, busy_fraction * machine_cores)


def choose_threads(
    requested: int, measure: Callable[[int], float | None] = busy_cores
) -> ThreadChoice:
    """``requested`` threads when the user set them (> 0), else the cores free right now."""
    cores = usable_cores()
    if requested > 0:
        return ThreadChoice(requested, cores, 0.0, "user")
    busy = measure(cores)
    if busy is None:
        return ThreadChoice(cores, cores, 0.0, "all cores")
    # A core counts as free when less than half of it is taken: rounding keeps a lightly
    # loaded machine at full speed and gives a busy one's cores to their owners.
    free = max(1, min(cores, round(cores - busy)))
    return ThreadChoice(free, cores, busy, "free cores" if free < cores else "all cores")


def resumed_threads(saved: int) -> ThreadChoice:
    """The thread count a run trained with, taken again when it resumes."""
    return ThreadChoice(saved, usable_cores(), 0.0, "resumed run")
