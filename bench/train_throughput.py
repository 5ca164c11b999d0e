"""Benchmark: DCGAN training speed, CPU cost and peak memory on Fashion-MNIST: artgan's trainer
beside the textbook PyTorch loop and the real pytorch/examples DCGAN, measured in the same run.

The configuration is the reference DCGAN (Radford, Metz & Chintala 2016) as the PyTorch
examples train it: 64x64 images, ngf = ndf = 64, nz = 100, batch 64, Adam(2e-4, beta1 0.5),
binary cross-entropy. Rows (each side's data pipeline is printed under the table):

- textbook fp32 / bf16: the loop as tutorials write it (netG/netD of the PyTorch DCGAN example,
  the generator step judging the discriminator step's fake batch again, as the example does),
  written out here over an in-process DataLoader; bf16 under CPU autocast.
- artgan fp32 / bf16: ``artgan.train(model="dcgan", data="fashion-mnist", ...)``, the real
  trainer with its defaults, EMA of G included; step times and CPU seconds are the trainer's
  own figures from log.jsonl (``log_every=1``).
- pytorch/examples fp32: ``dcgan/main.py`` of github.com/pytorch/examples, unchanged, in its
  own environment (bench/.venv-examples, or bench/.venv-lwgan: torch 2.13 CPU + torchvision
  0.28) through bench/examples_runner.py, on the same Fashion-MNIST files laid out as its
  ``--dataset mnist`` expects. It has no bf16 option. Step times are taken as its per-step
  lines arrive, CPU seconds from /proc for it and its DataLoader workers.

Each configuration runs in its own process (separate peak memory), configurations are
interleaved over rounds, warm-up steps are dropped, img/s is batch / median step time, and
CPU-s per image is the CPU time of all the run's threads and processes over the timed steps
divided by the images: the cost on a machine shared with other work, where wall time also
counts the waiting. Every row says what share of the CPU other processes took while it ran.

Quality check (skipped by --quick): artgan trains 300 steps at 32x32 in fp32 and in bf16 from
the same seed; the table compares loss averages and a sliced Wasserstein distance from 1,000
EMA samples to 1,000 held-out test images, beside the real-vs-real distance as the floor. The
trainer's sample grids and loss curves stay in bench/out/quality-{fp32,bf16}/.

    python bench/train_throughput.py --setup-examples PATH  # once: a pytorch/examples checkout
    python bench/train_throughput.py            # 2 rounds of 4 warm-up + 16 timed steps, quality
    python bench/train_throughput.py --quick    # 1 round of 2 + 6 steps, no quality check
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from common import (
    OUT_DIR,
    CpuShare,
    machine_lines,
    peak_rss_mib,
    process_tree_cpu_seconds,
    write_report,
)

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")  # Debian package dataset-fashion-mnist
IMAGE_SIZE, NZ, NGF, NDF, NC, BATCH = 64, 100, 64, 64, 1, 64
LR, BETA1 = 2e-4, 0.5
BENCH = Path(__file__).resolve().parent
EXAMPLES_MAIN = BENCH / ".examples" / "dcgan" / "main.py"  # copied by --setup-examples
EXAMPLES_VENVS = (BENCH / ".venv-examples", BENCH / ".venv-lwgan")  # the first that exists
EXAMPLES_PACKAGES = ["torch==2.13.0", "torchvision==0.28.0"]
EXAMPLES_DATA = BENCH / "data" / "examples-fashion-mnist"  # MNIST/raw/ layout, uncompressed
EXAMPLES_TIMEOUT_S = 600
CONFIGS = {  # name: (loop, precision)
    "textbook-fp32": ("textbook", "fp32"),
    "artgan-fp32": ("artgan", "fp32"),
    "examples-fp32": ("pytorch/examples", "fp32"),
    "artgan-bf16": ("artgan", "bf16"),
    "textbook-bf16": ("textbook", "bf16"),
}
PIPELINES = {  # loop: its data pipeline, said under the table
    "textbook": "a DataLoader in the training process (no workers) over the decoded 28x28 "
    "images; each item resized to 64 with Pillow and normalised when read (ToTensor/Normalize "
    "written out)",
    "artgan": "the 60,000 images decoded and resized to 64x64 once at load, kept as uint8 in "
    "memory; a batch is an index into them, turned into floats a batch at a time",
    "pytorch/examples": "its own: torchvision's MNIST dataset class over the Fashion-MNIST IDX "
    "files, Resize(64) + ToTensor + Normalize per item in PIL, a DataLoader with its default 2 "
    "worker processes (their CPU counted)",
}
QUALITY_STEPS, QUALITY_SIZE, QUALITY_SAMPLES = 300, 32, 1000


# ----------------------------------------------------------------------------- textbook loop
def read_idx(path: Path, magic: int) -> np.ndarray:
    """An IDX file (LeCun's MNIST format, gzip): big-endian magic and sizes, then uint8 data."""
    with gzip.open(path, "rb") as handle:
        raw = handle.read()
    dims = magic & 0xFF
    header = struct.unpack(f">{1 + dims}I", raw[: 4 * (1 + dims)])
    if header[0] != magic:
        raise ValueError(f"{path} is not an IDX file with magic {magic:#x}")
    return np.frombuffer(raw, np.uint8, offset=4 * (1 + dims)).reshape(header[1:])


class FashionMNIST(torch.utils.data.Dataset):
    """Decoded 28x28 images; each item is resized and normalised when it is read."""

    def __init__(self, root: Path = FASHION_MNIST):
        self.images = read_idx(root / "train-images-idx3-ubyte.gz", 0x803)  # (N, 28, 28)
        self.labels = read_idx(root / "train-labels-idx1-ubyte.gz", 0x801)  # (N,)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        image = Image.fromarray(self.images[i]).resize((IMAGE_SIZE, IMAGE_SIZE), Image.BILINEAR)
        x = np.asarray(image, dtype=np.float32) / 255.0  # ToTensor
        x = (x - 0.5) / 0.5  # Normalize([0.5], [0.5])
        return torch.from_numpy(x)[None], int(self.labels[i])  # (1, 64, 64)


class Generator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(NGF * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 8, NGF * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)  # (B, NZ, 1, 1) -> (B, NC, 64, 64)


class Discriminator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(NC, NDF, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 2, NDF * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 4, NDF * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)  # (B, 1, 1, 1)


def weights_init(m: nn.Module) -> None:
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def endless(loader: torch.utils.data.DataLoader) -> Iterator[torch.Tensor]:
    while True:
        for images, _ in loader:
            yield images


def textbook_worker(precision: str, warmup: int, steps: int) -> dict:
    torch.manual_seed(0)
    loader = torch.utils.data.DataLoader(FashionMNIST(), batch_size=BATCH, shuffle=True)
    netG, netD = Generator(), Discriminator()
    netG.apply(weights_init)
    netD.apply(weights_init)
    criterion = nn.BCELoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=LR, betas=(BETA1, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=LR, betas=(BETA1, 0.999))

    # BCELoss refuses autocast, so the loss is taken outside it on fp32 probabilities.
    def autocast():
        if precision == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    batches = endless(loader)
    times, cpu, losses = [], [], []
    share = CpuShare()
    for step in range(warmup + steps):
        if step == warmup:
            share.start()
        start, start_cpu = time.perf_counter(), time.process_time()
        real = next(batches)
        b = real.shape[0]
        netD.zero_grad()
        label = torch.full((b,), 1.0)
        with autocast():
            output = netD(real).view(-1)
        errD_real = criterion(output.float(), label)
        errD_real.backward()
        noise = torch.randn(b, NZ, 1, 1)
        with autocast():
            fake = netG(noise)
            output = netD(fake.detach()).view(-1)
        label.fill_(0.0)
        errD_fake = criterion(output.float(), label)
        errD_fake.backward()
        optimizerD.step()
        netG.zero_grad()
        label.fill_(1.0)
        with autocast():
            output = netD(fake).view(-1)
        errG = criterion(output.float(), label)
        errG.backward()
        optimizerG.step()
        losses.append(((errD_real + errD_fake).item(), errG.item()))  # the example logs these
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {
        "step_s": times[warmup:],
        "cpu_s": cpu[warmup:],
        "first_step_s": times[0],
        "others_cpu": share.stop(),
        "peak_rss_mib": peak_rss_mib(),
        "last_losses": losses[-1],
        "threads": torch.get_num_threads(),
    }


# ----------------------------------------------------------------------------- artgan
def artgan_overrides(precision: str, image_size: int, run_dir: Path, log_every: int) -> dict:
    """The reference configuration in artgan's dotted option names."""
    return {
        "model.image_size": image_size,
        "model.width": NGF,
        "model.d_width": NDF,
        "model.z_dim": NZ,
        "model.objective.loss": "bce",
        "data.color": "grey",
        "train.batch_size": BATCH,
        "train.lr_g": LR,
        "train.lr_d": LR,
        "train.beta1": BETA1,
        "train.seed": 0,
        "train.precision": precision,
        "train.log_every": log_every,
        "train.sample_every": 0,
        "train.checkpoint_every": 0,
        "train.progress": False,
        "train.tensorboard": False,
        "run_dir": str(run_dir),
    }


def read_log(run_dir: Path) -> list[dict]:
    lines = (run_dir / "log.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def artgan_worker(precision: str, warmup: int, steps: int) -> dict:
    import artgan

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        share = CpuShare().start()  # covers data loading too: the trainer offers no hook
        artgan.train(
            model="dcgan",
            data="fashion-mnist",
            steps=warmup + steps,
            **artgan_overrides(precision, IMAGE_SIZE, run_dir, log_every=1),
        )
        others = share.stop()
        log = read_log(run_dir)
        channels = json.loads((run_dir / "config.json").read_text())["model"]["channels"]
    if channels != NC or len(log) != warmup + steps:
        raise RuntimeError(f"unexpected run: {channels} channels, {len(log)} log lines")
    times = [BATCH / entry["img_per_s"] for entry in log]
    return {
        "step_s": times[warmup:],
        "cpu_s": [entry["cpu_s"] for entry in log][warmup:],
        "first_step_s": times[0],
        "others_cpu": others,
        "peak_rss_mib": peak_rss_mib(),
        "last_losses": (log[-1]["D_loss"], log[-1]["G_loss"]),
        "threads": torch.get_num_threads(),  # the trainer's choice, made in this process
    }


# ----------------------------------------------------------------------------- pytorch/examples
def examples_python() -> Path | None:
    for venv in EXAMPLES_VENVS:
        if (venv / "bin" / "python").is_file():
            return venv / "bin" / "python"
    return None


def setup_examples(source: Path) -> None:
    """Copy dcgan/main.py from a pytorch/examples checkout (a working tree, or a git directory
    such as a bare mirror) to bench/.examples/, and make bench/.venv-examples unless an
    environment with torch and torchvision is there already."""
    EXAMPLES_MAIN.parent.mkdir(parents=True, exist_ok=True)
    if (source / "dcgan" / "main.py").is_file():
        shutil.copyfile(source / "dcgan" / "main.py", EXAMPLES_MAIN)
        git = ["git", "-C", str(source)]
    else:
        git = ["git", "--git-dir", str(source)]
        main = subprocess.run([*git, "show", "HEAD:dcgan/main.py"], capture_output=True)
        if main.returncode != 0:
            raise SystemExit(f"{source} has no dcgan/main.py (a pytorch/examples checkout?)")
        EXAMPLES_MAIN.write_bytes(main.stdout)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
    (EXAMPLES_MAIN.parent.parent / "COMMIT").write_text(commit.stdout.strip() + "\n")
    if examples_python() is None:
        venv = EXAMPLES_VENVS[0]
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, EXAMPLES_PACKAGES[0]], check=True)  # the CPU torch wheel first
        subprocess.run([*pip, *EXAMPLES_PACKAGES[1:]], check=True)
    print(f"pytorch/examples dcgan/main.py in {EXAMPLES_MAIN}, Python {examples_python()}")


def examples_data() -> Path:
    """The Fashion-MNIST IDX files, uncompressed, where torchvision's MNIST class looks (it
    checks that the files exist and downloads nothing then)."""
    raw = EXAMPLES_DATA / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for split in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{split}-{kind}-ubyte"
            if not (raw / name).is_file():
                with gzip.open(FASHION_MNIST / f"{name}.gz", "rb") as packed:
                    (raw / name).write_bytes(packed.read())
    return EXAMPLES_DATA


STEP_LINE = re.compile(r"^\[\d+/\d+\]\[(\d+)/\d+\] Loss_D: (\S+) Loss_G: (\S+)")


def examples_worker(precision: str, warmup: int, steps: int) -> dict:
    python = examples_python()
    if python is None or not EXAMPLES_MAIN.is_file():
        raise RuntimeError("not set up: python bench/train_throughput.py --setup-examples PATH")
    with tempfile.TemporaryDirectory() as tmp:
        command = [str(python), "-u", str(BENCH / "examples_runner.py"), str(EXAMPLES_MAIN)]
        command += ["--dataset", "mnist", "--dataroot", str(examples_data())]
        command += ["--manualSeed", "0", "--niter", "1", "--outf", tmp]
        child = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True,  # its DataLoader workers stop with it
        )  # fmt: skip
        # A main.py that hangs is stopped too (this worker's own time limit would leave it).
        watchdog = threading.Timer(EXAMPLES_TIMEOUT_S, os.killpg, (child.pid, signal.SIGKILL))
        watchdog.start()
        try:
            return follow_examples(child, warmup, steps)
        finally:
            watchdog.cancel()
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def follow_examples(child: subprocess.Popen, warmup: int, steps: int) -> dict:
    """Time main.py's steps by its per-step lines (one after each optimizer step of G)."""
    warmup = max(1, warmup)  # the first line closes step 1: step times start from step 2
    marks, losses, share = [], None, CpuShare(tree=child.pid)
    for line in child.stdout:
        found = STEP_LINE.match(line)
        if not found:
            continue
        marks.append((time.perf_counter(), process_tree_cpu_seconds(child.pid)))
        losses = (float(found.group(2)), float(found.group(3)))
        if len(marks) == warmup:
            share.start()
        if len(marks) == warmup + steps:
            break
    if len(marks) < warmup + steps:
        raise RuntimeError(f"main.py stopped after {len(marks)} steps")
    peak = float(Path(f"/proc/{child.pid}/status").read_text().split("VmHWM:")[1].split()[0])
    timed = marks[warmup - 1 :]  # the ends of steps warmup .. warmup + steps
    return {
        "step_s": [b[0] - a[0] for a, b in zip(timed, timed[1:])],
        "cpu_s": [b[1] - a[1] for a, b in zip(timed, timed[1:])],
        "first_step_s": None,  # its first line comes after step 1: not measured
        "others_cpu": share.stop(),
        "peak_rss_mib": peak / 1024,  # the training process, without its workers
        "last_losses": losses,
        "threads": torch.get_num_threads(),  # torch's default, as in this process
    }


# ----------------------------------------------------------------------------- quality
def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, projections: int = 512) -> float:
    """Sliced Wasserstein-1 distance (Rabin et al. 2011) between two equal-size sets of
    vectors: the 1-D optimal transport cost (sorted matching) averaged over random directions.
    Written out (six lines) rather than adding POT for one function."""
    g = torch.Generator().manual_seed(0)
    directions = torch.randn(a.shape[1], projections, generator=g, dtype=torch.float64)
    directions /= directions.norm(dim=0, keepdim=True)  # (D, P) unit columns
    pa = (a.double() @ directions).sort(dim=0).values  # (N, P)
    pb = (b.double() @ directions).sort(dim=0).values
    return float((pa - pb).abs().mean())


def real_images(split: str, n: int, offset: int = 0) -> torch.Tensor:
    """``n`` Fashion-MNIST images of ``split`` as artgan feeds them, in [-1, 1], flattened."""
    from artgan.config import DataConfig
    from artgan.data import load_dataset

    data = load_dataset(
        DataConfig(source="fashion-mnist", split=split, color="grey", limit=offset + n),
        QUALITY_SIZE,
    )
    x = data.x[offset : offset + n].float() / 127.5 - 1.0  # (n, 1, 32, 32)
    return x.flatten(1)  # (n, 1024)


def quality_worker(precision: str, steps: int) -> dict:
    import artgan

    run_dir = OUT_DIR / f"quality-{precision}"
    shutil.rmtree(run_dir, ignore_errors=True)
    start = time.perf_counter()
    artgan.train(
        model="dcgan",
        data="fashion-mnist",
        steps=steps,
        **artgan_overrides(precision, QUALITY_SIZE, run_dir, log_every=10),
    )
    seconds = time.perf_counter() - start
    log = read_log(run_dir)
    thirds = [log[i * len(log) // 3 : (i + 1) * len(log) // 3] for i in range(3)]
    means = [
        [statistics.fmean(e[key] for e in part) for part in thirds] for key in ("D_loss", "G_loss")
    ]
    model = artgan.load(run_dir)
    fake = model.sample(QUALITY_SAMPLES, seed=1).flatten(1)  # (n, 1024), EMA weights
    test = real_images("test", QUALITY_SAMPLES)
    grids = sorted((run_dir / "samples").glob("*.png"))
    return {
        "seconds": seconds,
        "d_loss_thirds": means[0],
        "g_loss_thirds": means[1],
        "swd": sliced_wasserstein(fake, test),
        "fake_mean": float(fake.mean()),
        "fake_std": float(fake.std()),
        "grid": str(grids[-1]) if grids else "",
        "loss_curve": str(run_dir / "loss_curve.png"),
    }


def floor_worker() -> dict:
    """The distance between two disjoint real samples: the best a generator can score."""
    train = real_images("train", QUALITY_SAMPLES)
    test = real_images("test", QUALITY_SAMPLES)
    return {
        "swd": sliced_wasserstein(train, test),
        "real_mean": float(test.mean()),
        "real_std": float(test.std()),
    }


# ----------------------------------------------------------------------------- driver
def run_worker(*args: str, timeout: float = 900) -> dict:
    """Run one measurement in a fresh interpreter and return its JSON result (or an error)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no output"]
        return {"error": lines[-1][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarize(runs: list[dict]) -> dict:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"error": runs[0]["error"]}
    times = [t for r in ok for t in r["step_s"]]
    cpu = [t for r in ok for t in r["cpu_s"]]
    shares = [r["others_cpu"] for r in ok if r["others_cpu"] is not None]
    firsts = [r["first_step_s"] for r in ok if r["first_step_s"] is not None]
    return {
        "median": BATCH / statistics.median(times),
        "mean": BATCH * len(times) / sum(times),
        "cpu_ms_per_image": 1000 * sum(cpu) / (BATCH * len(cpu)),
        "first_step_s": statistics.median(firsts) if firsts else None,
        "peak_rss_mib": max(r["peak_rss_mib"] for r in ok),
        "others_cpu": max(shares) if shares else None,
        "steps": len(times),
        "threads": ok[0]["threads"],
    }


def throughput_table(results: dict[str, dict], warmup: int) -> list[str]:
    lines = [
        "| configuration | precision | img/s (median step) | img/s (mean) | CPU ms per image | "
        "x textbook, img/s | x textbook, CPU | threads | step 1 (s) | peak RSS (MiB) | "
        "others' CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (loop, precision) in CONFIGS.items():
        s = results.get(name)
        if s is None:
            continue
        if "error" in s:
            lines.append(f"| {loop} | {precision} | failed: {s['error']} |" + " |" * 8)
            continue
        base = results.get(f"textbook-{precision}", {})
        speed = f"{s['median'] / base['median']:.2f}" if "median" in base else "-"
        cost = (
            f"{base['cpu_ms_per_image'] / s['cpu_ms_per_image']:.2f}"
            if "cpu_ms_per_image" in base
            else "-"
        )
        others = "n/a" if s["others_cpu"] is None else f"{100 * s['others_cpu']:.0f} %"
        first = "-" if s["first_step_s"] is None else f"{s['first_step_s']:.2f}"
        lines.append(
            f"| {loop} | {precision} | {s['median']:.1f} | {s['mean']:.1f} | "
            f"{s['cpu_ms_per_image']:.1f} | {speed} | {cost} | {s['threads']} | {first} | "
            f"{s['peak_rss_mib']:.0f} | {others} |"
        )
    if any(loop == "pytorch/examples" for loop, _ in (CONFIGS[n] for n in results)):
        lines.append("| pytorch/examples | bf16 | - (main.py has no bf16 option) |" + " |" * 8)
    commit = EXAMPLES_MAIN.parent.parent / "COMMIT"
    where = f" at commit {commit.read_text().strip()[:12]}" if commit.is_file() else ""
    lines += [
        "",
        f"Batch {BATCH}, 64x64x1, ngf = ndf = {NGF}, nz = {NZ}, Adam({LR}, beta1 {BETA1}), BCE. "
        f"{warmup} warm-up steps dropped per run; step 1 is the first warm-up step (oneDNN "
        "primitive creation). x textbook: against the textbook loop at the same precision "
        "(img/s: higher is faster; CPU: textbook CPU per image / this row's, higher is cheaper). "
        "CPU ms per image: all threads and processes of the run over the timed steps. Peak RSS "
        "is the training process, data included. Others' CPU: share of the machine's CPU used "
        "by other processes during the run.",
        "",
        "Data pipelines:",
        *(f"- {loop}: {text}." for loop, text in PIPELINES.items()),
        f"- pytorch/examples is dcgan/main.py of github.com/pytorch/examples{where}, run "
        "unchanged with `--dataset mnist --manualSeed 0` (other options its defaults).",
    ]
    return lines


def quality_table(results: dict[str, dict], floor: dict) -> list[str]:
    lines = [
        "| precision | train s | D loss (thirds) | G loss (thirds) | SWD to test | "
        "sample mean / std | grid |",
        "|---|---:|---|---|---:|---|---|",
    ]
    for precision, q in results.items():
        if "error" in q:
            lines.append(f"| {precision} | failed: {q['error']} | | | | | |")
            continue
        d = " / ".join(f"{v:.2f}" for v in q["d_loss_thirds"])
        g = " / ".join(f"{v:.2f}" for v in q["g_loss_thirds"])
        grid = Path(q["grid"]).relative_to(OUT_DIR.parent) if q["grid"] else "-"
        lines.append(
            f"| {precision} | {q['seconds']:.0f} | {d} | {g} | {q['swd']:.4f} | "
            f"{q['fake_mean']:.3f} / {q['fake_std']:.3f} | {grid} |"
        )
    if "error" not in floor:
        lines.append(
            f"| real train vs test (floor) | | | | {floor['swd']:.4f} | "
            f"{floor['real_mean']:.3f} / {floor['real_std']:.3f} | |"
        )
    lines += [
        "",
        f"{QUALITY_STEPS} steps at {QUALITY_SIZE}x{QUALITY_SIZE}, same seed; losses averaged over "
        "each third of the run; SWD: sliced Wasserstein-1 distance in pixel space between "
        f"{QUALITY_SAMPLES} EMA samples and {QUALITY_SAMPLES} test images (512 directions).",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 2 + 6 steps")
    parser.add_argument("--rounds", type=int, help="interleaved rounds per configuration")
    parser.add_argument("--warmup", type=int, help="untimed steps per run")
    parser.add_argument("--steps", type=int, help="timed steps per run")
    parser.add_argument("--only", help=f"comma list of {', '.join(CONFIGS)}")
    parser.add_argument("--no-quality", action="store_true", help="skip the fp32/bf16 check")
    parser.add_argument(
        "--setup-examples",
        type=Path,
        metavar="PATH",
        help="copy dcgan/main.py from a pytorch/examples checkout or git directory, and make "
        "bench/.venv-examples (torch + torchvision) unless bench/.venv-lwgan is there",
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "quality":
            result = quality_worker(rest[0], int(rest[1]))
        elif kind == "floor":
            result = floor_worker()
        else:
            loop, precision = CONFIGS[kind]
            workers = {"textbook": textbook_worker, "artgan": artgan_worker}
            worker = workers.get(loop, examples_worker)
            result = worker(precision, int(rest[0]), int(rest[1]))
        print(json.dumps(result))
        return
    if args.setup_examples:
        setup_examples(args.setup_examples)
        return

    rounds = args.rounds or (1 if args.quick else 2)
    warmup = args.warmup if args.warmup is not None else (2 if args.quick else 4)
    steps = args.steps or (6 if args.quick else 16)
    names = args.only.split(",") if args.only else list(CONFIGS)
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration {', '.join(unknown)}; valid: {', '.join(CONFIGS)}")

    runs: dict[str, list[dict]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names:
            print(f"round {r + 1}/{rounds}: {name} ...", file=sys.stderr, flush=True)
            runs[name].append(run_worker(name, str(warmup), str(steps)))
    results = {name: summarize(found) for name, found in runs.items()}
    lines = [
        "# DCGAN training throughput: artgan vs the textbook loop and pytorch/examples",
        "",
        *machine_lines(),
        "",
        *throughput_table(results, warmup),
    ]

    if not (args.quick or args.no_quality):
        quality = {}
        for precision in ("fp32", "bf16"):
            print(f"quality: {precision} ...", file=sys.stderr, flush=True)
            quality[precision] = run_worker("quality", precision, str(QUALITY_STEPS))
        floor = run_worker("floor")
        lines += ["", "## bf16 training quality", "", *quality_table(quality, floor)]

    text = "\n".join(lines) + "\n"
    print(text)
    print(f"written to {write_report('train_throughput', text)}", file=sys.stderr)


if __name__ == "__main__":
    main()
