"""Benchmark: sample quality of the default image configurations after a fixed training budget.

Trains DCGAN (Radford et al. 2016, non-saturating GAN loss), ResNet + hinge + spectral norm
(Miyato et al. 2018) and WGAN-GP (Gulrajani et al. 2017, on the DCGAN networks), each with and
without DiffAugment (Zhao et al. 2020, color,translation,cutout), on ``digits`` and
``fashion-mnist`` at 32 x 32 grey, for the same number of generator steps, then scores
``--n`` samples with ``artgan.evaluate`` under two extractors:

- ``classifier:<dataset>``: the small CNN artgan trains on the dataset's labels;
- ``efficientnet-lite0``: ImageNet features (1280-d).

Every table has the real-vs-real floor (held-out test images against the same training
reference, same n and extractor): what a model that draws new images from the data would score.
FIDs at small n are biased upwards; compare with the floor, not with published FIDs.

Budget (default): 200 generator steps of batch 64 at width 32, n = 500. Measured in CPU time
(single thread, on a shared machine): ResNet and WGAN-GP cost about 0.6 CPU-s per generator step,
DCGAN about 0.1; EfficientNet-Lite0 about 0.04 CPU-s per image; so the 12 runs take about
1,000 CPU-s to train and the scoring about 500 more (8,000 EfficientNet images, two classifiers
trained once): an estimated 15-20 minutes on an idle 2-core machine. ``--quick``: 30 steps,
n = 200, digits only (about 320 CPU-s, 3-4 minutes idle).

    python bench/quality.py [--quick] [--steps N] [--n N] [--datasets digits,fashion-mnist]
"""

from __future__ import annotations

import argparse
import json
import time

import artgan
from common import OUT_DIR, QUIET_TRAIN, CpuShare, write_json_report

DIFFAUGMENT = "color,translation,cutout"
CONFIGS = {
    "dcgan": {"name": "dcgan"},
    "resnet-hinge-sn": {"name": "resnet"},  # hinge loss and spectral norm are resnet's defaults
    "wgan-gp": {"name": "dcgan", "objective": {"loss": "wgan-gp"}},
}
# WGAN-GP trains with its recipe (losses/recipes.py: Adam(1e-4, 0, 0.9) and 5 critic steps, as
# in Gulrajani et al.), which choosing the loss brings; the others with artgan's defaults.
EXTRACTORS = ("classifier", "efficientnet-lite0")
METRICS = "fid,kid,pr,dc"


def model_config(config: str, augment: bool, width: int) -> dict:
    base = json.loads(json.dumps(CONFIGS[config]))
    base.update(image_size=32, channels=1, width=width)
    if augment:
        base.setdefault("objective", {})["diffaugment"] = DIFFAUGMENT
    return base


def train(dataset: str, config: str, augment: bool, args) -> tuple[str, float, float | None]:
    name = f"{dataset}-{config}{'-diffaug' if augment else ''}"
    run_dir = OUT_DIR / "quality" / name
    share = CpuShare().start()
    start = time.perf_counter()
    artgan.train(
        {
            "model": model_config(config, augment, args.width),
            "data": {"source": dataset, "color": "grey"},
            "train": {
                "steps": args.steps,
                "batch_size": 64,
                "seed": 0,
                "device": args.device,
                **QUIET_TRAIN,
                "log_every": 50,
            },
            "run_dir": str(run_dir),
        }
    )
    return str(run_dir), time.perf_counter() - start, share.stop()


def scores(metrics: dict) -> list[str]:
    return [
        f"{metrics['fid']:.2f}",
        f"{metrics['kid']['mean'] * 1000:.2f}",
        f"{metrics['precision']:.3f}",
        f"{metrics['recall']:.3f}",
        f"{metrics['density']:.3f}",
        f"{metrics['coverage']:.3f}",
    ]


def merge_into_previous(tables: list[dict], notes: list[str], settings: str, args):
    """The previous report's tables with the rows just measured put in place of theirs (rows
    are keyed by data and configuration); refuses a previous report with other settings."""
    previous_path = OUT_DIR / "quality.json"
    if not previous_path.is_file():
        raise SystemExit("--update needs an earlier bench/out/quality.json; run without it first")
    previous = json.loads(previous_path.read_text())
    if not previous["notes"] or previous["notes"][0] != settings:
        raise SystemExit("--update: the earlier report used other settings; run without --update")
    fresh_keys = set()
    for old, new in zip(previous["tables"], tables):
        fresh = {tuple(row[:2]): row for row in new["rows"]}
        fresh_keys |= {key for key in fresh if "floor" not in key[1]}
        merged = [fresh.pop(tuple(row[:2]), row) for row in old["rows"]]
        old["rows"] = merged + list(fresh.values())  # rows the old report did not have
    earlier = f"commit {previous['commit']}, {previous['date']}"
    updated = ", ".join(f"{data} {config}" for data, config in sorted(fresh_keys))
    notes = [
        *previous["notes"],
        f"rows re-measured by --update (this report's commit and date): {updated}; the other "
        f"rows are from {earlier}.",
    ]
    command = (
        previous["command"] + f"; then python bench/quality.py --update --configs {args.configs}"
    )
    return previous["tables"], notes, command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 steps, n 200, digits only")
    parser.add_argument("--steps", type=int, default=200, help="generator steps per run")
    parser.add_argument("--n", type=int, default=500, help="samples scored per run")
    parser.add_argument("--width", type=int, default=32, help="model width")
    parser.add_argument("--datasets", default="digits,fashion-mnist")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--update",
        action="store_true",
        help="replace only the rows of the configurations run in the existing report (same "
        "steps, n and width), keeping the others; the notes say which rows are from when",
    )
    args = parser.parse_args()
    if args.quick:
        args.steps, args.n, args.datasets = 30, 200, "digits"

    columns = ["data", "configuration", "FID", "KID x 1e3", "P", "R", "D", "C"]
    tables = {e: [] for e in EXTRACTORS}
    timing = []
    total = time.perf_counter()
    for dataset in args.datasets.split(","):
        floors: dict[str, list[str]] = {}
        for config in args.configs.split(","):
            for augment in (False, True):
                label = config + (" + DiffAugment" if augment else "")
                run_dir, seconds, others = train(dataset, config, augment, args)
                share = f"{others:.0%}" if others is not None else "?"
                timing.append([dataset, label, args.steps, f"{seconds:.0f}", share])
                for extractor in EXTRACTORS:
                    features = f"classifier:{dataset}" if extractor == "classifier" else extractor
                    entry = artgan.evaluate(
                        run_dir, metrics=METRICS, n=args.n, features=features, device=args.device
                    )
                    tables[extractor].append([dataset, label, *scores(entry["metrics"])])
                    floors[extractor] = scores(entry["floor"])
                    print(f"{dataset} {label} {features}: FID {entry['metrics']['fid']:.2f}")
        for extractor in EXTRACTORS:
            tables[extractor].append([dataset, "**real vs real (floor)**", *floors[extractor]])
    minutes = (time.perf_counter() - total) / 60
    settings = (
        f"{args.steps} generator steps of batch 64, width {args.width}, 32x32 grey, seed 0; "
        f"n = {args.n} generated vs {args.n} training images (reference); the floor is "
        f"{args.n} held-out test images vs the same reference."
    )
    new_tables = [
        {
            "caption": "classifier:<dataset> features (128-d)",
            "columns": columns,
            "rows": tables["classifier"],
        },
        {
            "caption": "efficientnet-lite0 features (1280-d)",
            "columns": columns,
            "rows": tables["efficientnet-lite0"],
        },
        {
            "caption": "training wall time",
            "columns": ["data", "configuration", "G steps", "seconds", "CPU taken by others"],
            "rows": timing,
        },
    ]
    notes = [
        settings,
        "P/R: improved precision/recall (k=3); D/C: density/coverage (k=5); KID: "
        "polynomial-kernel MMD^2 (x 1000) over subsets of min(1000, n).",
        f"DiffAugment policy: {DIFFAUGMENT}. WGAN-GP: its recipe (5 critic steps per generator "
        "step, Adam(1e-4, 0, 0.9)); the others Adam(2e-4, 0.5, 0.999).",
        f"whole benchmark: {minutes:.1f} minutes, including the one-time classifier "
        "training and feature caching.",
    ]
    command = "python bench/quality.py" + (" --quick" if args.quick else "")
    if args.update:
        new_tables, notes, command = merge_into_previous(new_tables, notes, settings, args)
    report = write_json_report(
        "quality",
        "Sample quality after a fixed budget (FID/KID/precision/recall/density/coverage)",
        new_tables,
        notes=notes,
        command=command,
    )
    print(report.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
