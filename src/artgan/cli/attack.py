"""``artgan attack``: adversarial examples against a classifier, written through the output
point, or (``--report``) its accuracy under each attack and epsilon.

Epsilon is on the [0, 1] pixel scale (0.1 = a tenth of the full range; 25 of 255 levels);
artgan's image tensors are in [-1, 1], so the bound on a tensor is 2 * eps.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..attack import (
    METHODS,
    AttackSettings,
    load_target,
    markdown_table,
    robustness_rows,
    run_attack,
    write_attack,
)
from ..attack.targets import EXTRACTOR_PREFIX
from ..errors import ArtganError
from ..models import families_with
from ..models.capabilities import Perturber
from ..models.torchscript import INPUT_RANGES
from ..provenance.record import record_for_model
from ..training.atomic import atomic_write_text
from ..training.checkpoint import load_model
from ..training.trainer import train
from .options import add_device, add_force

DEFAULT_ADVGAN_STEPS = 2000


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "attack",
        help="adversarial examples against a classifier (FGSM, PGD, AdvGAN)",
        description="Attack a classifier with adversarial examples. Epsilon is an L-infinity "
        "bound on the [0, 1] pixel scale (0.1 = a tenth of the range; 2 * eps on artgan's "
        "[-1, 1] tensors).",
        epilog="examples:\n"
        "  artgan attack runs/clf --data fashion-mnist --method pgd --eps 0.1 --out adv/\n"
        "  artgan attack net.pt --data fashion-mnist --method fgsm --eps 0.1 --out adv/\n"
        "  artgan attack runs/clf --data fashion-mnist --method advgan --generator runs/adv "
        "--out adv/\n"
        "  artgan attack runs/clf --data fashion-mnist --report --method fgsm,pgd "
        "--eps 0.1,0.2 --out report/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "target",
        metavar="RUN_OR_MODEL",
        help="the classifier: a classifier run folder, a TorchScript file (.pt), or "
        "classifier:<data> (the CNN artgan trains for its metrics)",
    )
    p.add_argument("--data", required=True, help="labelled images to attack (e.g. fashion-mnist)")
    p.add_argument("--split", default="test", help="train or test (default test)")
    p.add_argument("--n", type=int, default=256, help="how many images, the first of the split")
    p.add_argument(
        "--method", default="pgd", help=f"{', '.join(METHODS)}; with --report a comma list"
    )
    p.add_argument("--eps", default=None, help="L-inf bound in [0, 1] pixels (default 0.1)")
    p.add_argument("--steps", type=int, default=40, help="PGD steps (default 40)")
    p.add_argument(
        "--step-size", type=float, default=None, help="PGD step, pixel scale (2.5 * eps / steps)"
    )
    p.add_argument("--no-random-start", action="store_true", help="PGD starts at the image itself")
    p.add_argument("--seed", type=int, default=0, help="PGD's random start (default 0)")
    p.add_argument(
        "--generator",
        metavar="RUN",
        help="advgan: a trained AdvGAN run; without it one is trained against the target",
    )
    p.add_argument(
        "--train-steps",
        type=int,
        default=DEFAULT_ADVGAN_STEPS,
        help=f"advgan without --generator: steps of the AdvGAN run it trains "
        f"(default {DEFAULT_ADVGAN_STEPS})",
    )
    p.add_argument(
        "--input-range",
        default="-1,1",
        choices=INPUT_RANGES,
        help="a TorchScript model's input range: -1,1 (artgan's, default) or 0,1",
    )
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument(
        "--report",
        action="store_true",
        help="write robustness.md/.json: accuracy under each --method and --eps (comma lists)",
    )
    p.add_argument("--out", required=True, help="output folder")
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def split_list(text: str, what: str) -> list[str]:
    items = [item.strip() for item in str(text).split(",") if item.strip()]
    if not items:
        raise ArtganError(f"{what} is empty")
    return items


def parse_eps(text: str | None) -> list[float]:
    values = []
    for item in split_list(text or "0.1", "--eps"):
        try:
            values.append(float(item))
        except ValueError:
            raise ArtganError(f"--eps must be numbers in (0, 1], got {item!r}") from None
    return values


def load_perturber(path: str, device: str, force: bool) -> Perturber:
    model = load_model(path, device=device, allow_nonfinite=force)
    if not isinstance(model, Perturber):
        raise ArtganError(
            f"{path} holds a {model.name} model; --generator takes an AdvGAN run "
            f"({', '.join(families_with(Perturber))}: artgan train --model advgan --target RUN "
            "--data DATA --eps 0.1)"
        )
    return model


def train_perturber(args, eps: float, input_shape: tuple[int, int, int]) -> str:
    """An AdvGAN run trained now against the target, on the training split of --data at the
    target's image size and colour."""
    if args.target.startswith(EXTRACTOR_PREFIX):
        raise ArtganError(
            f"an AdvGAN is trained against a classifier run or a TorchScript file, not "
            f"{args.target}; pass --generator RUN or attack with --method fgsm or pgd"
        )
    print(f"training an AdvGAN against {args.target} at eps {eps:g} ({args.train_steps} steps)")
    run_dir = train(
        model="advgan",
        data=args.data,
        steps=args.train_steps,
        device=args.device,
        **{
            "model.target": str(args.target),
            "model.eps": eps,
            "model.target_range": args.input_range,
            "image_size": input_shape[-1],
            "data.color": "grey" if input_shape[0] == 1 else "rgb",
            "train.progress": False,
        },
    )
    print(f"AdvGAN run: {run_dir} (reuse it with --generator {run_dir})")
    return str(run_dir)


def generator_for(args, eps: float, input_shape) -> tuple[Perturber, dict]:
    path = args.generator or train_perturber(args, eps, input_shape)
    perturber = load_perturber(path, args.device, args.force)
    record = record_for_model(perturber)
    fields = {"generator": path, "generator_weights_sha256": record.weights_sha256}
    if eps > perturber.eps + 1e-9:
        print(
            f"note: the AdvGAN run was trained at eps {perturber.eps:g}; its perturbations stay "
            f"within that, below --eps {eps:g}",
            file=sys.stderr,
        )
    return perturber, fields


def run(args) -> int:
    methods = split_list(args.method, "--method")
    eps_values = parse_eps(args.eps)
    pgd = {
        "steps": args.steps,
        "step_size": args.step_size,
        "random_start": not args.no_random_start,
        "seed": args.seed,
    }
    for method in methods:  # every option checked before any work
        for eps in eps_values:
            AttackSettings(method, eps, **pgd)
    if not args.report and (len(methods) > 1 or len(eps_values) > 1):
        raise ArtganError("several methods or epsilons make a table: add --report")
    if args.generator and "advgan" not in methods:
        raise ArtganError("--generator is for --method advgan")
    out = Path(args.out)
    if out.suffix:
        raise ArtganError(f"--out is a folder (adversarial images and a sheet), got {out}")
    target, images = load_target(
        args.target, args.data, args.split, args.n, args.device, args.input_range
    )
    shape = tuple(images.x.shape[1:])
    generators = {eps: generator_for(args, eps, shape) for eps in eps_values if "advgan" in methods}
    if args.report:
        return write_report(args, target, images, methods, eps_values, generators, pgd)
    settings = AttackSettings(methods[0], eps_values[0], **pgd)
    perturber, fields = generators.get(settings.eps, (None, {}))
    result = run_attack(target.classifier, images.x, images.y, settings, perturber, args.batch_size)
    summary = write_attack(out, target, images, result, fields)
    success = summary["success_rate"]
    print(
        f"{settings.method} eps {settings.eps:g} on {result.n} images: accuracy "
        f"{result.clean_accuracy:.1%} -> {result.accuracy:.1%}, success rate "
        f"{'n/a' if success is None else f'{success:.1%}'}; wrote {result.n} adversarial "
        f"images, sheet.png and attack.json to {out}/"
    )
    return 0


def write_report(args, target, images, methods, eps_values, generators, pgd) -> int:
    perturbers = {eps: pair[0] for eps, pair in generators.items()}
    rows = robustness_rows(
        target.classifier,
        images.x,
        images.y,
        methods,
        eps_values,
        perturbers,
        args.batch_size,
        **pgd,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"target": target.source, "data": images.source, "split": images.split, "rows": rows}
    atomic_write_text(out / "robustness.json", json.dumps(report, indent=2) + "\n")
    table = markdown_table(rows, f"Robustness of {target.source} on {images.source}")
    atomic_write_text(out / "robustness.md", table)
    print(table, end="")
    print(f"wrote {out}/robustness.md and robustness.json")
    return 0
