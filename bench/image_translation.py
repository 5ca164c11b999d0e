"""Benchmark: CycleGAN between two built-in art styles, and neural style transfer.

CycleGAN: trained on ``art:mondrian`` (A) <-> ``art:rothko`` (B) train-split paintings at 32 px
(a small generator: width 16, 3 residual blocks), measured on 64 held-out paintings of each
style (the test split) before training and after:

- cycle error: mean |G_BA(G_AB(a)) - a| and |G_AB(G_BA(b)) - b| in 8-bit levels;
- colour distance to the target domain: Frechet distance between 6-d per-image colour
  statistics (mean and standard deviation of R, G, B, in 8-bit levels) of the translated images
  and of the real target-domain images; the untranslated source images give the baseline.
  (A crude, extractor-free stand-in for FID on these flat-colour styles.)

Style transfer: the scikit-image astronaut painted in a procedural kandinsky, L-BFGS, 128 px
working size: loss at the start and end, the final content and style terms, wall time.

Demo grids (A, A->B, B, B->A rows; the style-transfer result) go to bench/out/image_translation/.

    python bench/image_translation.py            # a few minutes on 2 idle CPU cores
    python bench/image_translation.py --quick    # a smoke run
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads stall a busy box

import argparse  # noqa: E402
import shutil
import time

import numpy as np
import torch
from PIL import Image
from scipy import linalg

import artgan
from artgan.config import DataConfig
from artgan.data.two_domain import load_domain
from artgan.sample import grid_pixels
from artgan.style_transfer import style_transfer
from artgan.training.checkpoint import load_model
from common import OUT_DIR, QUIET_TRAIN, CpuShare, machine_lines, markdown_table, write_report

WORK = OUT_DIR / "image_translation"
SIZE = 32


def colour_stats(images: torch.Tensor) -> np.ndarray:
    """(N, 3, H, W) in [-1, 1] -> (N, 6) per-image mean and std of R, G, B in 8-bit levels."""
    x = (images.float() + 1) * 127.5
    return torch.cat([x.mean(dim=(2, 3)), x.std(dim=(2, 3))], dim=1).numpy()


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(cov_a @ cov_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


def held_out(style: str, n: int) -> torch.Tensor:
    config = DataConfig(source=f"art:{style}", split="test", size=n * 5)
    x, _ = load_domain(config.source, config, SIZE)
    return x.float().div(127.5).sub(1)  # (n, 3, SIZE, SIZE)


def measure(model, a: torch.Tensor, b: torch.Tensor) -> dict:
    fake_b, fake_a = model.translate(a, "a2b"), model.translate(b, "b2a")
    back_a, back_b = model.translate(fake_b, "b2a"), model.translate(fake_a, "a2b")
    return {
        "cycle_a": float((back_a - a).abs().mean() * 127.5),
        "cycle_b": float((back_b - b).abs().mean() * 127.5),
        "a2b": frechet(colour_stats(fake_b), colour_stats(b)),
        "b2a": frechet(colour_stats(fake_a), colour_stats(a)),
        "fakes": (fake_b, fake_a),
    }


def cyclegan(args) -> tuple[list[list], float]:
    run_dir = WORK / "cyclegan"
    shutil.rmtree(run_dir, ignore_errors=True)
    config = {
        "model": {"name": "cyclegan", "image_size": SIZE, "width": 16, "blocks": 3},
        "data": {"source": "art:mondrian", "source_b": "art:rothko", "size": 2000},
        "train": {
            "steps": args.steps,
            "batch_size": 4,
            **QUIET_TRAIN,
            "log_every": 50,
            "ema_decay": 0.0,
        },
        "run_dir": str(run_dir),
    }
    a, b = held_out("mondrian", args.n), held_out("rothko", args.n)
    torch.manual_seed(0)
    untrained = artgan.train(
        {**config, "train": {**config["train"], "steps": 1}, "run_dir": str(WORK / "step1")}
    )
    before = measure(load_model(untrained), a, b)
    start = time.perf_counter()
    trained = artgan.train(config)
    seconds = time.perf_counter() - start
    after = measure(load_model(trained), a, b)
    baseline = {
        "a2b": frechet(colour_stats(a), colour_stats(b)),
        "b2a": frechet(colour_stats(b), colour_stats(a)),
    }
    rows = [
        ["untranslated source", "-", "-", f"{baseline['a2b']:.0f}", f"{baseline['b2a']:.0f}"],
    ]
    for name, m in (("after 1 step", before), (f"after {args.steps} steps", after)):
        rows.append(
            [
                name,
                f"{m['cycle_a']:.1f}",
                f"{m['cycle_b']:.1f}",
                f"{m['a2b']:.0f}",
                f"{m['b2a']:.0f}",
            ]
        )
    fake_b, fake_a = after["fakes"]
    k = 8
    grid = torch.stack([a[:k], fake_b[:k], b[:k], fake_a[:k]], dim=1).flatten(0, 1)
    Image.fromarray(grid_pixels(grid, columns=4)).save(WORK / "cyclegan_mondrian_rothko.png")
    return rows, seconds


def neural_style(args) -> list:
    from skimage import data

    from artgan.data.art import STYLES, render

    content = data.astronaut()
    style, _ = render(STYLES.index("kandinsky"), 256, 0)
    start = time.perf_counter()
    result = style_transfer(content, style, size=args.st_size, steps=args.st_steps)
    seconds = time.perf_counter() - start
    Image.fromarray(result.image).save(WORK / "style_transfer_astronaut_kandinsky.png")
    return [
        f"{result.working_size[0]}x{result.working_size[1]}",
        args.st_steps,
        f"{result.losses[0]:.3g}",
        f"{result.losses[-1]:.3g}",
        f"{result.content_loss:.3f}",
        f"{result.style_loss:.3f}",
        f"{seconds:.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few steps: a smoke run")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--n", type=int, default=64, help="held-out paintings per style")
    parser.add_argument("--st-steps", type=int, default=100)
    parser.add_argument("--st-size", type=int, default=128)
    args = parser.parse_args()
    if args.quick:
        args.steps, args.n, args.st_steps, args.st_size = 20, 16, 10, 64
    WORK.mkdir(parents=True, exist_ok=True)
    share = CpuShare().start()
    rows, seconds = cyclegan(args)
    style_row = neural_style(args)
    others = share.stop()
    lines = [
        "# Image-to-image: CycleGAN mondrian <-> rothko, and neural style transfer",
        "",
        *machine_lines(),
        f"- other processes used {others:.0%} of the CPU during the run"
        if others is not None
        else "",
        "",
        f"## CycleGAN, 32 px, {args.n} held-out paintings per style ({seconds:.0f} s training)",
        "",
        *markdown_table(
            [
                "model",
                "cycle error A (8-bit)",
                "cycle error B",
                "colour FD A->B vs real B",
                "colour FD B->A vs real A",
            ],
            rows,
        ),  # fmt: skip
        "",
        "## Neural style transfer (astronaut in kandinsky, L-BFGS)",
        "",
        *markdown_table(
            [
                "working size",
                "evaluations",
                "loss start",
                "loss end",
                "content term",
                "style term",
                "seconds",
            ],
            [style_row],
        ),  # fmt: skip
        "",
        f"Demo images: {WORK}/",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    print(f"written to {write_report('image_translation', text)}")


if __name__ == "__main__":
    main()
