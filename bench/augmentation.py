"""Benchmark: does adding generated images help a small CNN trained on few real ones?

For each dataset, real images per class (10, 20) and seed:

1. take ``n`` real training images per class (seeded pick from the train split);
2. train artgan's small CNN (synthetic_selection.train_classifier: four conv layers with
   batch norm, random shifts, Adam with a cosine schedule) on them alone, and score it on the
   whole test split: the real-only baseline;
3. train a class-conditional DCGAN (conditional batch norm in G, projection discriminator,
   DiffAugment) on those images only, at 32 x 32;
4. export generated images with ``artgan augment --filter``'s code path: ``oversample`` times
   the wanted number are drawn per class and the baseline CNN keeps the ones it is most sure
   show their asked class (synthetic.write_labelled_folder with a ConfidenceJudge; provenance
   on every file), resized to the dataset's own size;
5. choose the share of generated images per training batch (0, 0.25, 0.5) on two seeded
   validation splits of the real images (``--choose-ratio``: 30 % of each class held back,
   the CNN trained on the rest plus the generated images); the test split is not used;
6. train the same CNN, same seed and steps, on all the real images plus the generated ones at
   the chosen share, and score it on the test split.

The table gives both test accuracies, the difference, the chosen share, and the accuracy of the
CNN trained on the kept generated images alone (a Classification Accuracy Score, Ravuri &
Vinyals 2019). The answer may be "no": the GAN sees only the same few images.

    python bench/augmentation.py                 # digits and fashion-mnist, 10 and 20 per class
    python bench/augmentation.py --quick         # a smoke run

Each finished (dataset, n, seed) is saved under bench/out/augmentation-rows/ and reused on the
next run with the same settings, so a run can be split (``--datasets digits`` beside
``--datasets fashion-mnist``) and the report then written by a plain run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time

import numpy as np
import torch
import torch.nn.functional as F

import artgan
from artgan.config import DataConfig
from artgan.data import InMemoryDataset, load_dataset
from artgan.registry import DATASETS
from artgan.synthetic import write_labelled_folder
from artgan.synthetic_selection import (
    ClassifierRecipe,
    ConfidenceJudge,
    accuracy,
    choose_ratio,
    train_classifier,
)
from common import OUT_DIR, QUIET_TRAIN, CpuShare, write_json_report

DEFAULT_DATASETS = "digits,fashion-mnist"
NATIVE_SIZE = {"digits": 8, "fashion-mnist": 28}  # the CNN sees the dataset's own size
SHIFT = {"digits": 1, "fashion-mnist": 2}  # random shifts of the CNN's training, in pixels
GAN_SIZE = 32  # the smallest DCGAN
RATIOS = (0.0, 0.25, 0.5)
# The figures this bench replaced (logistic regression on pixels, MLP AC-GAN, 3 seeds).
OLD = {("digits", 20): "-2.7 ± 0.9 pt", ("fashion-mnist", 50): "-0.1 ± 0.3 pt"}


def pick(source: str, per_class: int, seed: int, size: int):
    """``per_class`` random training images of each class: uint8 (N, 1, H, W) and labels; the
    same images at every ``size`` for one seed."""
    data = load_dataset(DataConfig(source=source, color="grey"), size)
    g = torch.Generator().manual_seed(seed)
    keep = []
    for c in range(len(data.class_names)):
        members = torch.nonzero(data.y == c)[:, 0]
        keep.append(members[torch.randperm(len(members), generator=g)[:per_class]])
    keep = torch.cat(keep)
    return data.x[keep], data.y[keep].long(), data.class_names


def resize(x: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 (N, C, H, W) -> uint8 (N, C, size, size), antialiased as the loaders shrink."""
    if x.shape[-1] == size:
        return x
    out = F.interpolate(x.float(), size=(size, size), mode="bilinear", antialias=True)
    return out.round().clamp(0, 255).to(torch.uint8)


def train_gan(source: str, x, y, steps: int, seed: int, args):
    """A conditional DCGAN on the picked images only, served to the trainer as a dataset
    registered under a name of its own (classes "00", "01", ...: the original label)."""
    name = f"bench-picked-{source}-{seed}-{len(x)}"
    if name not in DATASETS:
        classes = [f"{c:02d}" for c in range(int(y.max()) + 1)]
        DATASETS.register(name)(lambda config, size: InMemoryDataset(x, y, classes))
    run_dir = OUT_DIR / f"augmentation-gan-{source}-{len(x)}-{steps}-{seed}"
    shutil.rmtree(run_dir, ignore_errors=True)
    return artgan.train(
        {
            "model": {
                "name": "dcgan",
                "conditional": True,
                "cond_d": "projection",
                "image_size": GAN_SIZE,
                "width": args.width,
                "z_dim": 64,
                "objective": {"diffaugment": args.diffaugment},
            },
            "data": {"source": name},
            "train": {
                "steps": steps,
                "batch_size": args.gan_batch,
                "seed": seed,
                "device": "cpu",
                **QUIET_TRAIN,
                "log_every": 100,
            },
            "run_dir": str(run_dir),
        }
    )


def generated(run_dir, judge: ConfidenceJudge, native: int, seed: int, args):
    """The kept generated images (at the dataset's size) and labels, through ``artgan augment
    --filter``'s code path: the judge sees each candidate at the size the CNN trains on."""
    model = artgan.load(run_dir)
    out = OUT_DIR / f"augmentation-synthetic-{run_dir.name}"
    shutil.rmtree(out, ignore_errors=True)

    def judge_at_native_size(images: torch.Tensor, k: int) -> torch.Tensor:
        return judge(resize(images, native), k)

    export = write_labelled_folder(
        model,
        out,
        args.synthetic,
        seed=seed,
        judge=judge_at_native_size,
        oversample=args.oversample,
    )
    labels = torch.tensor([int(model.class_names[k]) for k in export.labels])  # "03" -> 3
    return resize(export.images, native), labels


def run_one(source: str, per_class: int, seed: int, args) -> dict:
    native = NATIVE_SIZE[source]
    recipe = ClassifierRecipe(steps=args.classifier_steps, shift=SHIFT[source])
    x, y, names = pick(source, per_class, seed, native)
    x_gan, y_gan, _ = pick(source, per_class, seed, GAN_SIZE)
    assert torch.equal(y, y_gan)
    test = load_dataset(DataConfig(source=source, split="test", color="grey"), native)
    test_x, test_y = test.x, test.y.long()
    k = len(names)
    cpu = time.process_time()
    real_net = train_classifier(x, y, k, recipe, seed)
    real_only = accuracy(real_net, test_x, test_y)
    gan_cpu = time.process_time()
    run_dir = train_gan(source, x_gan, y_gan, args.steps, seed, args)
    gan_cpu = time.process_time() - gan_cpu
    gx, gy = generated(run_dir, ConfidenceJudge(real_net), native, seed, args)
    choice = choose_ratio((x, y), (gx, gy), k, RATIOS, recipe, seed=seed)
    mixed = real_only
    if choice.ratio > 0:  # ratio 0 is the baseline itself (same seed, same recipe)
        mixed_net = train_classifier(x, y, k, recipe, seed, (gx, gy), choice.ratio)
        mixed = accuracy(mixed_net, test_x, test_y)
    synthetic_net = train_classifier(gx, gy, k, recipe, seed)
    return {
        "source": source,
        "seed": seed,
        "per_class": per_class,
        "real": real_only,
        "mixed": mixed,
        "ratio": choice.ratio,
        "validation": choice.validation_accuracy,
        "synthetic": accuracy(synthetic_net, test_x, test_y),
        "gan_cpu": gan_cpu,
        "cpu": time.process_time() - cpu,
        "test_images": len(test_x),
    }


def row_file(source: str, per_class: int, seed: int, args):
    settings = (
        f"{args.steps}-{args.gan_batch}-{args.width}-{args.diffaugment}-{args.synthetic}-"
        f"{args.oversample}-"
        f"{args.classifier_steps}"
    ).replace(",", "+")
    return OUT_DIR / "augmentation-rows" / f"{source}-{per_class}-{seed}-{settings}.json"


def cached_run(source: str, per_class: int, seed: int, args) -> dict:
    """One setting's row: from its saved file when this configuration already ran it."""
    path = row_file(source, per_class, seed, args)
    if path.is_file() and not args.quick:
        row = json.loads(path.read_text())
        row["validation"] = {float(k): v for k, v in row["validation"].items()}
        return row
    row = run_one(source, per_class, seed, args)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(row, indent=2) + "\n")
    return row


def tables(rows: list[dict]) -> list[dict]:
    per_seed = [
        [
            r["source"],
            r["per_class"],
            r["seed"],
            f"{r['real']:.1%}",
            f"{r['mixed']:.1%}",
            f"{100 * (r['mixed'] - r['real']):+.1f} pt",
            f"{r['ratio']:g}",
            " / ".join(f"{a:.0%}" for a in r["validation"].values()),
            f"{r['synthetic']:.1%}",
            f"{r['gan_cpu']:.0f} / {r['cpu']:.0f}",
        ]
        for r in rows
    ]
    summary = []
    for source, per_class in dict.fromkeys((r["source"], r["per_class"]) for r in rows):
        sel = [r for r in rows if r["source"] == source and r["per_class"] == per_class]
        real = 100 * np.array([r["real"] for r in sel])
        mixed = 100 * np.array([r["mixed"] for r in sel])
        diff = mixed - real
        summary.append(
            [
                source,
                per_class,
                len(sel),
                f"{real.mean():.1f} ± {real.std():.1f} %",
                f"{mixed.mean():.1f} ± {mixed.std():.1f} %",
                f"{diff.mean():+.1f} ± {diff.std():.1f} pt (min {diff.min():+.1f}, "
                f"max {diff.max():+.1f})",
            ]
        )
    return [
        {
            "caption": "mean ± standard deviation over seeds",
            "columns": [
                "data",
                "real/class",
                "seeds",
                "real only",
                "real + generated",
                "difference",
            ],
            "rows": summary,
        },
        {
            "caption": "per seed",
            "columns": [
                "data",
                "real/class",
                "seed",
                "real only",
                "real + generated",
                "difference",
                "chosen share",
                "validation accuracy at " + " / ".join(f"{r:g}" for r in RATIOS),
                "generated only",
                "CPU s (GAN / all)",
            ],
            "rows": per_seed,
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default=DEFAULT_DATASETS)
    parser.add_argument("--per-class", default="10,20", help="real images per class, a list")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=500, help="GAN steps")
    parser.add_argument("--gan-batch", type=int, default=32, help="GAN batch size")
    parser.add_argument("--width", type=int, default=32, help="DCGAN width")
    parser.add_argument("--diffaugment", default="translation,cutout")
    parser.add_argument("--synthetic", type=int, default=100, help="generated kept per class")
    parser.add_argument("--oversample", type=int, default=3, help="candidates per kept image")
    parser.add_argument("--classifier-steps", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.steps, args.synthetic, args.classifier_steps = 1, 20, 10, 20
        args.datasets, args.per_class = "digits", "10"
    torch.set_num_threads(1)
    share = CpuShare().start()
    start = time.process_time()
    rows = []
    for source in args.datasets.split(","):
        for per_class in (int(n) for n in args.per_class.split(",")):
            for seed in range(args.seeds):
                rows.append(cached_run(source, per_class, seed, args))
                r = rows[-1]
                print(
                    f"{source} {per_class}/class seed {seed}: real {r['real']:.1%}, "
                    f"mixed {r['mixed']:.1%} (share {r['ratio']:g}), generated only "
                    f"{r['synthetic']:.1%}, {r['cpu']:.0f} CPU s",
                    flush=True,
                )
    others = share.stop()
    notes = [
        f"classifier: artgan's small CNN at the dataset's own size ({NATIVE_SIZE}), "
        f"{args.classifier_steps} steps of batch 64, Adam 2e-3 with a cosine schedule, random "
        f"shifts ({SHIFT} px); the same seed and steps with and without generated images; "
        "test accuracy on the whole test split",
        f"GAN: conditional DCGAN (conditional batch norm, projection discriminator), 32 x 32, "
        f"width {args.width}, z 64, DiffAugment {args.diffaugment}, Adam 2e-4 (0.5, 0.999), "
        f"batch {args.gan_batch}, {args.steps} steps, trained on the picked real images only",
        f"generated: {args.synthetic} kept per class out of {args.oversample * args.synthetic} "
        "candidates, the most confident for their class by the real-only CNN",
        f"share of generated images per batch chosen among {', '.join(map(str, RATIOS))} on two "
        "seeded validation splits of the real images (30 % of each class held back); the test "
        "split is never used for a choice. The GAN and the filter saw the held-back images, so "
        "the validation scores of the mixed runs lean optimistic",
        "old figures (logistic regression on pixels, MLP AC-GAN, 200 generated per class, no "
        f"filter, all added): {', '.join(f'{s} {n}/class {v}' for (s, n), v in OLD.items())}",
        f"CPU: {sum(r['cpu'] for r in rows) / 60:.1f} CPU minutes for all rows (each row's own "
        f"in the table; rows may come from earlier runs of the same settings); this run "
        f"{(time.process_time() - start) / 60:.1f} CPU minutes, others' share of the CPU "
        f"meanwhile: {'n/a' if others is None else f'{others:.0%}'}",
    ]
    name = "augmentation" if args.datasets == DEFAULT_DATASETS else "augmentation-partial"
    name = "augmentation-quick" if args.quick else name
    command = "python bench/augmentation.py" + (" --quick" if args.quick else "")
    path = write_json_report(
        name,
        "Augmenting a small labelled set with a conditional GAN's images",
        tables(rows),
        notes,
        command,
    )
    print(path.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
