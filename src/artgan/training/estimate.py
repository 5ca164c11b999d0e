"""How long the run will take: the first steps are timed and the total said once, early.

The first step is a warm-up (allocations, kernel choice, caches) and is not counted; then steps
are timed until a few seconds or a handful of steps have passed, and one line says the time a
step takes and the whole run's estimate, so a run of days is seen in its first seconds.
"""

from __future__ import annotations

import time
from pathlib import Path


def format_duration(seconds: float) -> str:
    """``42 s``, ``7 min``, ``2 h 05 min``, ``3 days 4 h``: as a person says a wait."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    hours, minutes = divmod(round(minutes), 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h"


def estimate_line(seconds_per_step: float, remaining: int, total: int, hint: str = "") -> str:
    """The line training prints once its first steps are timed."""
    left = format_duration(seconds_per_step * remaining)
    line = (
        f"estimate: {per_step_text(seconds_per_step)} a step, about {left} for the {remaining} "
        f"steps left of {total}"
    )
    return line + (f" ({hint})" if hint else "")


def per_step_text(seconds_per_step: float) -> str:
    if seconds_per_step >= 0.1:
        return f"{seconds_per_step:.2f} s"
    return f"{seconds_per_step * 1e3:.0f} ms"


def budget_line(seconds_per_step: float, step: int, total: int, seconds_left: float) -> str:
    """The estimate when a time budget (train.max_minutes) ends the run before ``total``."""
    reached = min(total, step + int(seconds_left / seconds_per_step))
    return (
        f"estimate: {per_step_text(seconds_per_step)} a step; the time budget ends the run in "
        f"{format_duration(seconds_left)}, at about step {reached} of {total}"
    )


# Waiting for a core this share of the time means steps take 1 / (1 - share) of what this
# machine does alone: 40 % is about 1.7x, where a user should hear it.
CONTENTION_WARNING_SHARE = 0.4


def cpu_schedule_ns() -> tuple[int, int] | None:
    """(running, runnable but waiting for a core) nanoseconds summed over this process's threads,
    from Linux's per-thread schedstat; None where there is none."""
    running = waiting = 0
    try:
        for task in Path("/proc/self/task").iterdir():
            fields = (task / "schedstat").read_text().split()
            running, waiting = running + int(fields[0]), waiting + int(fields[1])
    except (OSError, ValueError, IndexError):
        return None
    return running, waiting


def contention_line(running_ns: int, waiting_ns: int) -> str:
    """A warning when other processes kept this one waiting for a core, else ""."""
    total = running_ns + waiting_ns
    if running_ns <= 0 or total <= 0 or waiting_ns / total < CONTENTION_WARNING_SHARE:
        return ""
    return (
        f"warning: other processes kept this run waiting for a CPU core {waiting_ns / total:.0%} "
        f"of the time, so its steps take about {total / running_ns:.1f}x what this machine does "
        "alone (fewer --train.threads, or a quieter machine)"
    )


class StepTimer:
    """Times the steps after the first; ``after_step`` returns the estimate once, else None."""

    def __init__(
        self,
        start_step: int,
        total_steps: int,
        warmup_steps: int = 1,
        min_steps: int = 3,
        max_steps: int = 10,
        min_seconds: float = 2.0,
        clock=time.perf_counter,
        schedule=cpu_schedule_ns,
        deadline: float | None = None,
    ):
        # deadline: the clock reading at which a time budget (train.max_minutes) ends the run
        self.start_step, self.total = start_step, total_steps
        self.warmup, self.min_steps, self.max_steps = warmup_steps, min_steps, max_steps
        self.min_seconds, self.clock, self.schedule = min_seconds, clock, schedule
        self.began: float | None = None
        self.scheduled: tuple[int, int] | None = None  # cpu_schedule_ns() when timing began
        self.deadline = deadline
        self.done = False

    def after_step(
        self, step: int, hint_if_long: str = "", long_seconds: float = 1800
    ) -> str | None:
        """Call after ``step`` (the steps finished so far) is done."""
        if self.done:
            return None
        timed = step - self.start_step - self.warmup
        if timed == 0:
            self.began, self.scheduled = self.clock(), self.schedule()
            return None
        if self.began is None or timed < self.min_steps:
            return None
        elapsed = self.clock() - self.began
        if elapsed < self.min_seconds and timed < self.max_steps:
            return None
        self.done = True
        per_step = elapsed / timed
        remaining = self.total - step
        if remaining <= 0:
            return None
        seconds_left = None if self.deadline is None else self.deadline - self.clock()
        if seconds_left is not None and per_step * remaining > seconds_left:
            line = budget_line(per_step, step, self.total, max(0.0, seconds_left))
        else:
            hint = hint_if_long if per_step * remaining > long_seconds else ""
            line = estimate_line(per_step, remaining, self.total, hint)
        now = self.schedule()
        if self.scheduled is not None and now is not None:
            running, waiting = (max(0, b - a) for a, b in zip(self.scheduled, now))
            warning = contention_line(running, waiting)
            line += f"\n{warning}" if warning else ""
        return line
