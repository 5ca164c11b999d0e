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
    chosen_by: str  # "user" | "free cores" | "all cores" | "resumed run" | "measured"
    # "measured": the (seconds a step on the threads first chosen, on 1) that decided it
    trial: tuple[int, float, float] | None = None

    def describe(self) -> str:
        if self.chosen_by == "user":
            return f"threads: {self.threads} (--train.threads)"
        if self.chosen_by == "resumed run":
            return (
                f"threads: {self.threads}, the run's own (an exact resume needs the same count; "
                "--train.threads N to change)"
            )
        if self.chosen_by == "measured" and self.trial is not None:
            many, many_s, one_s = self.trial
            return (
                f"threads: 1 of {self.cores} cores (measured {1e3 * one_s:.0f} ms a step on 1 "
                f"thread, {1e3 * many_s:.0f} ms on {many}: the model is too small to share out; "
                "--train.threads N to choose)"
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


# A run's first steps measure whether its free cores help: torch's threads pay a
# synchronisation cost at every operation, and a small model (a char-RNN, a 2-D MLP, a 32 px
# quick preset) ran 2-4x slower on 2 threads than on 1 (bench/readme_times.py). After a warm-up
# step, TRIAL_STEPS steps run on the chosen threads and TRIAL_STEPS on one; one thread is kept
# when it was at least TRIAL_MARGIN faster, so noise does not flip a choice that was right.
TRIAL_STEPS = 2
TRIAL_MARGIN = 0.9


class ThreadTrial:
    """Times steps on ``choice.threads`` threads, then on one, and keeps the faster count.

    ``before_step(step)`` sets the threads a step runs on; ``after_step(step, seconds)`` records
    its wall time and returns the final choice once the trial is decided (else None). Steps are
    counted from the run's first step; the first one is a warm-up and not timed."""

    def __init__(
        self,
        choice: ThreadChoice,
        first_step: int,
        set_threads: Callable[[int], None],
    ):
        self.choice = choice
        self.first = first_step
        self.set_threads = set_threads
        self.seconds: dict[int, list[float]] = {choice.threads: [], 1: []}
        self.done = False

    def _threads_for(self, step: int) -> int | None:
        offset = step - self.first - 1  # step first is the warm-up
        if offset < 0:
            return None
        return self.choice.threads if offset < TRIAL_STEPS else 1

    def before_step(self, step: int) -> None:
        if not self.done and self._threads_for(step) == 1:
            self.set_threads(1)

    def after_step(self, step: int, seconds: float) -> ThreadChoice | None:
        threads = None if self.done else self._threads_for(step)
        if threads is None:
            return None
        self.seconds[threads].append(seconds)
        if len(self.seconds[1]) < TRIAL_STEPS:
            return None
        return self.decide()

    def decide(self) -> ThreadChoice:
        """The count kept (also where a run ends or stops before the trial is complete)."""
        self.done = True
        many, one = self.seconds[self.choice.threads], self.seconds[1]
        if many and one and min(one) < TRIAL_MARGIN * min(many):
            trial = (self.choice.threads, min(many), min(one))
            kept = ThreadChoice(1, self.choice.cores, self.choice.busy, "measured", trial)
        else:
            kept = self.choice
        self.set_threads(kept.threads)
        return kept
