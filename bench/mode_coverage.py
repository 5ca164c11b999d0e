"""Benchmark: mode coverage on the standard 2-D protocol (Metz et al. 2017; VEEGAN; PacGAN).

``ring8``: 8 Gaussians on the unit circle at angles 2*pi*i/8, std 0.01; ``grid25``: 25 Gaussians
at {-4, -2, 0, 2, 4}^2, std 0.05. Each run trains artgan's MLP GAN with the shipped default 2-D
configuration (models/mlp.py ``POINT_DEFAULTS``), changing only the objective/stabiliser of the
row, which brings that objective's recipe as a user's run would (losses/recipes.py: for 2-D
points WGAN-GP's authors' 2-D settings, 5 critic steps; PacGAN's batch counted in packed
samples), then scores 2,500 samples of the EMA generator (metrics/mode_coverage.py): modes with at
least one high-quality sample (within 3 std of its nearest mean), the high-quality share, and
the reverse KL of the high-quality mode histogram against uniform. Mean +- std over the seeds,
printed beside the published rows. Wall and CPU seconds cover the whole ``artgan.train`` call
(setup, training, final checkpoint and preview); the table says what share of the CPU other
processes took meanwhile, since a shared machine inflates wall time.

    python bench/mode_coverage.py              # 6 rows x 2 mixtures x 5 seeds: hours on 2 cores
    python bench/mode_coverage.py --quick      # one seed, 1,000 steps: a few minutes
    python bench/mode_coverage.py --rows default --jobs 2   # the target check of the default
    python bench/mode_coverage.py --resume     # run only what the last runs log lacks
    python bench/mode_coverage.py --report-only   # the table of the runs logged so far

Every row trains for the same number of generator steps; WGAN-GP's 5 critic steps per generator
step (each with a gradient penalty) make its runs about five times as long.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # small ops spin otherwise on a busy box

from common import OUT_DIR, CpuShare, markdown_table, write_json_report  # noqa: E402

# Rows: the objective/stabiliser overrides applied on top of the default 2-D configuration.
ROWS: dict[str, dict[str, object]] = {
    "GAN (BCE)": {"model.objective.pack": 1},
    "WGAN-GP": {"model.objective.loss": "wgan-gp", "model.objective.pack": 1},
    "hinge": {"model.objective.loss": "hinge", "model.objective.pack": 1},
    "PacGAN4 (BCE)": {"model.objective.pack": 4, "model.objective.minibatch_std": False},
    "minibatch std (BCE)": {"model.objective.pack": 1, "model.objective.minibatch_std": True},
    "default": {},
}

# Published figures (ring modes, ring %HQ, grid modes, grid %HQ, grid reverse KL, source).
PUBLISHED = [
    ("GAN", 1, 99.3, 3.3, 0.5, None, "VEEGAN Table 1"),
    ("Unrolled GAN", 7.6, 35.6, 23.6, 16, None, "VEEGAN Table 1"),
    ("VEEGAN", 8, 52.9, 24.6, 40, None, "VEEGAN Table 1"),
    ("WGAN-GP", 6.8, 59.6, 24.2, 28.7, None, "GDPP Table 1"),
    ("PacGAN4", 7.8, 95.9, 24.8, 93.6, 0.04, "PacGAN Table 1"),
]

MIXTURES = ("ring8", "grid25")
TARGET = ">= 95 % high-quality, reverse KL <= 0.05"


def run_one(row: str, data: str, seed: int, steps: int, threads: int, keep: bool) -> dict:
    """Train one model and score it; runs in a worker process (own torch threads)."""
    import torch

    import artgan
    from artgan.metrics.mode_coverage import score_mixture
    from artgan.training.checkpoint import load_model

    torch.set_num_threads(threads)
    run_dir = OUT_DIR / "mode_coverage" / f"{slug(row)}-{data}-{seed}"
    shutil.rmtree(run_dir, ignore_errors=True)
    overrides = {
        **ROWS[row],
        "data": data,
        "seed": seed,
        "device": "cpu",
        "train.progress": False,
        "train.tensorboard": False,
        "run_dir": str(run_dir),
    }
    if steps:
        overrides["steps"] = steps
    wall, cpu = time.perf_counter(), time.process_time()
    artgan.train(None, **overrides)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    model = load_model(run_dir)  # the EMA generator
    score = score_mixture(model, data, n=2500, seed=10_000 + seed)
    config = json.loads((run_dir / "config.json").read_text())
    if not keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return {
        "row": row,
        "data": data,
        "seed": seed,
        "steps": config["train"]["steps"],
        "wall_s": wall,
        "cpu_s": cpu,
        "steps_per_s": config["train"]["steps"] / wall,
        **score,
    }


def duplicates(rows: list[str]) -> dict[str, str]:
    """{row: earlier row} for rows that resolve to the same run configuration."""
    from artgan.training.run import build_run_config

    seen: dict[str, str] = {}
    same_as = {}
    # "default" is the original when another row matches it, so its runs keep its name.
    for row in sorted(rows, key=lambda r: r != "default"):
        key = json.dumps(build_run_config(None, {**ROWS[row], "data": "ring8"}).to_dict())
        if key in seen:
            same_as[row] = seen[key]
        else:
            seen[key] = row
    return same_as


def finished_runs(runs_log, jobs: list[tuple[str, str, int]], steps: int) -> list[dict]:
    """The runs of an earlier invocation's log that match a planned job and step budget (a run
    killed half-way never reached the log, so it is simply run again). ``steps`` 0: each row's
    own budget (a recipe may set it, as PacGAN's 2-D one does)."""
    from artgan.training.run import build_run_config

    planned = set(jobs)
    if not runs_log.exists():
        return []
    wanted = {
        (row, data): steps or build_run_config(None, {**ROWS[row], "data": data}).train.steps
        for row, data, _ in planned
    }
    runs = [json.loads(line) for line in runs_log.read_text().splitlines() if line.strip()]
    latest = {}  # the last finished run of each job wins
    for r in runs:
        job = (r["row"], r["data"], r["seed"])
        if job in planned and r["steps"] == wanted[job[:2]]:
            latest[job] = r
    return list(latest.values())


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def mean_std(values: list[float], digits: int) -> str:
    values = [v for v in values if v == v]  # drop NaN (no high-quality sample at all)
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def summarize(results: list[dict], rows: list[str]) -> list[list]:
    table = []
    for row in rows:
        cells: list = [row]
        for data in MIXTURES:
            runs = [r for r in results if r["row"] == row and r["data"] == data]
            cells += [
                mean_std([r["modes"] for r in runs], 1),
                mean_std([100 * r["hq_fraction"] for r in runs], 1),
                mean_std([r["reverse_kl"] for r in runs], 3),
            ]
        runs = [r for r in results if r["row"] == row]
        counts = [len([r for r in runs if r["data"] == data]) for data in MIXTURES]
        seeds_run = (
            f"{counts[0]} seed{'s' if counts[0] != 1 else ''}"
            if counts[0] == counts[1]
            else f"{counts[0]} ring / {counts[1]} grid seeds"
        )
        cells += [
            mean_std([r["wall_s"] for r in runs], 0),
            mean_std([r["cpu_s"] for r in runs], 0),
            f"artgan, {seeds_run}",
        ]
        table.append(cells)
    for name, rm, rhq, gm, ghq, gkl, source in PUBLISHED:
        gkl_text = "" if gkl is None else f"{gkl}"
        table.append([name, rm, rhq, "", gm, ghq, gkl_text, "", "", source])
    return table


def target_check(results: list[dict]) -> list[str]:
    """One line per mixture: whether every seed of the default row meets the target."""
    lines = []
    for data, modes in (("ring8", 8), ("grid25", 25)):
        runs = [r for r in results if r["row"] == "default" and r["data"] == data]
        if not runs:
            continue
        ok = [
            r["modes"] == modes and r["hq_fraction"] >= 0.95 and r["reverse_kl"] <= 0.05
            for r in runs
        ]
        worst = min(runs, key=lambda r: r["hq_fraction"])
        lines.append(
            f"default on {data}: {sum(ok)}/{len(runs)} seeds meet the target "
            f"({modes}/{modes} modes, {TARGET}); "
            f"worst seed {worst['seed']}: {worst['modes']} modes, "
            f"{100 * worst['hq_fraction']:.1f} % HQ, reverse KL {worst['reverse_kl']:.3f}; "
            f"slowest run {max(r['wall_s'] for r in runs):.0f} s wall, "
            f"{max(r['cpu_s'] for r in runs):.0f} s CPU"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, 1,000 steps")
    parser.add_argument(
        "--rows", default="", help=f"comma list of rows (default all): {', '.join(ROWS)}"
    )
    parser.add_argument("--data", default=",".join(MIXTURES), help="ring8,grid25")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--steps", type=int, default=0, help="0 = the default configuration's")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (processes)")
    parser.add_argument("--keep", action="store_true", help="keep the run folders")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="reuse the finished runs in bench/out/mode_coverage_runs.jsonl (same row, data, "
        "seed and steps) and run only the missing ones",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="train nothing: the table of the finished runs in the log (rows may have fewer "
        "seeds than asked; the source column says how many)",
    )
    args = parser.parse_args(argv)

    rows = [r.strip() for r in args.rows.split(",") if r.strip()] if args.rows else list(ROWS)
    by_slug = {slug(r): r for r in ROWS}
    rows = [by_slug.get(slug(r), r) for r in rows]
    unknown = [r for r in rows if r not in ROWS]
    mixtures = [d.strip() for d in args.data.split(",") if d.strip()]
    if unknown or not set(mixtures) <= set(MIXTURES):
        parser.error(f"rows must be among {', '.join(ROWS)}; data among {', '.join(MIXTURES)}")
    seeds = [0] if args.quick else [int(s) for s in args.seeds.split(",")]
    steps = args.steps or (1000 if args.quick else 0)

    # Rows whose overrides resolve to the same configuration as an earlier row are run once.
    same_as = duplicates(rows)
    # seed by seed, so that a run stopped part-way has both mixtures on its first seeds
    jobs = [(r, d, s) for r in rows if r not in same_as for s in seeds for d in mixtures]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    runs_log = OUT_DIR / "mode_coverage_runs.jsonl"  # one line per finished run, as it finishes
    results = finished_runs(runs_log, jobs, steps) if args.resume or args.report_only else []
    done = {(r["row"], r["data"], r["seed"]) for r in results}
    jobs = [] if args.report_only else [job for job in jobs if job not in done]
    if results:
        print(f"reusing {len(results)} finished run(s) from {runs_log}; {len(jobs)} to run")
    if not (args.resume or args.report_only):
        runs_log.write_text("")  # a fresh table; resumed runs append to the log
    share = CpuShare().start()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [
            pool.submit(run_one, row, data, seed, steps, args.threads, args.keep)
            for row, data, seed in jobs
        ]
        for future in as_completed(futures):
            r = future.result()
            results.append(r)
            with runs_log.open("a") as log:
                log.write(json.dumps(r) + "\n")
            print(
                f"{r['row']:>20} {r['data']:>6} seed {r['seed']}: {r['modes']:2d} modes, "
                f"{100 * r['hq_fraction']:5.1f} % HQ, rev-KL {r['reverse_kl']:.3f}, "
                f"{r['wall_s']:.0f} s wall, {r['cpu_s']:.0f} s CPU, "
                f"{r['steps_per_s']:.0f} steps/s",
                flush=True,
            )
    others = share.stop()
    for row, original in same_as.items():
        results += [{**r, "row": row} for r in results if r["row"] == original]

    columns = [
        "method",
        "ring modes",
        "ring %HQ",
        "ring rev-KL",
        "grid modes",
        "grid %HQ",
        "grid rev-KL",
        "wall s / run",
        "CPU s / run",
        "source",
    ]
    table = summarize(results, rows)
    how = (
        "runs logged by earlier invocations (--report-only), each timed under whatever else "
        "ran on the machine then"
        if args.report_only
        else f"{args.threads} torch thread(s) per run, {args.jobs} run(s) at a time"
    )
    notes = [
        f"seeds {', '.join(map(str, seeds))} (a row with fewer finished runs says so); "
        + (
            f"{steps} steps per run"
            if steps
            else "each row's own step budget (the default configuration's, or its recipe's)"
        )
        + f"; {how}.",
        "Every artgan row uses the default 2-D configuration (models/mlp.py POINT_DEFAULTS: "
        "architecture, optimizer, batch, EMA, step budget) and changes only the objective, "
        "which brings its recipe where it has one (losses/recipes.py: WGAN-GP its authors' "
        "2-D settings, Adam(0.5, 0.9) at 5e-4, 5 critic steps, penalty 0.1, no R1; PacGAN4 its "
        "authors' 2-D batch, 100 packed samples = 400 points a step, and 32k steps instead of "
        "16k); samples come from the EMA generator. Published rows are the papers' own "
        "settings; PacGAN's are means of 10 trials (its paper gives their standard errors).",
        *target_check(results),
        *[
            f"{row} is the same configuration as {original} (run once)"
            for row, original in same_as.items()
        ],
    ]
    if others is not None and jobs:
        notes.append(f"other processes used {100 * others:.0f} % of the machine's CPU meanwhile")
    print()
    print("\n".join(markdown_table(columns, table)))
    print("\n".join(notes))
    path = write_json_report(
        "mode_coverage",
        "Mode coverage on ring8 and grid25",
        [
            {
                "caption": "mean ± std over seeds; published rows below",
                "columns": columns,
                "rows": table,
            }
        ],
        notes,
        command="python bench/mode_coverage.py" + (" --quick" if args.quick else ""),
    )
    print(f"wrote {path} and {runs_log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
