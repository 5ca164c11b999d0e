"""Benchmark: the originality guard (``artgan sample --originality-guard``) on a deliberately
overfitted tiny model and on a normal one.

Both are small VAEs (Kingma & Welling 2014) trained by artgan's trainer on the scikit-learn
digits at 32 px, with the same settings and steps:

- *overfitted*: trained on only ``--overfit-images`` (8) digits with a 1-D latent, so every
  prior sample decodes near one of them: it replays its training set;
- *normal*: trained on all 1,437 training digits with a 16-D latent.

For each, ``--n`` samples are drawn through the guard (artgan.originality): a sample
whose RMS pixel distance to its nearest training image is at or below the near-copy threshold
(the 1 % quantile of held-out test digits' distance to the same training images) is rejected
and redrawn, up to 10 rounds. The table gives the first-draw rejection rate (the model's
near-copy rate), the total redraws, the slots still near-copies after every round, and the
median nearest-training distance before and after the guard. Times are wall-clock on a
possibly shared machine.

    python bench/originality.py            # about 4 minutes on 2 cores
    python bench/originality.py --quick    # a smoke run: few steps, 50 samples
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

import artgan
from artgan.originality import guard_for_model, guarded_sample
from artgan.sample import quantize
from artgan.training.checkpoint import load_model
from common import CpuShare, write_json_report

MODELS = {
    "overfitted": ({"z_dim": 1}, "overfit"),
    "normal": ({"z_dim": 16}, "all"),
}


def train(name: str, model: dict, limit: int, steps: int, root: Path) -> Path:
    run = root / name
    artgan.train(
        {
            "model": {"name": "vae", "image_size": 32, "channels": 1, "width": 8, **model},
            "data": {"source": "digits", "color": "grey", "limit": limit},
            "train": {
                "steps": steps,
                "batch_size": 16,
                "progress": False,
                "sample_every": 0,
                "checkpoint_every": 0,
                "tensorboard": False,
            },
            "run_dir": str(run),
        }
    )
    return run


def measure(run: Path, n: int, seed: int) -> dict:
    model = load_model(run)
    start = time.perf_counter()
    guard = guard_for_model(model)
    first, _ = guard.distances(quantize(model.sample(n, seed=seed)))
    slots, rejected = guarded_sample(lambda s: quantize(model.sample(n, seed=s)), n, seed, guard)
    kept = [s for s in slots if s is not None]
    after = torch.tensor([s.distance for s in kept]) if kept else torch.tensor([float("nan")])
    return {
        "training images": len(guard.train),
        "threshold (RMS levels)": f"{guard.threshold:.1f}",
        "first-draw rejection rate": f"{float((first <= guard.threshold).double().mean()):.1%}",
        "redraws": rejected,
        "slots left near-copies": n - len(kept),
        "median distance before": f"{float(first.median()):.1f}",
        "median distance after": f"{float(after.median()):.1f}",
        "guard time (s)": f"{time.perf_counter() - start:.1f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--n", type=int, default=200, help="samples drawn through the guard")
    parser.add_argument("--overfit-images", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=list(MODELS), help="run one of the two models")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.n = 100, 50
    share = CpuShare().start()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (model, data) in MODELS.items():
            if args.only and name != args.only:
                continue
            limit = args.overfit_images if data == "overfit" else 0
            t0 = time.perf_counter()
            run = train(name, model, limit, args.steps, Path(tmp))
            result = measure(run, args.n, args.seed)
            result["train time (s)"] = f"{time.perf_counter() - t0:.0f}"
            rows.append([name, *result.values()])
            print(name, result, flush=True)
    others = share.stop()
    columns = ["model", *result.keys()]
    notes = [
        f"{args.steps} steps of batch 16 each; {args.n} samples through the guard, seed "
        f"{args.seed}; threshold: 1 % quantile of the digits test split's distances",
        "overfitted: VAE with a 1-D latent on "
        f"{args.overfit_images} digits; normal: VAE with a 16-D latent on all training digits",
    ]
    if others is not None:
        notes.append(f"other processes used {others:.0%} of the CPU meanwhile (times inflated)")
    path = write_json_report(
        f"originality-{args.only}" if args.only else "originality",
        "Originality guard: near-copy rejection on an overfitted and a normal model",
        [{"caption": "", "columns": columns, "rows": rows}],
        notes,
        command="python bench/originality.py"
        + (" --quick" if args.quick else "")
        + (f" --only {args.only}" if args.only else ""),
    )
    print(path.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
