"""Benchmark: does adding generated images help a small classifier trained on few real ones?

For each dataset and seed:

1. take ``n`` real training images per class (seeded pick from the train split);
2. train a class-conditional GAN on those images only (the MLP GAN with class-embedding
   concatenation in G and an AC-GAN discriminator, artgan's trainer);
3. export ``m`` generated images per class with ``artgan augment``'s code path
   (artgan.synthetic.write_labelled_folder, provenance on every file) and read the folder back
   as a labelled dataset;
4. train the same small classifier (multinomial logistic regression on pixels, scikit-learn,
   fixed regularisation) on the real images alone, and on real + generated;
5. report test accuracy on the dataset's test split for both, and the difference.

The answer may be "no": a GAN trained on the same few images adds no information about the
classes, only variations of what it saw, and its mistakes (wrong-class or blurred samples) can
hurt. The table says what happened, with the mean and spread over seeds.

    python bench/augmentation.py                    # digits 20/class and fashion-mnist 50/class
    python bench/augmentation.py --quick            # a smoke run
"""

from __future__ import annotations

import argparse
import shutil
import time

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

import artgan
from artgan.config import DataConfig
from artgan.data import InMemoryDataset, load_dataset
from artgan.registry import DATASETS
from artgan.synthetic import write_labelled_folder
from common import OUT_DIR, QUIET_TRAIN, CpuShare, machine_lines, write_report

# dataset -> (real images per class, GAN steps, image side as loaded)
DEFAULT_DATASETS = "digits,fashion-mnist"
SETTINGS = {"digits": (20, 1000, 8), "fashion-mnist": (50, 1500, 28)}


def pick(source: str, per_class: int, seed: int, size: int):
    """``per_class`` random training images of each class: uint8 (N, 1, H, W) and labels."""
    data = load_dataset(DataConfig(source=source, color="grey"), size)
    g = torch.Generator().manual_seed(seed)
    keep = []
    for c in range(len(data.class_names)):
        members = torch.nonzero(data.y == c)[:, 0]
        keep.append(members[torch.randperm(len(members), generator=g)[:per_class]])
    keep = torch.cat(keep)
    return data.x[keep], data.y[keep], data.class_names


def train_gan(source: str, x, y, names, steps: int, seed: int, args):
    """A conditional MLP GAN on the picked images only, served to the trainer as a dataset
    registered under a name of its own (classes "00", "01", ...: the original label)."""
    name = f"bench-picked-{source}-{seed}-{len(x)}"
    if name not in DATASETS:
        classes = [f"{c:02d}" for c in range(len(names))]
        DATASETS.register(name)(lambda config, size: InMemoryDataset(x, y, classes))
    run_dir = OUT_DIR / f"augmentation-gan-{source}-{len(x)}-{steps}-{seed}"
    shutil.rmtree(run_dir, ignore_errors=True)
    return artgan.train(
        {
            "model": {
                "name": "mlp",
                "conditional": True,
                "cond_d": "acgan",
                "width": args.width,
                "depth": 3,
                "z_dim": 32,
                "d_dropout": 0.3,
            },
            "data": {"source": name},
            "train": {
                "steps": steps,
                "batch_size": 64,
                "lr_g": 5e-4,
                "lr_d": 5e-4,
                "ema_decay": 0.99,
                "seed": seed,
                "device": "cpu",
                **QUIET_TRAIN,
                "log_every": 100,
            },
            "run_dir": str(run_dir),
        }
    )


def synthetic(run_dir, per_class: int, seed: int, size: int, names: list[str]):
    """Generated images exported as a labelled folder and read back; labels in ``names``'
    order (the GAN's classes are the picked folders 00, 01, ...)."""
    model = artgan.load(run_dir)
    out = OUT_DIR / f"augmentation-synthetic-{run_dir.name}"
    shutil.rmtree(out, ignore_errors=True)
    write_labelled_folder(model, out, per_class, seed=seed)
    data = load_dataset(DataConfig(source=str(out), color="grey"), size)
    labels = torch.tensor([int(data.class_names[int(k)]) for k in data.y])  # folder "03" -> 3
    return data.x, labels


def accuracy(train_x, train_y, test_x, test_y) -> float:
    clf = LogisticRegression(C=0.1, max_iter=3000)
    clf.fit(flat(train_x), train_y.numpy())
    return float((clf.predict(flat(test_x)) == test_y.numpy()).mean())


def flat(x: torch.Tensor) -> np.ndarray:
    return x.reshape(len(x), -1).float().numpy() / 127.5 - 1.0


def run_one(source: str, seed: int, args) -> dict:
    per_class, steps, size = SETTINGS[source]
    per_class = args.per_class or per_class
    steps = args.steps or steps
    x, y, names = pick(source, per_class, seed, size)
    test = load_dataset(DataConfig(source=source, split="test", color="grey"), size)
    test_x, test_y = test.x[: args.test_images], test.y[: args.test_images]
    start = time.perf_counter()
    run_dir = train_gan(source, x, y, names, steps, seed, args)
    gan_seconds = time.perf_counter() - start
    gx, gy = synthetic(run_dir, args.synthetic, seed, size, names)
    real_only = accuracy(x, y, test_x, test_y)
    mixed = accuracy(torch.cat([x, gx]), torch.cat([y, gy]), test_x, test_y)
    synthetic_only = accuracy(gx, gy, test_x, test_y)
    return {
        "source": source,
        "seed": seed,
        "per_class": per_class,
        "steps": steps,
        "real": real_only,
        "mixed": mixed,
        "synthetic": synthetic_only,
        "gan_seconds": gan_seconds,
        "test_images": len(test_x),
    }


def report(rows: list[dict], args, share) -> str:
    lines = [
        "# Augmenting a small labelled set with a conditional GAN's images",
        "",
        *machine_lines(),
        "- GAN: conditional MLP (class embedding concatenated to z; AC-GAN discriminator, "
        f"dropout 0.3), width {args.width}, depth 3, z 32, Adam 5e-4, batch 64, EMA 0.99, "
        "trained on the picked real images only",
        f"- classifier: multinomial logistic regression on pixels (C = 0.1); "
        f"{args.synthetic} generated images per class added; test accuracy on the first "
        f"{args.test_images} test images",
        f"- others' share of the CPU during the run: "
        f"{'n/a' if share is None else f'{100 * share:.0f} %'}",
        "",
        "| data | real/class | GAN steps | seed | real only | real + generated | difference | "
        "generated only |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['source']} | {r['per_class']} | {r['steps']} | {r['seed']} | {r['real']:.1%} "
            f"| {r['mixed']:.1%} | {100 * (r['mixed'] - r['real']):+.1f} pt | "
            f"{r['synthetic']:.1%} |"
        )
    lines += [
        "",
        "| data | real only (mean ± sd) | real + generated | difference |",
        "|---|---|---|---|",
    ]
    for source in dict.fromkeys(r["source"] for r in rows):
        sel = [r for r in rows if r["source"] == source]
        real = np.array([r["real"] for r in sel])
        mixed = np.array([r["mixed"] for r in sel])
        diff = 100 * (mixed - real)
        lines.append(
            f"| {source} | {real.mean():.1%} ± {real.std():.1%} | {mixed.mean():.1%} ± "
            f"{mixed.std():.1%} | {diff.mean():+.1f} ± {diff.std():.1f} pt |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default=DEFAULT_DATASETS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--per-class", type=int, default=0, help="real images per class")
    parser.add_argument("--steps", type=int, default=0, help="GAN steps (0 = per dataset)")
    parser.add_argument("--synthetic", type=int, default=200, help="generated per class")
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--test-images", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.steps, args.synthetic, args.datasets = 1, 50, 20, "digits"
    share = CpuShare().start()
    rows = []
    for source in args.datasets.split(","):
        for seed in range(args.seeds):
            rows.append(run_one(source, seed, args))
            r = rows[-1]
            print(f"{source} seed {seed}: real {r['real']:.1%}, mixed {r['mixed']:.1%}", flush=True)
    text = report(rows, args, share.stop())
    print(text)
    name = "augmentation" if args.datasets == DEFAULT_DATASETS else f"augmentation-{args.datasets}"
    print(f"written to {write_report(name.replace(',', '-'), text)}")


if __name__ == "__main__":
    main()
