"""Benchmark: SRResNet and SRGAN (Ledig et al. 2017) at 2x and 4x against bicubic upscaling, on
scikit-image's bundled photos and textures (``skimage.data``, no download).

Training images (cut into 128 px tiles in bench/out/super_resolution/train/) and test images
are disjoint:

- train: astronaut, coffee, rocket, immunohistochemistry, hubble_deep_field, retina (photos),
  brick, grass (textures), camera, moon, clock, page (grey, replicated to RGB)
- test:  chelsea, stereo_motorcycle (photos), gravel (texture), coins, text (grey)

Each model is trained by artgan's trainer (``artgan.train``) on random HR crops with bicubic
degradation made on the fly. SRGAN starts from the trained SRResNet of the same scale
(``model.init_from``, the paper's recipe) and adds the EfficientNet-Lite0 perceptual loss and
the adversarial loss. Both use ``model.residual`` (the network adds detail to a bicubic
upscale), which a CPU budget of a few hundred steps needs to pass bicubic quality.

Test: each HR image (cropped to a multiple of the scale) is downscaled with the same antialiased
bicubic kernel, rounded to 8 bits, and enlarged by the model through the tiled
``artgan upscale`` path, and by bicubic interpolation.

Metrics, the usual super-resolution convention: on the luma Y of ITU-R BT.601
(Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255, as MATLAB's rgb2ycbcr), with ``scale`` pixels
cropped from every border; PSNR = 10 log10(255^2 / MSE) and SSIM by
``skimage.metrics.structural_similarity`` with Wang et al.'s settings (Gaussian window
sigma 1.5, population covariance, K1 0.01, K2 0.03, data range 255). Means over the test images.

Finally the peak resident memory of ``artgan upscale`` making a 4000 x 4000 output from a
1000 x 1000 input with the 4x SRResNet is measured in a child process. It includes the output
point's invisible watermark, which on a 4000 x 4000 image itself needs about 1.6 GB (measured
alone); the tiled upscaling needs about 0.5 GB beyond the interpreter.

    python bench/super_resolution.py            # ~10 minutes on 2 idle CPU cores
    python bench/super_resolution.py --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from skimage import data as skdata
from skimage.metrics import structural_similarity

import artgan
from artgan.data.degrade import bicubic_downscale, bicubic_upscale
from artgan.training.checkpoint import load_model
from artgan.upscale import upscale_image
from common import OUT_DIR, QUIET_TRAIN, CpuShare, machine_lines, write_report

TRAIN = [
    "astronaut",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "retina",
    "brick",
    "grass",
    "camera",
    "moon",
    "clock",
    "page",
]
TEST = ["chelsea", "stereo_motorcycle", "gravel", "coins", "text"]
TILE = 128
MAX_SIDE = 640  # large images (retina, hubble) are shrunk to this first
WORK = OUT_DIR / "super_resolution"


def rgb(name: str) -> np.ndarray:
    image = getattr(skdata, name)()
    if isinstance(image, tuple):  # stereo_motorcycle: (left, right, disparity)
        image = image[0]
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3]).astype(np.uint8)


def write_training_tiles(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for name in TRAIN:
        image = Image.fromarray(rgb(name))
        if max(image.size) > MAX_SIDE:
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        array = np.asarray(image)
        for top in range(0, array.shape[0] - TILE + 1, TILE):
            for left in range(0, array.shape[1] - TILE + 1, TILE):
                tile = array[top : top + TILE, left : left + TILE]
                Image.fromarray(tile).save(folder / f"{name}-{top}-{left}.png")
                count += 1
    return count


def train(name: str, scale: int, steps: int, args, **model) -> tuple[Path, float]:
    run_dir = WORK / f"{name}-x{scale}"
    shutil.rmtree(run_dir, ignore_errors=True)  # a fresh run, not a continuation
    start = time.perf_counter()
    artgan.train(
        {
            "model": {
                "name": name,
                "scale": scale,
                "image_size": TILE,
                "patch_size": 32 * scale if scale < 4 else 96,
                "width": args.width,
                "blocks": args.blocks,
                "residual": True,
                **model,
            },
            "data": {"source": str(WORK / "train"), "flip": True},
            "train": {
                "steps": steps,
                "batch_size": args.batch_size,
                "lr_g": 1e-4 if name == "srgan" else args.lr,
                "lr_d": 1e-4,
                "beta1": 0.9,
                "seed": 0,
                "device": "cpu",
                **QUIET_TRAIN,
                "log_every": 25,
            },
            "run_dir": str(run_dir),
        }
    )
    return run_dir, time.perf_counter() - start


def luma(image: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 Y in [16, 235] of a uint8 RGB image, as float64."""
    x = image.astype(np.float64)
    return 16.0 + (65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]) / 255.0


def psnr_ssim(output: np.ndarray, reference: np.ndarray, border: int) -> tuple[float, float]:
    a = luma(output)[border:-border, border:-border]
    b = luma(reference)[border:-border, border:-border]
    mse = np.mean((a - b) ** 2)
    psnr = 10 * np.log10(255.0**2 / max(mse, 1e-12))
    ssim = structural_similarity(
        a, b, data_range=255.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    return float(psnr), float(ssim)


def to_array(x: torch.Tensor) -> np.ndarray:
    return ((x[0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()


def evaluate(scale: int, runs: dict[str, Path]) -> dict[str, tuple[float, float]]:
    models = {name: load_model(path) for name, path in runs.items()}
    scores: dict[str, list[tuple[float, float]]] = {"bicubic": [], **{k: [] for k in models}}
    for name in TEST:
        hr = rgb(name)
        hr = hr[: hr.shape[0] - hr.shape[0] % scale, : hr.shape[1] - hr.shape[1] % scale]
        x = torch.from_numpy(hr).permute(2, 0, 1)[None].float() / 127.5 - 1
        lr = bicubic_downscale(x, scale)
        scores["bicubic"].append(psnr_ssim(to_array(bicubic_upscale(lr, scale)), hr, scale))
        lr_uint8 = to_array(lr)
        for label, model in models.items():
            sr = upscale_image(model, lr_uint8, tile=192, overlap=32, max_megapixels=1e3)
            scores[label].append(psnr_ssim(sr, hr, scale))
    return {k: tuple(np.mean(v, axis=0)) for k, v in scores.items()}


def peak_upscale_memory(run_dir: Path, side: int) -> tuple[float, float, str]:
    """Peak RSS (MiB) and seconds of `artgan upscale` on a side x side image, in a child."""
    image = WORK / f"big-input-{side}.png"
    rng = np.random.default_rng(0)
    base = rgb("astronaut")
    reps = -(-side // base.shape[0])
    big = np.tile(base, (reps, reps, 1))[:side, :side]
    noise = rng.integers(-3, 4, big.shape)
    Image.fromarray(np.clip(big + noise, 0, 255).astype(np.uint8)).save(image)
    out = WORK / "big-output.png"
    command = [
        sys.executable,
        "-m",
        "artgan",
        "upscale",
        str(run_dir),
        str(image),
        "--out",
        str(out),
    ]
    # A child forked from this (large) process starts with its memory high-water mark, so a
    # small intermediate Python starts the command and reads the grandchild's peak.
    wrapper = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command], check=True, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    peak = int(done.stdout.strip().splitlines()[-1]) / 1024  # KiB -> MiB
    with Image.open(out) as result:
        size = f"{result.size[0]}x{result.size[1]}"
    return peak, seconds, size


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=1000, help="SRResNet steps per scale")
    p.add_argument("--gan-steps", type=int, default=200, help="SRGAN steps (from SRResNet)")
    p.add_argument("--scales", default="2,4")
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--blocks", type=int, default=6)
    p.add_argument("--d-width", type=int, default=16, help="SRGAN discriminator width")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=4e-4)
    p.add_argument(
        "--memory-side", type=int, default=1000, help="LR side of the memory test (0 = skip it)"
    )
    p.add_argument("--quick", action="store_true", help="a smoke run")
    args = p.parse_args()
    if args.quick:
        args.steps, args.gan_steps, args.memory_side = 20, 10, 200
    torch.set_num_threads(2)
    share = CpuShare().start()
    tiles = write_training_tiles(WORK / "train")
    results, timings = {}, {}
    for scale in [int(s) for s in args.scales.split(",")]:
        srresnet, t1 = train("srresnet", scale, args.steps, args)
        srgan, t2 = train(
            "srgan", scale, args.gan_steps, args, init_from=str(srresnet), d_width=args.d_width
        )
        timings[scale] = (t1, t2)
        results[scale] = evaluate(scale, {"SRResNet": srresnet, "SRGAN": srgan})
        print(
            f"x{scale}: "
            + json.dumps({k: [round(v, 4) for v in s] for k, s in results[scale].items()})
        )
    memory = None
    if 4 in results and args.memory_side > 0:
        memory = peak_upscale_memory(WORK / "srresnet-x4", args.memory_side)
    other = share.stop()

    lines = [
        "# Super-resolution: SRResNet and SRGAN against bicubic",
        "",
        *machine_lines(),
        f"- training data: {tiles} tiles of {TILE} px from {len(TRAIN)} skimage.data images; "
        f"test: {', '.join(TEST)}",
        f"- generator width {args.width}, {args.blocks} residual blocks, global bicubic "
        f"residual (model.residual), batch {args.batch_size}; discriminator width "
        f"{args.d_width}; SRResNet {args.steps} steps (Adam {args.lr:g}), SRGAN "
        f"{args.gan_steps} steps from it (Adam 1e-4, perceptual weight 1, adversarial 1e-3)",
        "- PSNR (dB) / SSIM on Y (BT.601), border of `scale` px cropped; SSIM by "
        "skimage.metrics.structural_similarity (Gaussian sigma 1.5, population covariance)",
        f"- other processes used {other:.0%} of the CPU meanwhile" if other is not None else "",
        "",
        "| scale | method | PSNR (dB) | SSIM | train time (s) |",
        "|---|---|---|---|---|",
    ]
    for scale, scores in results.items():
        times = {
            "bicubic": "",
            "SRResNet": f"{timings[scale][0]:.0f}",
            "SRGAN": f"{timings[scale][1]:.0f}",
        }
        for method, (psnr, ssim) in scores.items():
            lines.append(f"| x{scale} | {method} | {psnr:.2f} | {ssim:.4f} | {times[method]} |")
    if memory is not None:
        peak, seconds, size = memory
        lines += [
            "",
            f"Peak RSS of `artgan upscale` (4x SRResNet, {args.memory_side} px input -> {size} "
            f"output, default tiles 192/32): **{peak:.0f} MiB**, {seconds:.0f} s.",
        ]
    text = "\n".join(line for line in lines if line is not None) + "\n"
    print(text)
    print(f"written to {write_report('super_resolution', text)}")


if __name__ == "__main__":
    main()
