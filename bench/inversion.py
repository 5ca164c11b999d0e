"""Benchmark: how well ``artgan invert`` recovers images through a trained generator.

Uses the style-conditioned DCGAN that ``bench/conditional.py`` trains on the built-in ``art``
styles (``--run``, default bench/out/conditional-projection) and inverts, with the code path of
``artgan invert`` (latent/inversion.py, its default settings unless given):

- held-out real images: ``--per-class`` test images of every style, the class left free (it is
  optimised as a soft mixture), at each perceptual weight of ``--weights`` (1 is the default of
  ``artgan invert``, 0 is pixels only). A real image is generally *not* on the generator's
  manifold, so its error says how close the model can get, which bounds any edit made from it;
- generated images with a known latent and class: here an exact solution exists, so the error
  says whether the optimisation finds it (and the latent distance says whether it finds *that*
  latent or another one with the same image).

Reported per set: pixel PSNR (dB, [-1, 1] range of 2, the figure ``artgan invert`` prints),
SSIM (Wang et al., metrics/restoration.py, on 8-bit RGB), the PSNR of the best random start
before optimising, a feature distance that the inversion does not optimise (the L2 distance of
the 128-d features of ``classifier:art``, artgan's style classifier, between reconstruction and
image; so the perceptual term is not judged by its own yardstick), the share of real images
whose recovered class mixture puts most weight on their true style, and seconds per image.

    python bench/conditional.py && python bench/inversion.py
    python bench/inversion.py --per-class 1 --steps 50        # a smoke run
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import torch

import artgan
from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.latent.inversion import invert
from artgan.metrics.extractors import get_extractor
from artgan.metrics.restoration import ssim_map
from artgan.sample import to_uint8
from common import OUT_DIR, CpuShare, write_json_report


def psnr(mse: float) -> float:
    return 10 * math.log10(4.0 / max(mse, 1e-12))


def held_out_images(model, per_class: int) -> tuple[torch.Tensor, torch.Tensor]:
    size = model.sample(1, seed=0).shape[-1]
    data = load_dataset(DataConfig(source="art", split="test"), size)
    x, y = data.images_as_float(data.x), data.y
    if list(data.class_names) != model.class_names:
        sys.exit(f"the run's classes {model.class_names} are not the art styles")
    keep = torch.cat([torch.nonzero(y == c)[:per_class, 0] for c in range(len(model.class_names))])
    return x[keep], y[keep]


def run_set(
    model, images, labels, args, perceptual: float, fixed_labels: bool, judge
) -> list[dict]:
    """Invert every image; per-image figures (``judge``: the independent feature extractor)."""
    rows = []
    for i, target in enumerate(images):
        start = time.perf_counter()
        result = invert(
            model,
            target,
            steps=args.steps,
            perceptual_weight=perceptual,
            restarts=args.restarts,
            seed=i,
            labels=model.labels(labels[i : i + 1], 1) if fixed_labels else None,
        )
        seconds = time.perf_counter() - start
        pair = torch.cat([result.reconstruction, target.reshape(result.reconstruction.shape)])
        pixels = to_uint8(pair)
        ssim = float(ssim_map(pixels[0], pixels[1]).mean())
        features = judge(pair)
        row = {
            "psnr": result.psnr,
            "start_psnr": psnr(result.initial_pixel_mse),
            "ssim": ssim,
            "feature_distance": float((features[0] - features[1]).norm()),
            "seconds": seconds,
            "z": result.z,
        }
        if result.labels is not None and not fixed_labels:
            row["class_ok"] = int(result.labels[0].argmax()) == int(labels[i])
        rows.append(row)
    return rows


def mean_std(values: list[float], digits: int) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=str(OUT_DIR / "conditional-projection"))
    parser.add_argument("--per-class", type=int, default=4, help="real test images per style")
    parser.add_argument("--generated", type=int, default=10, help="generated images")
    parser.add_argument("--steps", type=int, default=300, help="as artgan invert's default")
    parser.add_argument("--restarts", type=int, default=16, help="as artgan invert's default")
    parser.add_argument("--weights", default="1,0.1,0", help="perceptual weights for real images")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if not (Path(args.run) / "config.json").is_file():
        sys.exit(f"no trained run at {args.run}; run python bench/conditional.py first")
    torch.set_num_threads(args.threads)
    model = artgan.load(args.run, device="cpu")
    if not model.conditional:
        sys.exit(f"{args.run} is not a conditional model")

    real_x, real_y = held_out_images(model, args.per_class)
    k = model.config.num_classes
    fake_y = torch.arange(args.generated) % k
    fake_z = model.latents(args.generated, seed=12345)
    fake_x = model.generate(fake_z, model.labels(fake_y, args.generated)).detach()

    judge = get_extractor("classifier:art", device="cpu")
    share = CpuShare().start()
    sets = [
        (
            f"real, perceptual weight {w:g}" + (" (default)" if w == 1 else ""),
            real_x,
            real_y,
            w,
            False,
        )
        for w in (float(v) for v in args.weights.split(","))
    ]
    sets.append(("generated (known z, class given)", fake_x, fake_y, 1.0, True))
    table = []
    for name, images, labels, perceptual, fixed in sets:
        rows = run_set(model, images, labels, args, perceptual, fixed, judge)
        class_hits = [r["class_ok"] for r in rows if "class_ok" in r]
        latent_error = ""
        if fixed:  # how far the found latent is from the true one, relative to its norm
            found = torch.cat([r["z"] for r in rows])
            relative = ((found - fake_z).norm(dim=1) / fake_z.norm(dim=1)).tolist()
            latent_error = mean_std(relative, 2)
        table.append(
            [
                name,
                len(rows),
                mean_std([r["psnr"] for r in rows], 2),
                f"{min(r['psnr'] for r in rows):.2f}",
                mean_std([r["ssim"] for r in rows], 3),
                mean_std([r["start_psnr"] for r in rows], 2),
                mean_std([r["feature_distance"] for r in rows], 2),
                f"{sum(class_hits)}/{len(class_hits)}" if class_hits else "given",
                latent_error,
                f"{statistics.mean(r['seconds'] for r in rows):.1f}",
            ]
        )
        print(" | ".join(map(str, table[-1])), flush=True)
    others = share.stop()

    notes = [
        f"model: {args.run} ({model.name}, conditional, {', '.join(model.class_names)}); "
        f"real images: {args.per_class} held-out test images per style.",
        f"inversion: {args.steps} Adam steps (lr 0.05), best of {args.restarts} random starts, "
        "prior weight 1e-3; perceptual term: EfficientNet-Lite0 feature maps at 128 px, "
        "weight as the row says; the class of real images is optimised as a soft mixture.",
        "PSNR over the [-1, 1] pixel range (as artgan invert prints); SSIM on 8-bit RGB; "
        "'start' is the best random start before optimising; latent error = "
        "|z_found - z_true| / |z_true|.",
        f"{args.threads} torch thread(s); seconds are wall-clock per image.",
    ]
    if others is not None:
        notes.append(f"other processes used {100 * others:.0f} % of the machine's CPU meanwhile")
    path = write_json_report(
        "inversion",
        "Inversion reconstruction error (artgan invert)",
        [
            {
                "caption": "mean ± std over images",
                "columns": [
                    "images",
                    "n",
                    "PSNR (dB)",
                    "worst PSNR",
                    "SSIM",
                    "start PSNR",
                    "classifier feature dist.",
                    "class recovered",
                    "latent error",
                    "s / image",
                ],
                "rows": table,
            }
        ],
        notes,
        command="python bench/inversion.py",
    )
    print(path.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
