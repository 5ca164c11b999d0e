"""Benchmark: which family ``artgan demo`` should train (issue 12: the demo moves to fastgan if
it makes better pictures within the same ~3 CPU-minutes).

Side by side on the demo's data (the built-in procedural paintings, 4,096 of them, flipped):

- ``demo (dcgan 32 px)``: the demo itself, ``artgan demo`` (cli/demo.py: a DCGAN at 32 px for
  1,500 steps, bf16 where the CPU does it natively);
- ``fastgan-ada 128 px``: ``artgan train --model fastgan --data art --image-size 128`` at the
  width artgan picks on a CPU, with the same precision, trained for as long as the demo's
  DCGAN trained (``--train.max_minutes``).

Both are scored at 128 px against 1,000 training paintings at 128 px, the demo's 32 px samples
enlarged as a viewer sees them (bicubic): FID, KID, precision/recall, density/coverage on
EfficientNet-Lite0 features; floor: 1,000 paintings of the test split. The sample grids of both
are written for looking at, which decides as much as the figures.

    python bench/demo_family.py                 # about 10 minutes on 2 cores
    python bench/demo_family.py --demo-steps 20 --n 50   # smoke test
    taskset -c 1 python bench/demo_family.py    # on one core (torch follows the affinity)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from common import OUT_DIR, CpuShare, write_json_report

WORK = OUT_DIR / "demo_family"
N = 1000
SIZE = 128
QUIET = ["--train.progress", "false", "--train.tensorboard", "false"]
QUIET += ["--train.sample_every", "0", "--train.checkpoint_every", "0", "--seed", "0"]


def artgan_cli() -> list[str]:
    script = Path(sys.executable).parent / "artgan"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "artgan.cli.main"]


def run(cmd: list[str], log: Path) -> float:
    """Run ``cmd`` with its output to ``log``; its wall seconds."""
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n" + "\n".join(tail))
    return time.perf_counter() - start


def trained(run_dir: Path) -> dict:
    """Steps, images and training seconds (the log's step times) of a run."""
    config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    lines = (run_dir / "log.jsonl").read_text(encoding="utf-8").splitlines()
    log = [json.loads(line) for line in lines if line.strip()]
    batch = config["train"]["batch_size"]
    steps = [0] + [entry["step"] for entry in log]  # each entry: the steps since the last one
    return {
        "steps": log[-1]["step"],
        "images": log[-1]["step"] * batch,
        "seconds": sum(e["step_s"] * (steps[i + 1] - steps[i]) for i, e in enumerate(log)),
        "width": config["model"].get("width"),
        "precision": config["train"]["precision"],
        "batch": batch,
    }


def samples_at(run_dir: Path, n: int) -> torch.Tensor:
    """uint8 (n, 3, SIZE, SIZE) samples of the run, enlarged to SIZE when smaller (bicubic)."""
    import artgan
    from artgan.sample import quantize

    model = artgan.load(run_dir)
    chunks = []
    for i in range(0, n, 50):
        x = model.sample(min(50, n - i), seed=i).float()
        if x.shape[-1] != SIZE:
            x = F.interpolate(x, size=(SIZE, SIZE), mode="bicubic", antialias=True)
        chunks.append(quantize(x))
    return torch.cat(chunks)


def paintings(split: str) -> torch.Tensor:
    from artgan.config import DataConfig
    from artgan.data import load_dataset

    return load_dataset(DataConfig(source="art", size=N, split=split), SIZE).x


def write_grid(images: torch.Tensor, path: Path, run_dir: Path) -> str:
    import artgan
    from artgan.provenance import write_image
    from artgan.provenance.record import record_for_model
    from artgan.sample import grid_pixels

    model = artgan.load(run_dir)
    grid = grid_pixels(images[:64].float() / 127.5 - 1.0, columns=8)
    write_image(grid, path, record_for_model(model, seed=0, command="bench", kind="demo grid"))
    return str(path.relative_to(OUT_DIR))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="samples scored per model")
    parser.add_argument(
        "--demo-steps", type=int, default=0, help="the demo's steps (0: its own 1,500; smoke tests)"
    )
    args = parser.parse_args()
    from artgan.metrics import functional as fn
    from artgan.metrics.extractors import get_extractor
    from artgan.training.precision import cpu_has_native_bf16

    WORK.mkdir(parents=True, exist_ok=True)
    share = CpuShare().start()
    demo_dir = WORK / "demo"
    cmd = [*artgan_cli(), "demo", "--out", str(demo_dir)]
    cmd += ["--steps", str(args.demo_steps)] if args.demo_steps else []
    demo_wall = run(cmd, WORK / "demo.log")
    demo = trained(demo_dir / "run")
    precision = "bf16" if cpu_has_native_bf16() else "fp32"  # as the demo picks on a CPU
    fast_dir = WORK / "fastgan"
    cmd = [*artgan_cli(), "train", "--model", "fastgan", "--data", "art", "--data.size", "4096"]
    cmd += ["--data.flip", "true", "--image-size", str(SIZE), "--steps", "10000000"]
    cmd += ["--train.max_minutes", f"{demo['seconds'] / 60:.4f}", "--run-dir", str(fast_dir)]
    cmd += ["--train.precision", precision, "--device", "cpu", *QUIET]
    fast_wall = run(cmd, WORK / "fastgan.log")
    fast = trained(fast_dir)
    others = share.stop()

    extractor = get_extractor("efficientnet-lite0")
    reference = extractor(paintings("train"))
    floor = extractor(paintings("test"))

    def scores(features) -> list[str]:
        kid, _ = fn.kid(reference, features, subset_size=min(1000, len(features)))
        precision_, recall = fn.precision_recall(reference, features, k=3)
        density, coverage = fn.density_coverage(reference, features, k=5)
        return [
            f"{fn.fid_from_features(reference, features):.1f}",
            f"{kid * 1000:.1f}",
            *(f"{v:.3f}" for v in (precision_, recall, density, coverage)),
        ]

    rows, pictures = [], []
    for name, run_dir, info, wall in (
        ("demo (dcgan 32 px)", demo_dir / "run", demo, demo_wall),
        (f"fastgan-ada {SIZE} px", fast_dir, fast, fast_wall),
    ):
        images = samples_at(run_dir, args.n)
        rows.append(
            [
                name,
                info["width"],
                info["precision"],
                info["steps"],
                info["images"],
                f"{info['seconds']:.0f}",
                f"{wall:.0f}",
                *scores(extractor(images)),
            ]
        )
        stem = name.split(" ")[0].replace("(", "")
        pictures.append([name, write_grid(images, WORK / f"{stem}-grid.png", run_dir)])
    rows.append(["**real vs real (floor)**", "", "", "", "", "", "", *scores(floor[: args.n])])
    tables = [
        {
            "caption": "the same training time, scored at 128 px",
            "columns": [
                "model",
                "width",
                "precision",
                "steps",
                "images seen",
                "train s",
                "command s",
                "FID",
                "KID x 1e3",
                "P",
                "R",
                "D",
                "C",
            ],
            "rows": rows,
        },
        {"caption": "pictures (bench/out/...)", "columns": ["model", "grid"], "rows": pictures},
    ]
    notes = [
        f"{args.n} samples per model against {N} training paintings at {SIZE} px; floor: "
        f"{args.n} test-split paintings. The demo's 32 px samples are enlarged bicubically.",
        "train s: training steps (the logs' step times); command s: the whole command "
        "(start-up, data, the demo's pictures).",
        f"CPU taken by other processes during the trainings: {others:.0%}."
        if others is not None
        else "CPU taken by other processes: unknown.",
    ]
    command = " ".join(["python bench/demo_family.py", *sys.argv[1:]])
    report = write_json_report(
        "demo_family", "Which family the demo should train", tables, notes, command
    )
    print(report.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
