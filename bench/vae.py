"""Benchmark: test log-likelihood of the VAE (Kingma & Welling 2014) on Fashion-MNIST and the
scikit-learn digits, trained by artgan's trainer for a fixed number of steps on the CPU.

For each dataset: ``artgan.train(model="vae", ...)`` with the Bernoulli likelihood at 32x32
(both datasets are resized to 32 by the loaders: Fashion-MNIST from 28, digits from 8), then on
the test split

- the ELBO on every test image (10 posterior samples each, exact KL), and
- the IWAE bound (Burda et al. 2016) with k = 5000 importance samples on the first
  ``--eval-images`` test images, with the ELBO of the same images beside it (the gap is paired),
  and the bound at smaller k on the same images to show it settle.

Nats are log-probabilities of the test images *binarized* with a fixed seed (the Bernoulli
likelihood's data), per 32x32 image; they are not comparable with published 28x28 binarized
MNIST figures. Training and evaluation times are wall-clock on a possibly shared machine; the
table says what share of the CPU other processes took.

    python bench/vae.py                       # the full benchmark (tens of minutes on 2 cores)
    python bench/vae.py --quick               # a smoke run: few steps, k = 100, 20 images
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import artgan
from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.metrics.likelihood import bits_per_dim, elbo_per_image, iwae_per_image, summarize
from common import OUT_DIR, QUIET_TRAIN, CpuShare, machine_lines, write_report

DATASETS = {"fashion-mnist": 2000, "digits": 800}  # training steps (batch 64) for each


def train(source: str, steps: int, args) -> tuple[Path, float, float | None]:
    run_dir = OUT_DIR / f"vae-{source}"
    share = CpuShare().start()
    start = time.perf_counter()
    artgan.train(
        {
            "model": {"name": "vae", "width": args.width, "z_dim": args.z_dim},
            "data": {"source": source, "color": "grey"},
            "train": {
                "steps": steps,
                # Adam 1e-3, beta1 0.9: the VAE family's defaults (models/vae.py)
                **({"lr_g": args.lr} if args.lr else {}),
                "seed": 0,
                "device": "cpu",
                **QUIET_TRAIN,
                "log_every": 50,
            },
            "run_dir": str(run_dir),
        }
    )
    return run_dir, time.perf_counter() - start, share.stop()


def evaluate(run_dir: Path, source: str, args) -> dict:
    model = artgan.load(run_dir)
    test = load_dataset(
        DataConfig(source=source, split="test", color="grey"), model.config.image_size
    )
    x = test.images_as_float(test.x)  # (N, 1, 32, 32) in [-1, 1]
    dims = x[0].numel()
    share = CpuShare().start()
    start = time.perf_counter()
    full_elbo = summarize(elbo_per_image(model, x, samples=10, seed=0))
    subset = x[: args.eval_images]
    sub_elbo = elbo_per_image(model, subset, samples=10, seed=0)
    curve = {}
    for k in sorted({*args.curve, args.k}):
        curve[k] = iwae_per_image(model, subset, k=k, batch=args.batch, seed=0)
    iwae = summarize(curve[args.k])
    gap = summarize(curve[args.k] - sub_elbo)
    return {
        "data": source,
        "test_images": len(x),
        "eval_images": len(subset),
        "dims": dims,
        "elbo_full": full_elbo,
        "elbo_subset": summarize(sub_elbo),
        "iwae": iwae,
        "gap": gap,
        "curve": {k: summarize(v) for k, v in curve.items()},
        "bits_per_dim": bits_per_dim(iwae.mean, dims),
        "eval_s": time.perf_counter() - start,
        "eval_share": share.stop(),
        "last_log": json.loads((run_dir / "log.jsonl").read_text().splitlines()[-1]),
    }


def fmt(estimate) -> str:
    return f"{estimate.mean:.1f} ± {estimate.stderr:.1f}"


def share_text(share: float | None) -> str:
    return "n/a" if share is None else f"{100 * share:.0f} %"


def report(rows: list[dict], args) -> str:
    lines = [
        "# VAE test log-likelihood (Bernoulli likelihood, binarized test images, 32x32)",
        "",
        *machine_lines(),
        f"- model: vae, width {args.width}, z_dim {args.z_dim}, beta 1; Adam lr {args.lr or 1e-3}, "
        "betas (0.9, 0.999), batch 64, EMA 0.999 (encoder and decoder), seed 0",
        f"- IWAE: k = {args.k} importance samples on the first {args.eval_images} test images; "
        "ELBO: 10 posterior samples per image, exact KL; nats per image, mean ± standard error",
        "",
        "| data | steps | train time | others' CPU | test ELBO (all test images) | "
        f"ELBO (first {args.eval_images}) | IWAE k={args.k} (first {args.eval_images}) | "
        "IWAE - ELBO (paired) | bits/dim | eval time |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['data']} ({r['test_images']} test) | {r['steps']} | {r['train_s'] / 60:.1f} min "
            f"| {share_text(r['train_share'])} | {fmt(r['elbo_full'])} | {fmt(r['elbo_subset'])} "
            f"| {fmt(r['iwae'])} | {fmt(r['gap'])} | {r['bits_per_dim']:.3f} "
            f"| {r['eval_s'] / 60:.1f} min ({share_text(r['eval_share'])} others) |"
        )
    lines += [
        "",
        "The IWAE bound as k grows (same images, same seed):",
        "",
        "| data | " + " | ".join(f"k={k}" for k in rows[0]["curve"]) + " |",
        "| --- |" + " --- |" * len(rows[0]["curve"]),
    ]
    for r in rows:
        lines.append(f"| {r['data']} | " + " | ".join(fmt(v) for v in r["curve"].values()) + " |")
    lines += ["", "Training log at the last step (batch averages, soft targets):", ""]
    for r in rows:
        log = r["last_log"]
        lines.append(
            f"- {r['data']}: recon {log['recon']:.1f}, kl {log['kl']:.1f}, "
            f"elbo {log['elbo']:.1f} nats; {log['img_per_s']:.0f} img/s"
        )
    lines += ["", "Samples, loss curves and checkpoints: bench/out/vae-<data>/.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--k", type=int, default=5000)
    parser.add_argument("--eval-images", type=int, default=200)
    parser.add_argument("--batch", type=int, default=2500, help="decoder passes per chunk")
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--z-dim", type=int, default=32)
    parser.add_argument("--lr", type=float, help="Adam rate (default: the family's, 1e-3)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    steps = dict(DATASETS)
    args.curve = [1, 10, 100, 1000]
    if args.quick:
        steps = {name: 20 for name in steps}
        args.k, args.eval_images, args.curve = 100, 20, [1, 10]
    rows = []
    for source, n in steps.items():
        run_dir, train_s, train_share = train(source, n, args)
        row = evaluate(run_dir, source, args)
        row.update(steps=n, train_s=train_s, train_share=train_share)
        rows.append(row)
        print(f"{source}: IWAE {fmt(row['iwae'])}, ELBO {fmt(row['elbo_full'])}", flush=True)
    text = report(rows, args)
    path = write_report("vae", text)
    print(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
