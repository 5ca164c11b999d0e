"""Benchmark: the inpainting GAN (context encoder / pix2pix style, artgan's ``inpaint``) against
classical fills, inside the hole, on held-out images.

Data: the scikit-image photos and textures of bench/super_resolution.py, same train/test split.
Training: the 128 px training tiles, loaded at 64 px, with a new random box or free-form stroke
hole per image and step. Test: the held-out images shrunk by 2 and cut into 64 px tiles, each
with a fixed hole (seeded: half boxes, half strokes), filled by

- the trained model (the ``artgan inpaint`` path, ``model.inpaint``),
- OpenCV's Telea fast marching (``cv2.inpaint``, radius 5), when cv2 is importable,
- the harmonic (diffusion) fill of artgan.metrics.restoration (Laplace's equation in the hole).

Metrics inside the hole only (artgan.metrics.restoration): PSNR over the hole's pixels (RGB,
8-bit range) and the mean of Wang et al.'s SSIM map (Gaussian sigma 1.5, per channel) over
them. Means over the test tiles, by mask kind.

    python bench/inpainting.py            # ~7 minutes on 2 idle CPU cores
    python bench/inpainting.py --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import shutil
import time

import numpy as np
import torch
from PIL import Image

import artgan
from artgan.data.masks import box_mask, stroke_mask
from artgan.metrics.restoration import harmonic_fill, hole_psnr, hole_ssim
from artgan.training.checkpoint import load_model
from common import OUT_DIR, QUIET_TRAIN, CpuShare, machine_lines, write_report
from super_resolution import TEST, rgb, write_training_tiles

SIZE = 64
WORK = OUT_DIR / "inpainting"
SR_TILES = OUT_DIR / "super_resolution" / "train"

try:
    import cv2
except ImportError:  # the baseline falls back to the harmonic fill alone
    cv2 = None


def train(args) -> tuple[object, float]:
    shutil.rmtree(WORK / "inpaint", ignore_errors=True)  # a fresh run, not a continuation
    start = time.perf_counter()
    run_dir = artgan.train(
        {
            "model": {
                "name": "inpaint",
                "image_size": SIZE,
                "width": args.width,
                "depth": 3,
                "mid_blocks": 2,
            },
            "data": {"source": str(SR_TILES), "flip": True},
            "train": {
                "steps": args.steps,
                "batch_size": args.batch_size,
                "lr_g": 2e-4,
                "lr_d": 2e-4,
                "seed": 0,
                "device": "cpu",
                **QUIET_TRAIN,
                "log_every": 25,
            },
            "run_dir": str(WORK / "inpaint"),
        }
    )
    return load_model(run_dir), time.perf_counter() - start


def test_tiles(limit: int) -> list[np.ndarray]:
    tiles = []
    for name in TEST:
        image = Image.fromarray(rgb(name))
        image = np.asarray(image.reduce(2))
        for top in range(0, image.shape[0] - SIZE + 1, SIZE):
            for left in range(0, image.shape[1] - SIZE + 1, SIZE):
                tiles.append(image[top : top + SIZE, left : left + SIZE])
    rng = np.random.default_rng(0)
    keep = np.sort(rng.permutation(len(tiles))[:limit])
    return [tiles[i] for i in keep]


def fill_model(model, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 127.5 - 1
    m = torch.from_numpy(mask.astype(np.float32))[None, None]
    y = model.inpaint(x, m)[0]
    return ((y + 1) * 127.5).round().clamp(0, 255).byte().permute(1, 2, 0).numpy()


def fill_telea(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return cv2.inpaint(image, mask.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--test-tiles", type=int, default=60)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    if args.quick:
        args.steps, args.test_tiles = 10, 8
    torch.set_num_threads(2)
    share = CpuShare().start()
    if not SR_TILES.is_dir():
        write_training_tiles(SR_TILES)
    model, seconds = train(args)
    methods = {"inpaint GAN": lambda im, m: fill_model(model, im, m), "harmonic": harmonic_fill}
    if cv2 is not None:
        methods["Telea (OpenCV)"] = fill_telea
    scores: dict[tuple[str, str], list[tuple[float, float]]] = {}
    rng = np.random.default_rng(1)
    holes = []
    for i, tile in enumerate(test_tiles(args.test_tiles)):
        kind = "box" if i % 2 == 0 else "stroke"
        mask = (box_mask if kind == "box" else stroke_mask)(SIZE, SIZE, rng)
        holes.append(mask.mean())
        for name, fill in methods.items():
            out = fill(tile, mask)
            score = (hole_psnr(out, tile, mask), hole_ssim(out, tile, mask))
            scores.setdefault((name, kind), []).append(score)
            scores.setdefault((name, "all"), []).append(score)
    other = share.stop()
    lines = [
        "# Inpainting: the inpaint GAN against classical fills (inside the hole)",
        "",
        *machine_lines(),
        f"- model: inpaint, width {args.width}, 64 px, {args.steps} steps of batch "
        f"{args.batch_size} ({seconds:.0f} s), trained on the skimage.data training tiles",
        f"- test: {len(holes)} held-out 64 px tiles of {', '.join(TEST)} (halved); holes cover "
        f"{np.mean(holes):.0%} of a tile on average",
        "- PSNR (dB) over hole pixels (RGB); SSIM: Wang et al.'s map (Gaussian sigma 1.5) "
        "averaged over hole pixels",
        f"- other processes used {other:.0%} of the CPU meanwhile" if other is not None else "",
        "",
        "| method | holes | PSNR (dB) | SSIM |",
        "|---|---|---|---|",
    ]
    for (name, kind), values in sorted(
        scores.items(), key=lambda kv: list(methods).index(kv[0][0])
    ):
        psnr, ssim = np.mean(values, axis=0)
        lines.append(f"| {name} | {kind} ({len(values)}) | {psnr:.2f} | {ssim:.4f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    print(f"written to {write_report('inpainting', text)}")


if __name__ == "__main__":
    main()
