"""Benchmark: adversarial examples against a Fashion-MNIST classifier (issue 19).

Table 1: success rates of FGSM, PGD-40 (L-infinity, random start, step 2.5 * eps / 40) and
AdvGAN (one forward pass of a generator trained against the classifier: semi-white-box) at
eps = 0.1 and 0.2 on the [0, 1] pixel scale, on the first --n images of Fashion-MNIST's test
split, with images per CPU second of making the examples (time.process_time of this process,
torch on one thread, every attack timed in this same script). Success rate: among the images
the classifier gets right, the fraction the attack makes it get wrong (as the saved 8-bit
images are classified).

Table 2: the robustness report of the same classifier and of one trained with PGD adversarial
training (Madry et al. 2018; ``--model.adversarial.eps``): accuracy on clean images and under
FGSM and PGD-40 at each eps.

Published context (MNIST, eps = 0.3, other networks): AdvGAN about 97-98 % semi-white-box
success (Xiao et al. 2018, Table 1); Madry et al.'s adversarially trained MNIST network keeps
89 % against PGD-100 at 0.3.

Runs: --classifier, --robust and --advgan EPS=RUN name finished runs; a missing one is trained
here into --work (classifier 2000 steps; robust 1000 steps with 5 PGD steps at eps 0.1;
AdvGAN 600 steps a eps). Sheets of clean / adversarial / perturbation rows for each attack at
each eps go to bench/out/attack/.

    python bench/attack.py --classifier runs/clf --robust runs/clf-pgd \\
        --advgan 0.1=runs/adv-0.1 --advgan 0.2=runs/adv-0.2 --n 1000
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads stall a busy box

import argparse  # noqa: E402
import json  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

import artgan  # noqa: E402
from artgan.attack import AttackSettings, load_target, run_attack  # noqa: E402
from artgan.attack.write import SHEET_COLUMNS, attack_record, sheet_rows  # noqa: E402
from artgan.provenance import write_image  # noqa: E402
from artgan.sample import grid_pixels  # noqa: E402
from artgan.training.checkpoint import load_model  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT_DIR, CpuShare, write_json_report  # noqa: E402

EPS = (0.1, 0.2)
PGD_STEPS = 40
QUIET = {"train.progress": False, "train.tensorboard": False, "train.threads": 1}


def trained(path: str | None, work: Path, name: str, **settings) -> str:
    """``path``, or a run trained now into ``work/name`` (kept for a later --reuse)."""
    if path:
        return path
    run_dir = work / name
    if not (run_dir / "LATEST").exists():
        artgan.train(data="fashion-mnist", run_dir=str(run_dir), **QUIET, **settings)
    return str(run_dir)


def write_sheet(target, images, result, name: str) -> Path:
    path = OUT_DIR / "attack" / f"sheet-{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet = grid_pixels(sheet_rows(result), columns=SHEET_COLUMNS)
    write_image(sheet, path, attack_record(target, images, result, sheet=name))
    return path


def percent(value) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def timing_note(others: float | None) -> str:
    """What the images-per-CPU-second column means, with the load measured while it was timed."""
    load = f"{others:.0%}" if others is not None else "an unknown share"
    return (
        "images / CPU s: CPU seconds (time.process_time, torch on 1 thread) of making the "
        f"adversarial images, all attacks measured in this script; other processes used {load} "
        "of the machine's CPU meanwhile, which inflates CPU seconds less than wall time"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifier", help="a classifier run on fashion-mnist (grey, 28 px)")
    parser.add_argument("--robust", help="the same classifier trained with PGD (Madry et al.)")
    parser.add_argument("--advgan", action="append", default=[], metavar="EPS=RUN")
    parser.add_argument("--n", type=int, default=1000, help="test images (default 1000)")
    parser.add_argument("--work", default=str(OUT_DIR / "attack-runs"))
    args = parser.parse_args()
    torch.set_num_threads(1)  # CPU seconds comparable between the attacks
    work = Path(args.work)
    color = {"data.color": "grey"}
    clf = trained(args.classifier, work, "clf", model="classifier", steps=2000, **color)
    robust_settings = {"model.adversarial.eps": 0.1, "model.adversarial.steps": 5}
    robust = trained(
        args.robust, work, "clf-pgd", model="classifier", steps=1000, **color, **robust_settings
    )
    given = {float(k): v for k, v in (item.split("=", 1) for item in args.advgan)}
    generators = {}
    for eps in EPS:
        run = trained(
            given.get(eps),
            work,
            f"advgan-{eps}",
            model="advgan",
            steps=600,
            **color,
            **{"model.target": clf, "model.eps": eps},
        )
        generators[eps] = load_model(run)

    target, images = load_target(clf, "fashion-mnist", "test", args.n)
    share = CpuShare().start()  # what others took of the machine while the attacks were timed
    attack_rows, rows_json = [], []
    for eps in EPS:
        for method in ("fgsm", "pgd", "advgan"):
            settings = AttackSettings(method, eps, steps=PGD_STEPS)
            result = run_attack(target.classifier, images.x, images.y, settings, generators[eps])
            summary = result.summary()
            rows_json.append(summary)
            name = {"fgsm": "FGSM", "pgd": f"PGD-{PGD_STEPS}", "advgan": "AdvGAN"}[method]
            attack_rows.append(
                [
                    name,
                    eps,
                    percent(summary["success_rate"]),
                    percent(summary["accuracy"]),
                    f"{summary['images_per_cpu_second']:.0f}",
                    f"{summary['cpu_seconds']:.2f}",
                ]
            )
            write_sheet(target, images, result, f"{method}-{eps}")
            print(attack_rows[-1], flush=True)

    robustness_rows = []
    for label, run in (("standard training", clf), ("PGD adversarial training (eps 0.1)", robust)):
        model_target, model_images = load_target(run, "fashion-mnist", "test", args.n)
        clean, cells = None, []
        for eps in EPS:
            for method in ("fgsm", "pgd"):
                settings = AttackSettings(method, eps, steps=PGD_STEPS)
                result = run_attack(
                    model_target.classifier, model_images.x, model_images.y, settings
                )
                clean = result.clean_accuracy
                cells.append(percent(result.accuracy))
                rows_json.append({"classifier": label, **result.summary()})
        robustness_rows.append([label, percent(clean), *cells])
        print(robustness_rows[-1], flush=True)

    others = share.stop()
    clean_accuracy = rows_json[0]["clean_accuracy"]
    tables = [
        {
            "caption": f"Attacks on a Fashion-MNIST classifier ({clf}; clean accuracy "
            f"{percent(clean_accuracy)} on the first {args.n} test images)",
            "columns": [
                "attack",
                "eps",
                "success rate",
                "accuracy under attack",
                "images / CPU s",
                "CPU s",
            ],
            "rows": attack_rows,
        },
        {
            "caption": "Robustness report: accuracy on clean images and under attack, before and "
            "after PGD adversarial training",
            "columns": ["classifier", "clean", "FGSM 0.1", "PGD-40 0.1", "FGSM 0.2", "PGD-40 0.2"],
            "rows": robustness_rows,
        },
    ]
    notes = [
        "eps on the [0, 1] pixel scale (2 * eps on artgan's [-1, 1] tensors); every adversarial "
        "image is checked inside it after rounding to 8 bits",
        timing_note(others),
        "AdvGAN: semi-white-box (the generator was trained against this classifier; attacking "
        "needs only its forward pass)",
        "published context (MNIST, eps 0.3): AdvGAN 97-98 % semi-white-box (Xiao et al. 2018)",
    ]
    command = "python bench/attack.py " + shlex.join(sys.argv[1:])
    path = write_json_report("attack", "Adversarial examples", tables, notes, command)
    (OUT_DIR / "attack" / "rows.json").write_text(json.dumps(rows_json, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
