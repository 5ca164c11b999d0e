"""Benchmark: does the feedback loop learn what a user likes? (issue 17, Targets)

An unconditional DCGAN trained on the built-in ``art`` set (each recipe of RECIPES is trained
and cached under bench/out/feedback/run-RECIPE so reruns skip training; the sessions use the
recipe whose least-drawn style is the most common) is shown to a simulated user page by page:

- the user likes an image exactly when ``classifier:art`` (artgan's small CNN on the five
  styles) labels it as the chosen style, and dislikes the rest;
- every page has 16 images; after each page the verdicts so far are written with
  ``artgan.feedback.record`` and the preference is refitted with
  ``artgan.feedback.preference_for``; the next page is drawn by
  ``artgan.feedback.steered_latents`` (what ``sample_preferred``, ``artgan sample --prefer``
  and the studio draw; page 1 has no feedback: plain samples);
- reported: the liked share on pages 1-6 for each of the five styles, and the variety of the
  liked images: their mean pairwise distance in the classifier's 128-d features, relative to
  the same figure for real images of that style (art's test split); and, first, the share of
  each style among 1,000 plain samples as the judge labels them (a style the model never draws
  cannot be steered to).

Target: >= 80 % liked by page 4 for every style, with variety >= 0.8x the real style's.

    python bench/feedback.py                       # train once (cached), then every variant
    python bench/feedback.py --variants default    # one steering variant only
    python bench/feedback.py --train-only          # just the cached run and its style shares
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

SESSIONS_DIR = OUT_DIR / "feedback" / "sessions"  # each simulated user's RUN/feedback.jsonl
JUDGE = "classifier:art"
PAGES, PAGE_SIZE, TARGET_PAGE = 6, 16, 4
TARGET_SHARE, TARGET_VARIETY = 0.8, 0.8
REAL_PER_STYLE = 200  # art's test split, 1000 images: 200 of each style
PLAIN_SAMPLES = 1000  # plain samples whose styles the judge counts
# The recipe that drew every style best in bench/conditional.py (hinge loss, spectral norm in D:
# 89-95 % style accuracy there), here unconditional. The demo's own recipe (BCE, batch norm in
# D) was tried first: classifier:art put its samples at 0.1 % mondrian and 0.3 % riley, so no
# steering could reach those styles. Whether an unconditional run draws riley at all is a
# lottery of the training: two demo-recipe runs of Dec 6 drew it on 0 % and 11.8 % of their
# samples (the latter as dark/light blobs more than stripes), so the bench trains more than one
# recipe and says how often each draws every style.
HINGE_SN = {
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
RECIPES: dict[str, dict] = {
    "hinge-sn": HINGE_SN,
    # the same with the minibatch standard deviation in D (Karras et al. 2018): D sees how
    # varied a batch is, so a generator that drops a style is penalised
    "hinge-sn-mbstd": {**HINGE_SN, "model.objective.minibatch_std": True},
    # what `artgan demo` trains (BCE, batch norm in D, width 48, EMA 0.995, 4096 images): one
    # run of it (Dec 6, 23:55) drew riley on 11.8 % of its samples
    "demo": {
        **{k: v for k, v in HINGE_SN.items() if not k.startswith("model.")},
        "model.image_size": 32,
        "model.width": 48,
        "model.z_dim": 64,
        "data.size": 4096,
        "train.ema_decay": 0.995,
    },
}


def trained_run(recipe: str, precision: str) -> Path:
    """The cached run of ``recipe``, trained now where it is missing (a finished run has
    LATEST)."""
    run_dir = OUT_DIR / "feedback" / f"run-{recipe}"
    if Run(run_dir).latest_file.exists():
        return run_dir
    artgan.train(
        {"model": {"name": "dcgan"}, "data": {"source": "art"}, "run_dir": str(run_dir)},
        **{f"train.{k}": v for k, v in QUIET_TRAIN.items()},
        **{"train.device": "cpu", "train.seed": 0, "train.threads": 1},
        **{"train.precision": precision},
        **RECIPES[recipe],
    )
    return run_dir


# Steering variants (artgan.feedback.Steering): "default" is the library's own default, the one
# the CLI and the studio use; the others are measured against it.
VARIANTS: dict[str, feedback.Steering] = {
    "default": feedback.STEERING,
    "latent (first default)": feedback.LATENT_STEERING,
    "latent + default draw": feedback.Steering(features=feedback.LATENT),
    "lite0 T=1": feedback.Steering(temperature=1.0),
    "lite0 T=0.25 enough=2": feedback.Steering(temperature=0.25, enough=2),
}


def user_session(model, judge, style: int, steering, seed: int, folder: Path) -> dict:
    """One simulated user on one style: PAGES pages, a verdict per image recorded in the
    session's feedback file, the preference refitted after each page."""
    shutil.rmtree(folder, ignore_errors=True)
    run = Run(folder)
    preference, shares, liked_late, pages = None, [], [], []
    for page in range(1, PAGES + 1):
        z = feedback.steered_latents(
            model, PAGE_SIZE, 1000 * seed + page, preference, 0.0, steering
        )
        images = generate_from_latents(model, z)
        liked = judge.probabilities(images).argmax(1) == style
        for i in range(len(z)):
            feedback.record(run, z[i], bool(liked[i]), seed=1000 * seed + page, index=i)
        records, _ = feedback.load(run)
        preference = feedback.preference_for(records, model, steering)
        shares.append(float(liked.float().mean()))
        pages.append(framed(images, liked))
        if page >= TARGET_PAGE:
            liked_late.append(images[liked])
    return {"shares": shares, "liked": torch.cat(liked_late), "pages": torch.cat(pages)}


def framed(images: torch.Tensor, liked: torch.Tensor) -> torch.Tensor:
    """Each image in a 2-pixel frame: green where the user liked it, grey where not."""
    colours = torch.where(liked[:, None], torch.tensor([-1.0, 0.6, -1.0]), torch.tensor(0.2))
    out = colours[:, :, None, None].expand(-1, -1, *[s + 4 for s in images.shape[-2:]]).clone()
    out[:, :, 2:-2, 2:-2] = images
    return out


def plain_shares(model, judge) -> list[float]:
    """The share of each style among PLAIN_SAMPLES plain samples, as the judge labels them."""
    images = generate_from_latents(model, model.latents(PLAIN_SAMPLES, 0))
    counts = torch.bincount(judge.probabilities(images).argmax(1), minlength=judge.num_classes)
    return (counts / PLAIN_SAMPLES).tolist()


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


def save_grid(images: torch.Tensor, path: Path, columns: int) -> None:
    """Images as one grid PNG (a bench picture to look at, not an artgan output)."""
    if len(images) == 0:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    grid = enlarge_for_display(grid_pixels(images, columns=min(columns, len(images))))
    Image.fromarray(grid).save(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-only", action="store_true")
    parser.add_argument(
        "--recipes",
        default=",".join(RECIPES),
        help="comma-separated recipes to train (cached); the sessions use the one whose "
        "least-drawn style is the most common among its plain samples",
    )
    parser.add_argument("--precision", default="bf16", help="training precision (bf16 | fp32)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names")
    parser.add_argument("--seeds", type=int, default=3, help="simulated users per style")
    parser.add_argument("--report", default="feedback", help="bench/out/REPORT.json and .md")
    parser.add_argument("--styles", default="", help="comma-separated styles (default: all)")
    parser.add_argument("--core", type=int, help="run on this core only (taskset's job)")
    args = parser.parse_args()
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; known: {list(VARIANTS)}")
    recipes = [r.strip() for r in args.recipes.split(",") if r.strip()]
    if not recipes or any(r not in RECIPES for r in recipes):
        parser.error(f"--recipes takes names from {list(RECIPES)}")
    if args.core is not None:
        os.sched_setaffinity(0, {args.core})
    torch.set_num_threads(1)
    judge = get_extractor(JUDGE)
    styles = judge.class_names
    cpu_train = time.process_time()
    plain = {}  # recipe -> (run, model, shares of each style among plain samples)
    for recipe in recipes:
        run = trained_run(recipe, args.precision)
        model = artgan.load(run).eval()
        plain[recipe] = (run, model, plain_shares(model, judge))
        print(
            f"{recipe}: {run}; plain samples by style: "
            + ", ".join(f"{s} {v:.1%}" for s, v in zip(styles, plain[recipe][2])),
            flush=True,
        )
        save_grid(
            generate_from_latents(model, model.latents(32, 0)),
            OUT_DIR / "feedback" / f"plain-{recipe}.png",
            8,
        )
    cpu_train = time.process_time() - cpu_train
    chosen = max(recipes, key=lambda r: min(plain[r][2]))  # every style drawn, the rarest most
    run, model, _ = plain[chosen]
    print(f"sessions on {chosen}", flush=True)
    if args.train_only:
        return 0
    _, real_variety, judge_accuracy = real_by_style(judge)
    share = CpuShare(core=args.core).start()
    cpu0 = time.process_time()
    rows, summary, cpu_by_variant = [], [], []

    def write(others, cpu) -> None:
        """The report so far (rewritten after every variant: a cut-short run keeps its rows)."""
        columns = [
            "variant",
            "style",
            *[f"page {p}" for p in range(1, PAGES + 1)],
            "variety / real",
            "liked imgs (p4-6)",
            "target met",
        ]
        recipe = RECIPES[chosen]
        notes = [
            f"model: unconditional DCGAN on art, recipe {chosen} (32 px, width "
            f"{recipe['model.width']}, z {recipe['model.z_dim']}, "
            f"{recipe.get('model.objective.loss', 'bce')}, spectral norm in D "
            f"{recipe.get('model.spectral_norm', False)}, minibatch std "
            f"{recipe.get('model.objective.minibatch_std', False)}, {recipe['train.steps']} steps, "
            f"batch {recipe['train.batch_size']}, EMA {recipe['train.ema_decay']}, "
            f"{args.precision}, seed 0), {run}"
            + f"; recipes trained (or read from the cache) and counted: {cpu_train:.0f} CPU s; "
            "the sessions use the recipe whose least-drawn style is the most common",
            "steering variants (artgan.feedback.Steering): "
            + "; ".join(f"{n}: {VARIANTS[n]}" for n in names),
            f"user: likes an image when {JUDGE} (128-d small CNN; {judge_accuracy:.1%} on the real "
            "test images) labels it as the style, dislikes the rest; pages of 16; the preference "
            "is refitted on all verdicts so far after every page; page 1 is unsteered",
            f"shares: mean over {args.seeds} simulated users per style (seeds 0..{args.seeds - 1})",
            f"variety: mean pairwise Euclidean distance of {JUDGE} features of the liked "
            f"images of pages {TARGET_PAGE}-{PAGES} (per user, averaged), divided by the same "
            f"figure over the {REAL_PER_STYLE} real test images of the style; real: "
            + ", ".join(f"{s} {v:.2f}" for s, v in zip(styles, real_variety)),
            f"target: >= {TARGET_SHARE:.0%} liked on page {TARGET_PAGE} and variety >= "
            f"{TARGET_VARIETY}x real, for every style",
            "pictures: bench/out/feedback/pages/VARIANT-STYLE.png, the first user's six pages (a "
            "row each), liked images framed green; bench/out/feedback/plain-RECIPE.png, 32 plain "
            "samples of each recipe",
            f"{cpu:.0f} CPU s of this process for the sessions (by variant: "
            + ", ".join(cpu_by_variant)
            + "); others took "
            + (f"{others:.0%}" if others is not None else "an unknown share")
            + (" of the machine" if args.core is None else f" of core {args.core}")
            + " meanwhile (a shared machine)",
        ]
        write_json_report(
            args.report,
            "Feedback loop: liked share per page for a simulated user (issue 17)",
            [
                {
                    "caption": f"plain samples of each recipe: share of each style among "
                    f"{PLAIN_SAMPLES}, as {JUDGE} labels them",
                    "columns": ["recipe", *styles, "sessions"],
                    "rows": [
                        [r, *[f"{v:.1%}" for v in plain[r][2]], "yes" if r == chosen else ""]
                        for r in recipes
                    ],
                },
                {
                    "caption": "liked share per page, by style and steering variant",
                    "columns": columns,
                    "rows": rows,
                },
                {
                    "caption": "every style on target",
                    "columns": ["variant", "met", "CPU s"],
                    "rows": summary,
                },
            ],
            notes,
            command="python bench/feedback.py " + " ".join(sys.argv[1:]),
        )

    for name in names:
        steering = VARIANTS[name]
        met, cpu_variant = True, time.process_time()
        for k, style in enumerate(styles):
            if args.styles and style not in args.styles.split(","):
                continue
            sessions = [
                user_session(
                    model, judge, k, steering, seed, SESSIONS_DIR / name / style / str(seed)
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
            slug = name.replace(" ", "").replace(",", "-").replace("(", "").replace(")", "")
            save_grid(
                sessions[0]["pages"], OUT_DIR / "feedback" / "pages" / f"{slug}-{style}.png", 16
            )
        cpu_variant = time.process_time() - cpu_variant
        cpu_by_variant.append(f"{name} {cpu_variant:.0f}")
        summary.append([name, "yes" if met else "no", f"{cpu_variant:.0f}"])
        write(share.stop(), time.process_time() - cpu0)  # after every variant
    return 0


if __name__ == "__main__":
    sys.exit(main())
