"""Train one inpainting family for bench/inpainting.py within a CPU-time budget.

The budget is CPU seconds of this process (``time.process_time``: all its threads), not wall
time, because the machine is shared: a watchdog thread sends this process SIGTERM when the budget
(or a wall-clock deadline, so a loaded machine still ends in time) is spent, and the trainer stops
after the current step with a checkpoint (training/interrupt.py). What was used is written
beside the run as ``budget.json``.

    python bench/inpainting_train.py lama --cpu-minutes 30 --steps 6000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import torch

import artgan
from artgan.training.checkpoint import resolve_checkpoint
from artgan.training.interrupt import TrainingInterrupted
from common import OUT_DIR, QUIET_TRAIN
from super_resolution import write_training_tiles

SIZE = 64
WORK = OUT_DIR / "inpainting"
SR_TILES = OUT_DIR / "super_resolution" / "train"

# Each family as bench/inpainting.py compares it. ``inpaint`` is the earlier bench's setting.
FAMILIES = {
    "inpaint": {
        "model": {"name": "inpaint", "image_size": SIZE, "width": 16, "depth": 3, "mid_blocks": 2},
        "train": {"batch_size": 16, "lr_g": 2e-4, "lr_d": 2e-4},
    },
    "lama": {
        "model": {
            "name": "lama",
            "image_size": SIZE,
            "width": 32,
            "depth": 2,
            "blocks": 4,
            "d_width": 16,
            # The target is PSNR inside the hole: the squared error (what PSNR measures) as the
            # pixel loss, with the perceptual and adversarial terms kept but lighter.
            "pixel_loss": "l2",
            "l1_weight": 200.0,
            "perceptual_weight": 1.0,
            "adversarial_weight": 0.1,
        },
        # LaMa's optimiser comes from its run_defaults; a short run wants a shorter EMA.
        "train": {"batch_size": 8, "ema_decay": 0.995},
    },
}


def start_watchdog(cpu_budget: float, deadline: float) -> tuple[threading.Event, dict]:
    """Stop this process's training when its CPU time reaches ``cpu_budget`` or the clock
    ``deadline``. Returns the event that ends the watch (set it when training ends first, or
    the watch would stop a later training in the same process) and a record of what fired."""
    done, fired = threading.Event(), {}

    def watch() -> None:
        while not done.wait(1.0):
            if time.process_time() >= cpu_budget or time.time() >= deadline:
                fired["by"] = "budget" if time.process_time() >= cpu_budget else "wall"
                os.kill(os.getpid(), signal.SIGTERM)  # the trainer stops after this step, saved
                return

    threading.Thread(target=watch, daemon=True).start()
    return done, fired


def last_step(run_dir: Path) -> int:
    """The step of the run's latest checkpoint (its folder is named step-00001234)."""
    return int(resolve_checkpoint(run_dir).name.split("-")[-1])


def train(family: str, steps: int, cpu_minutes: float, deadline: float, seed: int = 0) -> dict:
    run_dir = WORK / family
    shutil.rmtree(run_dir, ignore_errors=True)  # a fresh run, not a continuation
    setting = FAMILIES[family]
    cpu_start, wall_start = time.process_time(), time.time()
    done, fired = start_watchdog(cpu_start + 60 * cpu_minutes, deadline)
    stopped = "steps"
    try:
        artgan.train(
            {
                "model": setting["model"],
                "data": {"source": str(SR_TILES), "flip": True},
                "train": {
                    "steps": steps,
                    "seed": seed,
                    "device": "cpu",
                    **setting["train"],
                    **QUIET_TRAIN,
                    "log_every": 25,
                },
                "run_dir": str(run_dir),
            }
        )
    except TrainingInterrupted:
        stopped = fired.get("by", "signal")
    finally:
        done.set()
    record = {
        "family": family,
        "cpu_seconds": time.process_time() - cpu_start,
        "wall_seconds": time.time() - wall_start,
        "stopped_by": stopped,
        "step": last_step(run_dir),
        "step_limit": steps,
        "cpu_minutes_budget": cpu_minutes,
        "settings": setting,
    }
    (run_dir / "budget.json").write_text(json.dumps(record, indent=1))
    return record


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("family", choices=sorted(FAMILIES))
    p.add_argument("--steps", type=int, default=6000)
    p.add_argument("--cpu-minutes", type=float, default=30.0)
    p.add_argument("--wall-minutes", type=float, default=600.0, help="stop after this anyway")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if not SR_TILES.is_dir():
        write_training_tiles(SR_TILES)
    record = train(args.family, args.steps, args.cpu_minutes, time.time() + 60 * args.wall_minutes)
    print(json.dumps(record))


if __name__ == "__main__":
    main()
