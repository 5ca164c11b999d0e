"""Benchmark: does truncation help each latent family's samples? (issue 16 item 4)

For each family, one small but real run is trained (or an existing run folder is scored with
``--run FAMILY=PATH``), then ``N`` samples are drawn at each truncation value with both methods
of models/truncation.py — ``resample`` (BigGAN: redraw components beyond +-t) and ``scale``
(z -> t z: StyleGAN's psi formula applied to z, i.e. a lower prior temperature) — and scored
against the training data:

- images: FID and KID on the features of the ``classifier:<data>`` extractor (a small CNN
  artgan trains on the labelled data set; not Inception, so not comparable with published
  FIDs), and precision/recall (Kynkaanniemi et al. 2019, k = 3) on the same features, with N
  generated against N training images. The real-vs-real floor (N held-out images) is printed.
- 2-D points (mlp on ring8): modes covered, the high-quality share (metrics/mode_coverage.py)
  and precision/recall on the raw points against N points of the mixture.

"Helps" in the summary means a lower KID than off by more than 2 of KID's subset standard
deviations at some truncation (points: more high-quality samples with no mode lost). The
families' ``truncation_helps`` declarations (models/*.py) follow from the summary.

    python bench/truncation.py                  # every family below (tens of minutes, 1 core)
    python bench/truncation.py --quick          # fewer steps and samples: a smoke run
    python bench/truncation.py --families dcgan,vae --run dcgan=artgan-demo/run
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
from PIL import Image  # noqa: E402

import artgan  # noqa: E402
from artgan.metrics import functional as fn  # noqa: E402
from artgan.metrics.evaluate import data_config, load_real, pick  # noqa: E402
from artgan.metrics.extractors import get_extractor  # noqa: E402
from artgan.metrics.mode_coverage import MIXTURES, mode_coverage  # noqa: E402
from artgan.models.base import make_generator  # noqa: E402
from artgan.models.truncation import truncated_normal  # noqa: E402
from artgan.sample import enlarge_for_display, grid_pixels, quantize  # noqa: E402
from common import OUT_DIR, QUIET_TRAIN, CpuShare, write_json_report  # noqa: E402

TRUNCATIONS = (0.0, 1.5, 1.0, 0.7, 0.5)
METHODS = ("resample", "scale")
# family -> (data source, training overrides for artgan.train, steps for --quick)
FAMILIES: dict[str, tuple[str, dict, int]] = {
    # dcgan: the demo's own recipe (cli/demo.py), where truncation 0.7 was seen to look worse
    "dcgan": (
        "art",
        {
            "model.image_size": 32,
            "model.width": 48,
            "model.z_dim": 64,
            "data.size": 4096,
            "train.steps": 1500,
            "train.batch_size": 64,
            "train.ema_decay": 0.995,
        },
        300,
    ),
    "resnet": ("art", {"preset": "quick", "model.image_size": 32}, 150),
    "vae": ("art", {"preset": "quick"}, 200),
    "vaegan": ("art", {"preset": "quick"}, 100),
    "mlp": ("ring8", {"preset": "quick"}, 1000),
}


def train_run(family: str, quick: bool) -> Path:
    source, overrides, quick_steps = FAMILIES[family]
    run_dir = OUT_DIR / "truncation" / family
    options = {**overrides, **({"train.steps": quick_steps} if quick else {})}
    artgan.train(
        {"model": {"name": family}, "data": {"source": source}, "run_dir": str(run_dir)},
        **{f"train.{k}": v for k, v in QUIET_TRAIN.items()},
        **{"train.device": "cpu", "train.seed": 0, "train.threads": 1},
        **options,
    )
    return run_dir


def draw(model, n: int, t: float, method: str, seed: int = 7) -> torch.Tensor:
    """``n`` samples at truncation ``t`` by ``method`` (the same base draw for every t)."""
    model.eval()
    z = truncated_normal(n, model.z_dim, make_generator(seed, None), t, method)
    with torch.no_grad():
        return torch.cat([model.generate(c).float().cpu() for c in z.split(250)])


def image_rows(model, source: str, n: int) -> tuple[list[list], list]:
    train_all, held_all, _, _ = load_real(model, data_config(model, None))
    n = min(n, len(train_all), len(held_all))
    ref, held_images = pick(train_all, n, 0), pick(held_all, n, 1)
    extractor = get_extractor(f"classifier:{source}")
    f_ref, f_held = extractor(ref), extractor(held_images)
    subset = min(n, 1000) // 2

    def scores(features) -> list:
        k = fn.kid(f_ref, features, subset_size=subset)
        pr = fn.precision_recall(f_ref, features)
        return [
            f"{fn.fid_from_features(f_ref, features):.2f}",
            f"{k.mean * 1e3:.2f} +- {k.std * 1e3:.2f}",
            f"{pr.precision:.3f}",
            f"{pr.recall:.3f}",
        ], k

    floor_cells, _ = scores(f_held)
    rows, kids, sheet = [], [], []
    for method in METHODS:
        for t in TRUNCATIONS:
            if method == "scale" and not 0 < t < 1:
                continue  # scale 1 is off; above 1 widens the prior
            images = draw(model, n, t, method)
            if t in (0, 0.7):
                sheet.append(images[:12])
            cells, k = scores(extractor(quantize(images)))
            rows.append([method if t else "off", f"{t:g}" if t else "-", *cells])
            kids.append((method, t, k))
    rows.append(["real held-out (floor)", "-", *floor_cells])
    # rows of 12: off, resample 0.7, scale 0.7 (the same latents), to look at
    picture = enlarge_for_display(grid_pixels(torch.cat(sheet), columns=12))
    Image.fromarray(picture.squeeze()).save(OUT_DIR / "truncation" / f"{model.name}-sheet.png")
    return rows, kids


def point_rows(model, source: str, n: int) -> tuple[list[list], list]:
    means_fn, std = MIXTURES[source]
    means = torch.as_tensor(means_fn(), dtype=torch.float32)
    g = torch.Generator().manual_seed(0)
    real = means[torch.randint(len(means), (n,), generator=g)] + std * torch.randn(
        n, 2, generator=g
    )
    rows, results = [], []
    for method in METHODS:
        for t in TRUNCATIONS:
            if method == "scale" and not 0 < t < 1:
                continue
            points = draw(model, n, t, method).reshape(n, -1)
            cover = mode_coverage(points, means_fn(), std)
            pr = fn.precision_recall(real, points)
            rows.append(
                [
                    method if t else "off",
                    f"{t:g}" if t else "-",
                    f"{cover['modes']}/{len(means)}",
                    f"{cover['hq_fraction']:.3f}",
                    f"{pr.precision:.3f}",
                    f"{pr.recall:.3f}",
                ]
            )
            results.append((method, t, cover))
    return rows, results


def image_verdict(kids: list) -> str:
    off = next(k for m, t, k in kids if t == 0)
    better = [
        f"{m} {t:g} (KID {k.mean * 1e3:.2f} vs {off.mean * 1e3:.2f})"
        for m, t, k in kids
        if t and k.mean < off.mean - 2 * max(k.std, off.std)
    ]
    return "helps: " + ", ".join(better) if better else "does not help at any t or method"


def point_verdict(results: list) -> str:
    off = next(c for m, t, c in results if t == 0)
    better = [
        f"{m} {t:g} (high quality {c['hq_fraction']:.3f} vs {off['hq_fraction']:.3f})"
        for m, t, c in results
        if t and c["modes"] >= off["modes"] and c["hq_fraction"] > off["hq_fraction"] + 0.02
    ]
    return "helps: " + ", ".join(better) if better else "does not help at any t or method"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--quick", action="store_true", help="fewer steps and samples")
    parser.add_argument("--n", type=int, default=0, help="samples per row (default 2000)")
    parser.add_argument("--run", action="append", default=[], help="FAMILY=RUN_DIR to score")
    args = parser.parse_args()
    torch.set_num_threads(1)
    n = args.n or (500 if args.quick else 2000)
    given = dict(item.split("=", 1) for item in args.run)
    tables = []
    for family in args.families.split(","):
        share = CpuShare().start()
        start = time.perf_counter()
        run_dir = Path(given[family]) if family in given else train_run(family, args.quick)
        model = artgan.load(run_dir)
        source = model_source(run_dir)
        if model.config.name == "mlp":
            columns = ["method", "t", "modes", "high quality", "precision", "recall"]
            rows, results = point_rows(model, source, n)
            verdict = point_verdict(results)
        else:
            columns = ["method", "t", "FID", "KID x 1e3", "precision", "recall"]
            rows, results = image_rows(model, source, n)
            verdict = image_verdict(results)
        other = share.stop()
        caption = (
            f"{family} ({source}, step {model_step(model)}, {n} samples a row; "
            f"{time.perf_counter() - start:.0f} s, others took "
            f"{'?' if other is None else f'{other:.0%}'} of the CPU): {verdict}"
        )
        tables.append({"caption": caption, "columns": columns, "rows": rows})
        print(caption, flush=True)
        for row in rows:
            print("   ", " | ".join(map(str, row)), flush=True)
        write(tables)  # after each family, so a long run keeps what it measured
    return 0


NOTES = [
    "features: classifier:<data> (artgan's small CNN), not Inception; KID +- is the std over "
    "subsets; the same base latents for every row of a family",
    "resample T keeps every z component in [-T, T] (BigGAN); scale T multiplies z by T "
    "(StyleGAN's psi formula on z, a lower prior temperature): equal T is not equal narrowing",
]


def write(tables: list[dict]) -> None:
    """bench/out/truncation.json with these tables, keeping earlier runs' other families."""
    path = OUT_DIR / "truncation.json"
    done = {t["caption"].split(" ")[0] for t in tables}
    earlier = json.loads(path.read_text())["tables"] if path.is_file() else []
    kept = [t for t in earlier if t["caption"].split(" ")[0] not in done]
    write_json_report(
        "truncation",
        "Truncation per family: resample (BigGAN) and scale (psi toward the mean z)",
        kept + tables,
        NOTES,
        command="python bench/truncation.py " + " ".join(sys.argv[1:]),
    )
    print(f"wrote {path}", flush=True)
    return 0


def model_source(run_dir: Path) -> str:
    return json.loads((run_dir / "config.json").read_text())["data"]["source"]


def model_step(model) -> int:
    return model.origin.meta.get("step", 0)


if __name__ == "__main__":
    sys.exit(main())
