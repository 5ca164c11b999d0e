"""Shared helpers of the benchmark scripts: what machine and code a figure was measured on,
how much of the CPU other processes took meanwhile, and where the markdown tables go.

Timings on a shared machine are only as good as the machine was quiet; ``CpuShare`` measures
that from /proc/stat (Linux) so every table can say how contested its figures were.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import subprocess
import time
from pathlib import Path

OUT_DIR = Path(__file__).parent / "out"
REPO = Path(__file__).resolve().parent.parent


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags(wanted: tuple[str, ...] = ("avx512f", "avx512_bf16", "amx_bf16")) -> list[str]:
    """Which of the instruction-set flags that matter for bf16 speed this CPU reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                present = set(line.split(":", 1)[1].split())
                return [flag for flag in wanted if flag in present]
    except OSError:
        pass
    return []


def git_commit() -> str:
    """Short commit of the working tree, with ``-dirty`` when it has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            text=True,
            capture_output=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            text=True,
            capture_output=True,
            check=True,
        ).stdout
        return commit + ("-dirty" if status.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine_lines() -> list[str]:
    """Markdown bullet lines naming the machine, software, date and commit."""
    import torch

    flags = ", ".join(cpu_flags()) or "none of avx512f/avx512_bf16/amx_bf16"
    return [
        f"- machine: {cpu_model()}, {os.cpu_count()} logical CPUs ({flags}), "
        f"{platform.system()} {platform.release()}",
        f"- software: Python {platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} intra-op threads)",
        f"- date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, "
        f"commit {git_commit()}",
    ]


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if platform.system() == "Darwin" else peak / 1024


def _busy_cpu_seconds(core: int | None = None) -> float | None:
    """CPU seconds all processes of the machine (or of one ``core``) have spent busy
    (user+nice+system+irq+steal)."""
    label = "cpu" if core is None else f"cpu{core}"
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return None
    fields = next((line.split()[1:] for line in lines if line.split()[:1] == [label]), None)
    if fields is None:
        return None
    ticks = [int(v) for v in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    """This process's CPU seconds plus those of its finished (waited-for) children, so worker
    processes of a benchmark do not count as "other processes" once they have exited."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def process_tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of a running process and all its living descendants (for
    example a training and its DataLoader workers), from /proc; 0 for a process gone."""
    total, pending, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while pending:
        current = pending.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (name) "
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


class CpuShare:
    """Share of the machine's CPU capacity (or of one ``core``'s) that *other* processes used
    between ``start`` and ``stop`` (0.0 = the benchmark had it to itself; None where /proc/stat
    is absent). ``tree``: the id of a child process whose whole tree counts as the benchmark's
    own too. ``stop(own)``: the benchmark's own CPU seconds when the caller measured them (a
    child pinned to ``core``, while other children run elsewhere)."""

    def __init__(self, tree: int | None = None, core: int | None = None):
        self._tree = tree
        self._core = core

    def _own_seconds(self) -> float:
        tree = process_tree_cpu_seconds(self._tree) if self._tree is not None else 0.0
        return _own_cpu_seconds() + tree

    def start(self) -> CpuShare:
        self._wall = time.perf_counter()
        self._busy = _busy_cpu_seconds(self._core)
        self._own = self._own_seconds()
        return self

    def stop(self, own: float | None = None) -> float | None:
        busy = _busy_cpu_seconds(self._core)
        if busy is None or self._busy is None:
            return None
        wall = time.perf_counter() - self._wall
        own = self._own_seconds() - self._own if own is None else own
        capacity = wall * (1 if self._core is not None else (os.cpu_count() or 1))
        return max(0.0, (busy - self._busy) - own) / max(1e-9, capacity)


def write_report(name: str, text: str) -> Path:
    """Write ``text`` to bench/out/<name>.md (a git-ignored folder) and return the path."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Structured reports: bench/out/<name>.json, from which make_benchmarks.py builds BENCHMARKS.md.
#
#   {"name", "title", "command", "machine": [markdown lines], "date", "commit",
#    "tables": [{"caption", "columns": [...], "rows": [[...], ...]}], "notes": [...]}


def markdown_table(columns: list[str], rows: list[list]) -> list[str]:
    """Lines of a markdown table; cells are shown as given (numbers with str())."""
    lines = ["| " + " | ".join(map(str, columns)) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def render_report(report: dict, level: int = 1) -> str:
    """The markdown of a structured report (what write_json_report also writes to .md)."""
    hashes = "#" * level
    lines = [f"{hashes} {report['title']}", ""]
    if report.get("command"):
        lines += [f"`{report['command']}`", ""]
    lines += [*report.get("machine", []), ""]
    for table in report.get("tables", []):
        if table.get("caption"):
            lines += [f"{hashes}# {table['caption']}", ""]
        lines += [*markdown_table(table["columns"], table["rows"]), ""]
    notes = report.get("notes", [])
    if notes:
        lines += [f"- {note}" for note in notes] + [""]
    return "\n".join(lines)


def write_json_report(
    name: str,
    title: str,
    tables: list[dict],
    notes: list[str] | None = None,
    command: str = "",
) -> Path:
    """Write bench/out/<name>.json (for make_benchmarks.py) and the same report as
    bench/out/<name>.md; returns the JSON path. ``tables``: [{"caption", "columns", "rows"}]."""
    import json

    report = {
        "name": name,
        "title": title,
        "command": command,
        "machine": machine_lines(),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "tables": tables,
        "notes": list(notes or []),
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    write_report(name, render_report(report))
    return path


# Training settings that keep a bench run quiet: no progress bar, TensorBoard, previews or
# intermediate checkpoints (the benches time and score the final model only).
QUIET_TRAIN = {"progress": False, "tensorboard": False, "sample_every": 0, "checkpoint_every": 0}
