"""Benchmark: does the feedback loop learn what a user likes? (issue 17, Targets)

An unconditional DCGAN trained on the built-in ``art`` set (the demo's recipe, cached under
bench/out/feedback/run so reruns skip training) is shown to a simulated user page by page:

- the user likes an image exactly when ``classifier:art`` (artgan's small CNN on the five
  styles) labels it as the chosen style, and dislikes the rest;
- every page has 16 images; after each page the verdicts so far are written with
  ``artgan.feedback.record`` and the steering is refitted with ``artgan.feedback.fit``; the next
  page is drawn by ``artgan.feedback.sample_preferred`` (page 1 has no feedback: plain samples);
- reported: the liked share on pages 1-6 for each of the five styles, and the variety of the
  liked images: their mean pairwise distance in the classifier's 128-d features, relative to
  the same figure for real images of that style (art's test split).

Target: >= 80 % liked by page 4 for every style, with variety >= 0.8x the real style's.

    python bench/feedback.py                       # train once (cached), then every variant
    python bench/feedback.py --variants default    # one steering variant only
    python bench/feedback.py --train-only          # just the cached run
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import shutil  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
from PIL import Image  # noqa: E402

import artgan  # noqa: E402
from artgan import feedback  # noqa: E402
from artgan.config import DataConfig  # noqa: E402
from artgan.data import load_dataset  # noqa: E402
from artgan.metrics.extractors import get_extractor  # noqa: E402
from artgan.run_folder import Run  # noqa: E402
from artgan.sample import enlarge_for_display, generate_from_latents, grid_pixels  # noqa: E402
from common import OUT_DIR, QUIET_TRAIN, CpuShare, write_json_report  # noqa: E402

RUN_DIR = OUT_DIR / "feedback" / "run"
SESSIONS_DIR = OUT_DIR / "feedback" / "sessions"  # each simulated user's RUN/feedback.jsonl
JUDGE = "classifier:art"
PAGES, PAGE_SIZE, TARGET_PAGE = 6, 16, 4
TARGET_SHARE, TARGET_VARIETY = 0.8, 0.8
REAL_PER_STYLE = 200  # art's test split, 1000 images: 200 of each style
# The recipe that drew every style best in bench/conditional.py (hinge loss, spectral norm in D:
# 89-95 % style accuracy there), here unconditional. The demo's own recipe (BCE, batch norm in
# D) was tried first: classifier:art put its samples at 0.1 % mondrian and 0.3 % riley, so no
# steering could reach those styles.
TRAIN = {
    "model.image_size": 32,
    "model.width": 32,
    "model.z_dim": 64,
    "model.spectral_norm": True,
    "model.objective.loss": "hinge",
    "data.size": 4000,
    "train.steps": 1500,
    "train.batch_size": 64,
    "train.lr_g": 2e-4,
    "train.lr_d": 2e-4,
    "train.beta1": 0.5,
    "train.beta2": 0.999,
    "train.ema_decay": 0.999,
}


def trained_run(precision: str) -> Path:
    """The cached run, trained now where it is missing (a finished run has LATEST)."""
    if Run(RUN_DIR).latest_file.exists():
        return RUN_DIR
    artgan.train(
        {"model": {"name": "dcgan"}, "data": {"source": "art"}, "run_dir": str(RUN_DIR)},
        **{f"train.{k}": v for k, v in QUIET_TRAIN.items()},
        **{"train.device": "cpu", "train.seed": 0, "train.threads": 1},
        **{"train.precision": precision},
        **TRAIN,
    )
    return RUN_DIR


# Steering variants: keyword arguments of feedback.fit and feedback.sample_preferred. "default"
# is the library's own defaults; the others are the alternatives measured against it.
VARIANTS: dict[str, dict] = {
    "default": {"fit": {}, "sample": {}},
    "latent-k32": {"fit": {}, "sample": {"proposals": 32}},
    "latent-k32-t0.5": {"fit": {}, "sample": {"proposals": 32, "temperature": 0.5}},
    "latent-k64-t0.25": {"fit": {}, "sample": {"proposals": 64, "temperature": 0.25}},
    "lite0": {"fit": {"features": "efficientnet-lite0"}, "sample": {}},
    "lite0-t0.5": {"fit": {"features": "efficientnet-lite0"}, "sample": {"temperature": 0.5}},
}


def page_latents(model, preference, seed: int, variant: dict) -> torch.Tensor:
    """The latents of one page: what sample_preferred draws (the same call, latents kept so
    the verdicts can be recorded against them)."""
    return feedback.steered_latents(model, PAGE_SIZE, seed, preference, **variant["sample"])


def user_session(model, judge, style: int, variant: dict, seed: int, folder: Path) -> dict:
    """One simulated user on one style: PAGES pages, a verdict per image recorded in the
    session's feedback file, the preference refitted after each page."""
    shutil.rmtree(folder, ignore_errors=True)
    run = Run(folder)
    preference, shares, liked_late = None, [], []
    for page in range(1, PAGES + 1):
        z = page_latents(model, preference, 1000 * seed + page, variant)
        images = generate_from_latents(model, z)
        liked = judge.probabilities(images).argmax(1) == style
        for i in range(len(z)):
            feedback.record(run, z[i], bool(liked[i]), seed=1000 * seed + page, index=i)
        records, _ = feedback.load(run)
        preference = feedback.fit(records, model=model, **variant["fit"])
        shares.append(float(liked.float().mean()))
        if page >= TARGET_PAGE:
            liked_late.append(images[liked])
    return {"shares": shares, "liked": torch.cat(liked_late)}


def mean_pairwise_distance(features: torch.Tensor) -> float:
    """Mean Euclidean distance over all pairs of rows (nan below two rows)."""
    if len(features) < 2:
        return float("nan")
    d = torch.cdist(features.double(), features.double())
    n = len(features)
    return float(d.sum() / (n * (n - 1)))


def real_by_style(judge) -> tuple[list[torch.Tensor], list[float], float]:
    """Real test images of each style, their variety (mean pairwise judge-feature distance)
    and the judge's accuracy on them."""
    data = load_dataset(DataConfig(source="art", split="test", size=5 * REAL_PER_STYLE), 32)
    x = data.x.float() / 127.5 - 1.0
    accuracy = float((judge.probabilities(x).argmax(1) == data.y).float().mean())
    images = [x[data.y == k] for k in range(len(data.class_names))]
    return images, [mean_pairwise_distance(judge(im)) for im in images], accuracy


def save_grid(images: torch.Tensor, path: Path) -> None:
    """Up to 32 images as one grid PNG (a bench picture to look at, not an artgan output)."""
    if len(images) == 0:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    grid = enlarge_for_display(grid_pixels(images[:32], columns=min(8, len(images))))
    Image.fromarray(grid).save(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-only", action="store_true")
    parser.add_argument("--precision", default="bf16", help="training precision (bf16 | fp32)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names")
    parser.add_argument("--seeds", type=int, default=3, help="simulated users per style")
    parser.add_argument("--report", default="feedback", help="bench/out/REPORT.json and .md")
    parser.add_argument("--styles", default="", help="comma-separated styles (default: all)")
    args = parser.parse_args()
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; known: {list(VARIANTS)}")
    run = trained_run(args.precision)
    print(f"run: {run}", flush=True)
    if args.train_only:
        return 0
    torch.set_num_threads(1)
    model = artgan.load(run).eval()
    judge = get_extractor(JUDGE)
    styles = judge.class_names
    _, real_variety, judge_accuracy = real_by_style(judge)
    share = CpuShare().start()
    cpu0 = time.process_time()
    rows, summary = [], []
    for name in names:
        variant = VARIANTS[name]
        met = True
        for k, style in enumerate(styles):
            if args.styles and style not in args.styles.split(","):
                continue
            sessions = [
                user_session(
                    model, judge, k, variant, seed, SESSIONS_DIR / name / style / str(seed)
                )
                for seed in range(args.seeds)
            ]
            shares = torch.tensor([s["shares"] for s in sessions]).mean(0).tolist()
            variety = [mean_pairwise_distance(judge(s["liked"])) for s in sessions]
            variety = [v for v in variety if v == v]
            ratio = (sum(variety) / len(variety)) / real_variety[k] if variety else float("nan")
            n_liked = sum(len(s["liked"]) for s in sessions)
            ok = shares[TARGET_PAGE - 1] >= TARGET_SHARE and ratio >= TARGET_VARIETY
            met = met and ok
            rows.append(
                [
                    name,
                    style,
                    *[f"{v:.0%}" for v in shares],
                    f"{ratio:.2f}",
                    n_liked,
                    "yes" if ok else "no",
                ]
            )
            print(" | ".join(map(str, rows[-1])), flush=True)
            save_grid(sessions[0]["liked"], OUT_DIR / "feedback" / "grids" / f"{name}-{style}.png")
        summary.append([name, "yes" if met else "no"])
    others = share.stop()
    cpu = time.process_time() - cpu0
    columns = [
        "variant",
        "style",
        *[f"page {p}" for p in range(1, PAGES + 1)],
        "variety / real",
        "liked imgs (p4-6)",
        "target met",
    ]
    notes = [
        f"model: unconditional DCGAN on art (32 px, width 32, z 64, hinge, spectral norm in D, "
        f"{TRAIN['train.steps']} steps, batch 64, EMA 0.999, bf16), {run}",
        f"user: likes an image when {JUDGE} (128-d small CNN; {judge_accuracy:.1%} on the real "
        "test images) labels it as the style, dislikes the rest; pages of 16; the preference "
        "is refitted on all verdicts so far after every page; page 1 is unsteered",
        f"shares: mean over {args.seeds} simulated users per style (seeds 0..{args.seeds - 1})",
        f"variety: mean pairwise Euclidean distance of {JUDGE} features of the liked images of "
        f"pages {TARGET_PAGE}-{PAGES} (per user, averaged), divided by the same figure over the "
        f"{REAL_PER_STYLE} real test images of the style; real: "
        + ", ".join(f"{s} {v:.2f}" for s, v in zip(styles, real_variety)),
        f"target: >= {TARGET_SHARE:.0%} liked on page {TARGET_PAGE} and variety >= "
        f"{TARGET_VARIETY}x real, for every style",
        f"{cpu:.0f} CPU s of this process for the sessions; others took "
        + (f"{others:.0%}" if others is not None else "an unknown share")
        + " of the machine meanwhile (a shared machine)",
    ]
    write_json_report(
        args.report,
        "Feedback loop: liked share per page for a simulated user (issue 17)",
        [
            {
                "caption": "liked share per page, by style and steering variant",
                "columns": columns,
                "rows": rows,
            },
            {"caption": "every style on target", "columns": ["variant", "met"], "rows": summary},
        ],
        notes,
        command="python bench/feedback.py " + " ".join(sys.argv[1:]),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
