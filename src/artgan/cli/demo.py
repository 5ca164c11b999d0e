"""``artgan demo``: train a small DCGAN on the built-in procedural art set, then write a sample
grid, an interpolation GIF and the loss curve, and say where they are."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import torch

from ..provenance import write_gif, write_image
from ..provenance.record import record_for_model
from ..run_folder import Run
from ..sample import enlarge_for_display, grid_pixels, interpolation_frames
from ..training.checkpoint import load_model
from ..training.precision import cpu_has_native_bf16
from ..training.trainer import train

DEMO_CONFIG = {
    "model": {
        "name": "dcgan",
        "image_size": 32,
        "width": 48,
        "z_dim": 64,
        "objective": {"loss": "bce"},
    },
    "data": {"source": "art", "size": 4096, "flip": True},
    "train": {
        "steps": 1500,
        "batch_size": 64,
        "lr_g": 2e-4,
        "lr_d": 2e-4,
        "ema_decay": 0.995,
        "sample_every": 250,
        "checkpoint_every": 500,
        "device": "auto",
    },
}


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("demo", help="train on built-in art and write pictures (~3 min CPU)")
    p.add_argument("--out", default="artgan-demo", help="output folder (default ./artgan-demo)")
    p.add_argument("--steps", type=int, default=DEMO_CONFIG["train"]["steps"])
    p.add_argument("--device", default="auto")
    p.set_defaults(func=run)


def run(args) -> int:
    out = Path(args.out)
    run_dir = out / "run"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    print(f"artgan demo: training a DCGAN on procedural abstract art for {args.steps} steps")
    start = time.perf_counter()
    # bf16 about doubles CPU training speed where the CPU does bf16 natively, with the same
    # sample quality (bench/train_throughput.py); elsewhere auto (bf16 on CUDA, else fp32).
    precision = "bf16" if args.device in ("auto", "cpu") and cpu_has_native_bf16() else "auto"
    if args.device == "auto" and torch.cuda.is_available():
        precision = "auto"
    train(
        DEMO_CONFIG,
        steps=args.steps,
        device=args.device,
        **{"train.precision": precision},
        run_dir=str(run_dir),
    )
    minutes = (time.perf_counter() - start) / 60
    model = load_model(run_dir)
    record = record_for_model(model, seed=7, command="demo")
    grid = write_image(
        enlarge_for_display(grid_pixels(model.sample(64, seed=7), columns=8)),  # >= 512 px
        out / "samples.png",
        record.with_params(kind="grid", n=64),
    )
    frames = interpolation_frames(model, steps=48, keyframes=4, n=4, seed=7, truncation=0.0)
    gif = write_gif(
        frames, out / "interpolation.gif", record.with_params(kind="interpolation"), duration_ms=80
    )
    run_curve = Run(run_dir).loss_curve
    curve = out / run_curve.name
    shutil.copyfile(run_curve, curve)
    print(f"trained in {minutes:.1f} min")
    print(f"  samples:        {grid}")
    print(f"  interpolation:  {gif}")
    print(f"  loss curve:     {curve}")
    print(f"  run folder:     {run_dir}   (artgan info {run_dir})")
    return 0
