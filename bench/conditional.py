"""Benchmark: discriminator conditioning for style-conditioned generation (ArtGAN) on the
built-in ``art`` styles (mondrian, rothko, kandinsky, pollock, riley).

The same conditional DCGAN generator (conditional batch norm) is trained with each
discriminator conditioning of ``model.cond_d``:

- projection: Miyato & Koyama 2018 (one real/fake logit plus <embed(y), phi(x)>),
- multihead:  one real/fake head per style on a shared trunk (the seeds' ArtGAN idea),
- acgan:      an unconditional real/fake head plus an auxiliary classifier (Odena et al. 2017),

and scored on the test split of ``art`` with

- intra-FID (metrics/per_class.py): FID within each style, mean over styles, on the 128-d
  features of ``classifier:art`` (artgan's small CNN trained on the art training split; a
  domain feature space like the LeNet of MNIST FIDs, not comparable with Inception FIDs);
- class accuracy: the share of generated images that the same classifier assigns to the style
  they were asked for (its accuracy on real test images is the ceiling shown beside).

    python bench/conditional.py                 # default: 1500 steps per variant (CPU)
    python bench/conditional.py --quick         # a smoke run
    python bench/conditional.py --variants projection,multihead,acgan --steps 3000
    python bench/conditional.py --variants projection+sn,multihead+sn   # spectral norm in D
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

import artgan
from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.metrics.extractors import get_extractor
from artgan.metrics.per_class import class_accuracy, intra_fid
from common import OUT_DIR, QUIET_TRAIN, CpuShare, machine_lines, write_report

IMAGE_SIZE = 32
DEFAULT_VARIANTS = "projection,multihead"


def train(variant: str, args) -> tuple[Path, float, float | None]:
    """``variant``: a ``model.cond_d`` value, with ``+sn`` for spectral norm in D (which then
    has no batch norm)."""
    cond_d, _, extra = variant.partition("+")
    if extra not in ("", "sn"):
        raise SystemExit(f"unknown variant suffix +{extra} (only +sn)")
    run_dir = OUT_DIR / f"conditional-{variant.replace('+', '-')}"
    share = CpuShare().start()
    start = time.perf_counter()
    artgan.train(
        {
            "model": {
                "name": "dcgan",
                "image_size": IMAGE_SIZE,
                "width": args.width,
                "z_dim": 64,
                "conditional": True,
                "cond_d": cond_d,
                # Hinge; batch norm in D (the DCGAN default) or spectral norm with "+sn".
                "spectral_norm": extra == "sn",
                "objective": {"loss": "hinge"},
            },
            "data": {"source": "art", "size": args.train_size},
            "train": {
                "steps": args.steps,
                "batch_size": 64,
                "lr_g": 2e-4,
                "lr_d": 2e-4,
                "beta1": 0.5,
                "beta2": 0.999,
                "seed": args.seed,
                "device": args.device,
                **QUIET_TRAIN,
                "log_every": 100,
            },
            "run_dir": str(run_dir),
        },
    )
    return run_dir, time.perf_counter() - start, share.stop()


def evaluate(run_dir: Path, classifier, real, args) -> dict:
    model = artgan.load(run_dir, device=args.device)
    k = model.config.num_classes
    wanted = torch.arange(k).repeat_interleave(args.per_class)  # (K * per_class,)
    fake = model.sample(len(wanted), seed=1, classes=wanted)
    fid = intra_fid(classifier(real["x"]), real["y"], classifier(fake), wanted, model.class_names)
    accuracy = class_accuracy(classifier.logits(fake), wanted, model.class_names)
    return {"fid": fid, "accuracy": accuracy, "names": model.class_names}


def real_test_set(args) -> dict:
    data = load_dataset(DataConfig(source="art", split="test", size=args.test_size), IMAGE_SIZE)
    x, y = data.images_as_float(data.x), data.y
    keep = torch.cat(
        [torch.nonzero(y == c)[: args.per_class, 0] for c in range(len(data.class_names))]
    )
    return {"x": x[keep], "y": y[keep], "names": data.class_names}


def report(rows: list[dict], real_accuracy, args) -> str:
    names = rows[0]["eval"]["names"]
    lines = [
        "# Style-conditioned DCGAN on `art`: discriminator conditioning"
        + ("" if args.variants == DEFAULT_VARIANTS else f" ({args.variants.replace(',', ', ')})"),
        "",
        *machine_lines(),
        f"- model: conditional dcgan {IMAGE_SIZE} px, width {args.width}, z 64, conditional "
        "batch norm in G, batch norm in D (spectral norm instead for +sn rows), hinge loss, "
        "Adam 2e-4 (0.5, 0.999), batch 64, EMA 0.999, "
        f"{args.steps} steps, {args.train_size} training images, seed {args.seed}",
        f"- scores: {args.per_class} generated and {args.per_class} real test images per style; "
        f"features and predictions of `{args.classifier}` (128-d; its accuracy on the real "
        f"test images is {real_accuracy.accuracy:.1%})",
        "- timings are wall-clock on a shared machine; the column says how much of the CPU "
        "other processes took",
        "",
        "| D conditioning | intra-FID (mean) | class accuracy | "
        + " | ".join(f"FID {n}" for n in names)
        + " | train time | others' CPU |",
        "|---|---|---|" + "---|" * len(names) + "---|---|",
    ]
    for row in rows:
        e = row["eval"]
        per = " | ".join(f"{e['fid'].per_class[n]:.2f}" for n in names)
        share = "n/a" if row["share"] is None else f"{100 * row['share']:.0f} %"
        lines.append(
            f"| {row['variant']} | {e['fid'].mean:.2f} | {e['accuracy'].accuracy:.1%} | {per} | "
            f"{row['seconds']:.0f} s | {share} |"
        )
    lines += [
        "",
        "Class accuracy per style: "
        + "; ".join(
            f"{row['variant']}: "
            + ", ".join(f"{n} {row['eval']['accuracy'].per_class.get(n, 0):.0%}" for n in names)
            for row in rows
        ),
        "",
        "Real test images per style (ceiling): "
        + ", ".join(f"{n} {real_accuracy.per_class.get(n, 0):.0%}" for n in names),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default=DEFAULT_VARIANTS)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--train-size", type=int, default=4000)
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--classifier", default="classifier:art")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 30 steps, 20 per style")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.per_class, args.train_size, args.test_size = 30, 20, 500, 200
    classifier = get_extractor(args.classifier, device=args.device)
    real = real_test_set(args)
    real_accuracy = class_accuracy(classifier.logits(real["x"]), real["y"], real["names"])
    rows = []
    for variant in args.variants.split(","):
        run_dir, seconds, share = train(variant, args)
        rows.append(
            {
                "variant": variant,
                "seconds": seconds,
                "share": share,
                "eval": evaluate(run_dir, classifier, real, args),
            }
        )
        print(f"{variant}: trained in {seconds:.0f} s", flush=True)
    text = report(rows, real_accuracy, args)
    print(text)
    name = "conditional" if args.variants == DEFAULT_VARIANTS else f"conditional-{args.variants}"
    print(f"written to {write_report(name.replace(',', '-').replace('+', '-'), text)}")


if __name__ == "__main__":
    main()
