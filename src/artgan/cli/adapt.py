"""``artgan adapt``: train a classifier for an unlabelled target domain from a labelled source
(artgan.adapt: source-only, dann, pixel); ``artgan eval RUN --data LABELLED`` scores it."""

from __future__ import annotations

import argparse

from ..adapt import METHODS, adapt
from .options import parse_dotted


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "adapt",
        help="domain adaptation: a classifier for unlabelled target images",
        description="Train a classifier on labelled source images that works on an unlabelled "
        "target domain. Methods: source-only (the baseline), dann (domain-adversarial "
        "features, Ganin et al. 2016), pixel (source images translated into the target style "
        "by a CycleGAN run). Any config field can be set with a dotted option.",
        epilog="examples:\n"
        "  artgan data export fashion-mnist-m --split train --out ./target_images\n"
        "  artgan adapt --source fashion-mnist --target ./target_images --method dann "
        "--run-dir runs/a\n"
        "  artgan train --model cyclegan --data-a fashion-mnist --data-b ./target_images "
        "--data.color rgb --image-size 28 --run-dir runs/c\n"
        "  artgan adapt --source fashion-mnist --target ./target_images --method pixel "
        "--translator runs/c --run-dir runs/p\n"
        "  artgan eval runs/a --data ./target_test",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--source", required=True, help="labelled images: a built-in dataset or class folders"
    )
    p.add_argument("--target", help="unlabelled target images: a folder or a built-in dataset")
    p.add_argument("--method", default="dann", help=f"{', '.join(METHODS)} (default dann)")
    p.add_argument("--translator", metavar="RUN", help="--method pixel: a CycleGAN run")
    p.add_argument("--steps", type=str, help="training steps (default 2000)")
    p.add_argument("--batch-size", type=str)
    p.add_argument("--seed", type=str)
    p.add_argument("--device", help="auto (default), cpu, cuda, cuda:N, mps")
    p.add_argument("--run-dir", help="run folder (default runs/NNNNN-<model>-<data>)")
    p.set_defaults(func=run, accepts_dotted=True)


def run(args) -> int:
    overrides = {
        "steps": args.steps,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "device": args.device,
        "run_dir": args.run_dir,
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    overrides.update(parse_dotted(args.extra))
    run_dir = adapt(args.source, args.target, args.method, args.translator, **overrides)
    if run_dir is not None:
        print(f"run folder: {run_dir}")
        print(f"  next:     artgan eval {run_dir} --data LABELLED_TARGET_FOLDER   (its accuracy)")
    return 0
