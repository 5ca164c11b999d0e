"""Benchmark: domain adaptation from Fashion-MNIST (labelled) to Fashion-MNIST-M (unlabelled),
accuracy on Fashion-MNIST-M's test split (10,000 images, never trained on).

Four classifier runs of the same network (Ganin et al.'s MNIST CNN, 28 px RGB), the same steps
and batch:

- source-only: Fashion-MNIST alone (the baseline; grey read as RGB);
- DANN: Fashion-MNIST labelled + Fashion-MNIST-M train unlabelled, gradient reversal with the
  paper's lambda schedule (artgan adapt --method dann);
- pixel-level: Fashion-MNIST translated into Fashion-MNIST-M's style by a CycleGAN trained
  here from Fashion-MNIST to Fashion-MNIST-M train (unpaired, no labels), with the source
  labels (artgan adapt --method pixel);
- target-supervised: Fashion-MNIST-M train with its labels (the ceiling no adaptation can pass).

Each run's CPU seconds (this process and its threads, time.process_time) are reported beside
it: budgets are in steps and CPU seconds, not wall time (the machine is shared). Published
context, MNIST -> MNIST-M (another, easier source): source-only 52-57 %, DANN 76.7 % (Ganin et
al. 2016), PixelDA 98.2 % (Bousmalis et al. 2017).

Runs go to bench/out/adapt/<method>; ``--reuse`` keeps finished ones (so parts can be trained
in separate processes with ``--methods``), and a sheet of source / translated / target images
to bench/out/adapt/sheet.png.

    python bench/adapt.py                    # the whole table (about 40 CPU minutes)
    python bench/adapt.py --quick            # a smoke run (minutes)
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads stall a busy box

import argparse  # noqa: E402
import json
import shutil
import sys
import time

import torch
from PIL import Image

import artgan
from artgan.adapt import adapt
from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.sample import grid_pixels
from artgan.training.checkpoint import load_model
from common import OUT_DIR, QUIET_TRAIN, CpuShare, write_json_report

WORK = OUT_DIR / "adapt"
SOURCE, TARGET = "fashion-mnist", "fashion-mnist-m"
METHODS = ("source-only", "dann", "cyclegan", "pixel", "target-supervised")
PUBLISHED = {"source-only": "52-57 %", "dann": "76.7 %", "pixel": "98.2 % (PixelDA)"}


def train_settings(args, steps: int) -> dict:
    quiet = {f"train.{k}": v for k, v in QUIET_TRAIN.items()}
    return {
        **quiet,
        "steps": steps,
        "seed": args.seed,
        "train.threads": args.threads,
        "train.log_every": 50,
    }


def finished(run) -> bool:
    return (run / "config.json").is_file() and (run / "checkpoints" / "LATEST").is_file()


def timed(run, train) -> float:
    """Train (unless --reuse finds the run finished) and return its CPU seconds."""
    cost = run / "cpu_seconds.json"
    if finished(run) and cost.is_file():
        return json.loads(cost.read_text())["cpu_s"]
    shutil.rmtree(run, ignore_errors=True)
    start = time.process_time()
    train()
    seconds = time.process_time() - start
    cost.write_text(json.dumps({"cpu_s": seconds}) + "\n")
    return seconds


def train_method(method: str, args) -> float:
    run = WORK / method
    settings = train_settings(args, args.steps)
    limit = {"data.limit": args.limit} if args.limit else {}
    if method == "target-supervised":
        config = {"model": {"name": "classifier", "image_size": 28}, "data": {"source": TARGET}}
        return timed(run, lambda: artgan.train(config, run_dir=str(run), **settings, **limit))
    if method == "cyclegan":
        config = {
            "model": {
                "name": "cyclegan",
                "image_size": 28,
                "width": args.gan_width,
                "blocks": args.gan_blocks,
                "d_width": args.gan_width,
            },
            "data": {
                "source": SOURCE,
                "source_b": TARGET,
                "color": "rgb",
                "crop": "center",  # translated at 28 px as the classifier sees them
                "limit": 20000,
            },
        }
        gan = train_settings(args, args.gan_steps) | {"batch_size": args.gan_batch}
        return timed(run, lambda: artgan.train(config, run_dir=str(run), **gan))
    translator = str(WORK / "cyclegan") if method == "pixel" else None
    return timed(
        run,
        lambda: adapt(SOURCE, TARGET, method, translator, run_dir=str(run), **settings, **limit),
    )


def accuracy(method: str, data: str) -> float:
    entry = artgan.evaluate(WORK / method, data=data, save=False)
    return entry["metrics"]["accuracy"]


def write_sheet(n: int = 16) -> None:
    """Rows: Fashion-MNIST test images, their CycleGAN translations, and the Fashion-MNIST-M
    test images of the same index (the same garments on photos: what a perfect translation
    of each would resemble in style)."""
    source = load_dataset(DataConfig(source=SOURCE, split="test", color="rgb", limit=n))
    target = load_dataset(DataConfig(source=TARGET, split="test", limit=n))
    x = source.x.float() / 127.5 - 1
    translated = load_model(WORK / "cyclegan").translate(x, "a2b").clamp(-1, 1)
    rows = torch.cat([x, translated, target.x.float() / 127.5 - 1])
    sheet = Image.fromarray(grid_pixels(rows, columns=n))
    sheet.resize((sheet.width * 3, sheet.height * 3), Image.NEAREST).save(WORK / "sheet.png")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=3000, help="classifier steps (batch 64)")
    p.add_argument("--gan-steps", type=int, default=3000, help="CycleGAN steps")
    p.add_argument("--gan-batch", type=int, default=8)
    p.add_argument("--gan-width", type=int, default=16)
    p.add_argument("--gan-blocks", type=int, default=3)
    p.add_argument("--limit", type=int, default=0, help="training images per domain (0: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads a training")
    p.add_argument("--methods", default=",".join(METHODS), help="train only these")
    p.add_argument("--reuse", action="store_true", help="keep runs already finished")
    p.add_argument("--quick", action="store_true", help="a smoke run: few steps, few images")
    args = p.parse_args()
    if args.quick:
        args.steps, args.gan_steps, args.limit = 60, 30, 2000
    methods = [m for m in METHODS if m in args.methods.split(",")]
    if "pixel" in methods and "cyclegan" not in methods and not finished(WORK / "cyclegan"):
        methods.insert(methods.index("pixel"), "cyclegan")
    if not args.reuse:
        shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    share = CpuShare().start()
    cpu = {method: train_method(method, args) for method in methods}
    if not all(finished(WORK / m) for m in METHODS):
        print(f"trained {', '.join(methods)}; the table needs all of {', '.join(METHODS)}")
        return
    cpu = {m: timed(WORK / m, lambda: None) for m in METHODS}  # recorded by each part
    write_sheet()
    rows, target_scores = [], {}
    for method in ("source-only", "dann", "pixel", "target-supervised"):
        on_target = accuracy(method, TARGET)
        target_scores[method] = on_target
        extra = f" + CycleGAN {cpu['cyclegan']:.0f}" if method == "pixel" else ""
        rows.append(
            [
                method,
                f"{100 * on_target:.1f} %",
                f"{100 * accuracy(method, SOURCE):.1f} %",
                f"{cpu[method]:.0f}{extra}",
                PUBLISHED.get(method, ""),
            ]
        )
    baseline = target_scores["source-only"]
    gains = {m: 100 * (target_scores[m] - baseline) for m in ("dann", "pixel")}
    notes = [
        f"classifier runs: {args.steps} steps of batch 64 (DANN: 64 source + 64 target), Adam "
        f"1e-3; CycleGAN: {args.gan_steps} steps of batch {args.gan_batch}, width "
        f"{args.gan_width}, {args.gan_blocks} residual blocks, 28 px, 20,000 images a domain",
        f"gain over source-only on the target: DANN {gains['dann']:+.1f} points, pixel-level "
        f"{gains['pixel']:+.1f} points (target: >= +10)",
        "accuracy on the target: Fashion-MNIST-M test split (10,000); on the source: "
        "Fashion-MNIST test split (10,000), read as RGB",
        f"CPU seconds of each training (process time, {args.threads} torch thread(s)); other "
        f"processes used {100 * (share.stop() or 0):.0f} % of the machine meanwhile",
        "published context is MNIST -> MNIST-M (digits on BSDS500 photos), not these data",
        f"sheet of source / translated / target images: {WORK / 'sheet.png'}",
    ]
    cyclegan_note = json.loads((WORK / "cyclegan" / "cpu_seconds.json").read_text()).get("note")
    if cyclegan_note:  # a run stopped early says so
        notes.append(f"CycleGAN: {cyclegan_note}")
    table = {
        "caption": "Fashion-MNIST -> Fashion-MNIST-M, accuracy",
        "columns": ["method", "target accuracy", "source accuracy", "CPU s", "MNIST->MNIST-M"],
        "rows": rows,
    }
    command = "python bench/adapt.py " + " ".join(sys.argv[1:])
    path = write_json_report("adapt", "Domain adaptation", [table], notes, command.strip())
    print(path.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
