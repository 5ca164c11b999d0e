"""Benchmark: a training on a shared CPU. The demo's DCGAN trains alone, then beside one and
two busy torch processes, and its speed is reported as a fraction of its speed alone, for:

- artgan's default: ``artgan train`` as a user runs it, which takes the cores that other work
  leaves free when it starts (training/threads.py) and makes OpenMP threads wait passively
  (cli/main.py);
- a naive fixed thread count: the same training from Python (``artgan.train``) with
  ``train.threads`` = all usable cores and OpenMP's own waiting (OMP_WAIT_POLICY unset), what
  torch does by default.

A busy process is a plain torch matrix-multiply loop (1024 x 1024, torch's default threads and
waiting), as another user's job would be. Speeds are the trainer's own step times and CPU
seconds (log.jsonl) over a window after warm-up, so start-up and data loading do not count.
The target (issue 15): beside one busy process a training keeps at least 40 % of its solo speed.

Linux shares the CPU between threads, or, with CFS autogroup on (the desktop default), first
between sessions (a terminal, a job): ``--sessions own`` (default) starts the training and each
busy process in a session of its own, as separate jobs are; ``--sessions shared`` keeps them all
in this one, which is also what every run gets with autogroup off (a thread-fair share). The
table says which, and whether autogroup was on.

    python bench/shared_cpu.py                    # 3 loads x 2 settings, about 4 minutes
    python bench/shared_cpu.py --sessions shared  # all in one session (thread-fair sharing)
    python bench/shared_cpu.py --window 6 --loads 0,1  # a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine_lines, write_report

# The demo's training (cli/demo.py), in fp32, time-boxed rather than run to its 1,500 steps.
TRAINING = {
    "model": {"name": "dcgan", "image_size": 32, "width": 48, "z_dim": 64},
    "data": {"source": "art", "size": 4096, "flip": True},
    "train": {
        "steps": 1_000_000,
        "batch_size": 64,
        "precision": "fp32",
        "log_every": 2,
        "sample_every": 0,
        "checkpoint_every": 0,
        "progress": False,
        "tensorboard": False,
    },
}
SETTINGS = {  # name: how the training is started
    "artgan default": "cli",
    "naive fixed threads": "python",
}
BUSY_LOOP = "import torch\na = torch.randn(1024, 1024)\nwhile True:\n    a @ a\n"
THREADS_LINE = re.compile(r"^threads: (\d+)")


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def plain_environment() -> dict:
    """The environment of a process that sets nothing about OpenMP."""
    return {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}


def autogroup() -> str:
    try:
        return (
            "on"
            if Path("/proc/sys/kernel/sched_autogroup_enabled").read_text()[0] == "1"
            else "off"
        )
    except OSError:
        return "unknown"


def start_training(setting: str, run_dir: Path, own_session: bool) -> subprocess.Popen:
    config = json.loads(json.dumps(TRAINING))
    config["run_dir"] = str(run_dir)
    if SETTINGS[setting] == "cli":  # artgan train --config FILE, threads chosen by artgan
        config_file = run_dir.parent / "config.json"
        config_file.write_text(json.dumps(config))
        command = [sys.executable, "-m", "artgan", "train", "--config", str(config_file)]
        env = plain_environment()  # the command line sets passive waiting itself
    else:
        config["train"]["threads"] = usable_cores()
        script = f"import artgan\nartgan.train({config!r})\n"
        command, env = [sys.executable, "-c", script], plain_environment()
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=own_session,
    )


def read_log(run_dir: Path) -> list[dict]:
    try:
        lines = (run_dir / "log.jsonl").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [json.loads(line) for line in lines[:-1]]  # the last line may be half written


def measure(setting: str, warmup: int, window: float, timeout: float, own_session: bool) -> dict:
    """Train until ``warmup`` steps are logged, then for ``window`` seconds; the speed is
    batch / mean step time of the steps logged in the window."""
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        child = start_training(setting, run_dir, own_session)
        try:
            deadline, window_end, entries = time.monotonic() + timeout, None, []
            while time.monotonic() < deadline:
                time.sleep(0.5)
                if child.poll() is not None:
                    out = child.stdout.read().strip().splitlines()
                    return {"error": (out or ["training stopped"])[-1][:200]}
                entries = read_log(run_dir)
                warm = [e for e in entries if e["step"] > warmup]
                if warm and window_end is None:
                    window_end = time.monotonic() + window
                if window_end is not None and time.monotonic() >= window_end and len(warm) >= 2:
                    break
            else:
                return {"error": f"fewer than {warmup} steps in {timeout:.0f} s"}
        finally:
            child.kill()  # it starts no processes of its own
            child.wait()
        first = child.stdout.read()
    timed = [e for e in entries if e["step"] > warmup]
    step_s = statistics.fmean(e["step_s"] for e in timed)
    cpu_s = statistics.fmean(e["cpu_s"] for e in timed)
    batch = TRAINING["train"]["batch_size"]
    chosen = next((m for m in map(THREADS_LINE.match, first.splitlines()) if m), None)
    threads = int(chosen.group(1)) if chosen else usable_cores()
    return {
        "img_per_s": batch / step_s,
        "cpu_ms_per_image": 1000 * cpu_s / batch,
        "steps": len(timed) * TRAINING["train"]["log_every"],
        "threads": threads,
    }


def start_busy(n: int, own_session: bool) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [sys.executable, "-c", BUSY_LOOP],
            env=plain_environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=own_session,
        )
        for _ in range(n)
    ]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.kill()
        process.wait()


def table(results: dict[tuple[str, int], dict], loads: list[int]) -> list[str]:
    lines = [
        "| setting | busy processes | threads | img/s | of its solo speed | "
        "of artgan's solo speed | CPU ms per image |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    reference = results.get(("artgan default", 0), {}).get("img_per_s")
    for setting in SETTINGS:
        solo = results.get((setting, 0), {}).get("img_per_s")
        for load in loads:
            r = results[(setting, load)]
            if "error" in r:
                lines.append(f"| {setting} | {load} | failed: {r['error']} | | | | |")
                continue
            own = f"{100 * r['img_per_s'] / solo:.0f} %" if solo else "-"
            artgan = f"{100 * r['img_per_s'] / reference:.0f} %" if reference else "-"
            lines.append(
                f"| {setting} | {load} | {r['threads']} | {r['img_per_s']:.1f} | {own} | "
                f"{artgan} | {r['cpu_ms_per_image']:.1f} |"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", default="0,1,2", help="busy processes beside the training")
    parser.add_argument("--warmup", type=int, default=6, help="steps before the window")
    parser.add_argument("--window", type=float, default=20.0, help="seconds timed per run")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds per run at most")
    parser.add_argument(
        "--sessions",
        choices=("own", "shared"),
        default="own",
        help="a session per process (default) or all in this one",
    )
    args = parser.parse_args()
    loads = [int(n) for n in args.loads.split(",")]
    own_session = args.sessions == "own"
    results = {}
    for load in loads:
        busy = start_busy(load, own_session)
        try:
            time.sleep(2.0 if load else 0.0)  # the neighbours are running when training starts
            for setting in SETTINGS:
                print(f"{setting}, {load} busy ...", file=sys.stderr, flush=True)
                results[(setting, load)] = measure(
                    setting, args.warmup, args.window, args.timeout, own_session
                )
        finally:
            stop(busy)
    lines = [
        "# A training on a shared CPU: speed beside busy processes, as a share of its solo speed",
        "",
        *machine_lines(),
        "",
        *table(results, loads),
        "",
        "The demo's DCGAN (32 px, width 48, batch 64, procedural art, fp32), timed over "
        f"{args.window:.0f} s after {args.warmup} warm-up steps. artgan default: `artgan train`, "
        "threads from the cores free at its start, passive OpenMP waiting. Naive: the same "
        f"training with train.threads = {usable_cores()} (all usable cores) and OpenMP's own "
        "waiting. Busy process: a torch 1024 x 1024 matrix-multiply loop with torch's default "
        "threads. Sessions: "
        + (
            "the training and each busy process in one of its own"
            if own_session
            else "all in one (thread-fair sharing)"
        )
        + f"; CFS autogroup {autogroup()}. Target: >= 40 % of solo speed beside one busy "
        "process.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    print(f"written to {write_report('shared_cpu', text)}", file=sys.stderr)


if __name__ == "__main__":
    main()
