"""Benchmark: artgan's inpainting families against classical fills, inside the hole, on
held-out images: ``lama`` (fast Fourier convolutions, Suvorov et al. 2022) and the older
``inpaint`` (context encoder / pix2pix style), each trained for the same CPU-time budget.

Data: the scikit-image photos and textures of bench/super_resolution.py, same train/test split.
Training (bench/inpainting_train.py): the 128 px training tiles, loaded at 64 px, with a new
random hole per image and step, for at most ``--cpu-minutes`` CPU minutes of the training process
(time.process_time, so a shared machine stretches the wall time but not the budget).
Test: the held-out images shrunk by 2 and cut into 64 px tiles, each with a fixed hole (seeded:
half boxes, half free-form strokes; the same tiles and holes as the earlier version of this
bench), and separately each tile with a large LaMa-style hole (``wide``), filled by

- the trained models (the ``artgan inpaint`` path, ``model.inpaint``),
- OpenCV's Telea fast marching (``cv2.inpaint``, radius 5), when cv2 is importable,
- the harmonic (diffusion) fill of artgan.metrics.restoration (Laplace's equation in the hole).

Metrics inside the hole only (artgan.metrics.restoration): PSNR over the hole's pixels (RGB,
8-bit range) and the mean of Wang et al.'s SSIM map (Gaussian sigma 1.5, per channel) over
them. Means over the test tiles, by mask kind. A sheet of large-hole results is written to
bench/out/inpainting/large_holes.png (one tile a row; columns: hole shown white, harmonic, Telea,
inpaint, lama, original).

    python bench/inpainting.py                 # trains both families (30 CPU-min each, side
                                               # by side in two processes), scores
    python bench/inpainting.py --reuse         # scores the runs already in bench/out/inpainting
    python bench/inpainting.py --quick         # a smoke run
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from artgan.data.masks import box_mask, stroke_mask, wide_mask
from artgan.metrics.restoration import harmonic_fill, hole_psnr, hole_ssim
from artgan.sample import enlarge_for_display, grid_pixels
from artgan.training.checkpoint import load_model
from common import CpuShare, machine_lines, write_report
from inpainting_train import SIZE, SR_TILES, WORK, last_step
from super_resolution import TEST, rgb, write_training_tiles

MASKS = {"box": box_mask, "stroke": stroke_mask, "wide": wide_mask}
SHEET_TILES = 8

try:
    import cv2
except ImportError:  # the baseline falls back to the harmonic fill alone
    cv2 = None


def train_side_by_side(families: list[str], args) -> None:
    """Each family trained in its own process, all at once: each is held to its own CPU-time
    budget (time.process_time of its process), so running them side by side shortens the wall
    time on a machine with a core free for each without changing what either gets."""
    script = Path(__file__).with_name("inpainting_train.py")
    runs = {}
    for family in families:
        steps = args.steps if family == "lama" else args.inpaint_steps
        command = [sys.executable, str(script), family, "--steps", str(steps)]
        command += ["--cpu-minutes", str(args.cpu_minutes)]
        command += ["--wall-minutes", str(args.wall_minutes)]
        runs[family] = subprocess.Popen(command)
    failed = [family for family, run in runs.items() if run.wait() != 0]
    if failed:
        raise SystemExit(f"training failed: {', '.join(failed)}")


def trained(family: str) -> tuple[object, dict]:
    """The family's trained run and its budget record."""
    record = json.loads((WORK / family / "budget.json").read_text())
    record.setdefault("step", last_step(WORK / family))
    return load_model(WORK / family), record


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


def test_holes(tiles: list[np.ndarray]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(kind, tile, mask): each tile with its box-or-stroke hole (alternating, the earlier
    bench's seed), then each tile again with a large hole from a separate seed."""
    rng, wide_rng = np.random.default_rng(1), np.random.default_rng(2)
    cases = []
    for i, tile in enumerate(tiles):
        kind = "box" if i % 2 == 0 else "stroke"
        cases.append((kind, tile, MASKS[kind](SIZE, SIZE, rng)))
    cases += [("wide", tile, wide_mask(SIZE, SIZE, wide_rng)) for tile in tiles]
    return cases


def fill_model(model, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    x = torch.from_numpy(image.copy()).permute(2, 0, 1)[None].float() / 127.5 - 1  # writable
    m = torch.from_numpy(mask.astype(np.float32))[None, None]
    y = model.inpaint(x, m)[0]
    return ((y + 1) * 127.5).round().clamp(0, 255).byte().permute(1, 2, 0).numpy()


def fill_telea(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return cv2.inpaint(image, mask.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)


def write_sheet(rows: list[np.ndarray], columns: int) -> str:
    """Tiles (uint8 H, W, 3) in rows of ``columns`` -> one enlarged PNG for a person."""
    x = torch.from_numpy(np.stack(rows)).permute(0, 3, 1, 2).float() / 127.5 - 1  # (N, C, H, W)
    path = WORK / "large_holes.png"
    Image.fromarray(enlarge_for_display(grid_pixels(x, columns=columns))).save(path)
    return str(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cpu-minutes", type=float, default=30.0, help="training budget per model")
    p.add_argument("--steps", type=int, default=6000, help="lama's step limit")
    p.add_argument("--inpaint-steps", type=int, default=2000, help="inpaint's (the old bench's)")
    p.add_argument("--wall-minutes", type=float, default=600.0, help="stop training anyway")
    p.add_argument("--test-tiles", type=int, default=60)
    p.add_argument(
        "--families", default="inpaint,lama", help="which to train and score (comma list)"
    )
    p.add_argument("--reuse", action="store_true", help="score the runs already trained")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    if args.quick:
        args.steps, args.inpaint_steps, args.test_tiles, args.cpu_minutes = 4, 4, 8, 5.0
    torch.set_num_threads(1)
    share = CpuShare().start()
    if not SR_TILES.is_dir():
        write_training_tiles(SR_TILES)
    families = args.families.split(",")
    untrained = [f for f in families if not (WORK / f / "budget.json").is_file()]
    train_side_by_side(families if not args.reuse else untrained, args)
    models = {family: trained(family) for family in families}
    methods = {"harmonic": harmonic_fill}
    if cv2 is not None:
        methods["Telea (OpenCV)"] = fill_telea
    for family, (model, _) in models.items():
        methods[family] = lambda im, m, model=model: fill_model(model, im, m)
    scores: dict[tuple[str, str], list[tuple[float, float]]] = {}
    coverage: dict[str, list[float]] = {}
    sheet: list[np.ndarray] = []
    for kind, tile, mask in test_holes(test_tiles(args.test_tiles)):
        coverage.setdefault(kind, []).append(mask.mean())
        shown = [np.where(mask[..., None], 255, tile).astype(np.uint8)]  # the hole in white
        for name, fill in methods.items():
            out = fill(tile, mask)
            scores.setdefault((name, kind), []).append(
                (hole_psnr(out, tile, mask), hole_ssim(out, tile, mask))
            )
            shown.append(out)
        if kind == "wide" and len(sheet) < SHEET_TILES * (len(methods) + 2):
            sheet += [*shown, tile]
    other = share.stop()
    sheet_path = write_sheet(sheet, len(methods) + 2)
    kinds = list(coverage)
    lines = [
        "# Inpainting: lama and inpaint against classical fills (inside the hole)",
        "",
        *machine_lines(),
    ]
    for family, (_, record) in models.items():
        r, m = record, record["settings"]["model"]
        lines.append(
            f"- {family}: {', '.join(f'{k} {v}' for k, v in m.items() if k != 'name')}; "
            f"batch {record['settings']['train']['batch_size']}; trained "
            f"{r['cpu_seconds'] / 60:.1f} CPU-min of a {r['cpu_minutes_budget']:g} CPU-min budget "
            f"({r['wall_seconds'] / 60:.0f} min wall, stopped by {r['stopped_by']}, "
            f"step {r['step']})"
        )
    lines += [
        f"- test: {len(coverage['box']) * 2} held-out 64 px tiles of {', '.join(TEST)} (halved), "
        "each with a box or a stroke hole, and the same tiles again with a wide hole; holes "
        + ", ".join(f"{k} {np.mean(v):.0%}" for k, v in coverage.items())
        + " of a tile on average",
        "- PSNR (dB) over hole pixels (RGB); SSIM: Wang et al.'s map (Gaussian sigma 1.5) "
        "averaged over hole pixels; Δ: against the harmonic fill on the same holes",
        f"- large-hole sheet: {sheet_path} (one tile a row; columns: hole, "
        f"{', '.join(methods)}, original)",
        f"- other processes used {other:.0%} of the CPU meanwhile" if other is not None else "",
        "",
        "| method | holes | PSNR (dB) | SSIM | Δ PSNR | Δ SSIM |",
        "|---|---|---|---|---|---|",
    ]
    for name in methods:
        for kind in kinds:
            psnr, ssim = np.mean(scores[(name, kind)], axis=0)
            base_psnr, base_ssim = np.mean(scores[("harmonic", kind)], axis=0)
            lines.append(
                f"| {name} | {kind} ({len(scores[(name, kind)])}) | {psnr:.2f} | {ssim:.4f} | "
                f"{psnr - base_psnr:+.2f} | {ssim - base_ssim:+.4f} |"
            )
    text = "\n".join(lines) + "\n"
    print(text)
    print(f"written to {write_report('inpainting', text)}")


if __name__ == "__main__":
    main()
