"""``artgan augment``: export a labelled image folder of generated samples (one subfolder per
class, provenance on every file) from a class-conditional model, to enlarge a small dataset.

``--filter`` keeps the samples a small CNN trained on the real images is most confident of
(``--oversample`` candidates per kept image); ``--choose-ratio`` picks the share of generated
images per training batch on a validation split of the real images and records it in
``labels.json`` (see synthetic_selection.py)."""

from __future__ import annotations

from ..errors import ArtganError
from ..models.conditioning import require_conditional
from ..synthetic import add_to_labels, write_labelled_folder
from ..synthetic_selection import (
    ClassifierRecipe,
    ConfidenceJudge,
    choose_ratio,
    real_labelled_images,
)
from .explore import load_latent_model
from .options import add_device, add_force, say_truncation_note


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("augment", help="write a labelled folder of generated images")
    p.add_argument("run", help="run folder or checkpoint folder of a conditional model")
    p.add_argument("--per-class", type=int, required=True, help="images per class")
    p.add_argument("--out", required=True, help="new (or empty) folder to write")
    p.add_argument("--classes", help="only these classes, e.g. monet,rothko (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--truncation", type=float, default=0.0, help="0 = off")
    p.add_argument(
        "--filter",
        action="store_true",
        help="keep the samples a small CNN trained on the real images is most sure show "
        "their class",
    )
    p.add_argument(
        "--oversample", type=int, help="with --filter: candidates per kept image (default 2)"
    )
    p.add_argument(
        "--choose-ratio",
        action="store_true",
        help="choose the share of generated images per training batch on a validation split "
        "of the real images; printed and recorded in labels.json",
    )
    p.add_argument("--real", help="labelled real images (default: the run's training data)")
    p.add_argument(
        "--classifier-steps", type=int, default=400, help="training steps of the small CNN"
    )
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.truncation < 0:
        raise ArtganError("--truncation must be >= 0")
    if args.oversample is not None and not args.filter:
        raise ArtganError("--oversample sets how many candidates --filter judges; add --filter")
    if args.oversample is not None and args.oversample < 1:
        raise ArtganError("--oversample must be at least 1")
    if args.real and not (args.filter or args.choose_ratio):
        raise ArtganError("--real is the data for --filter or --choose-ratio; add one of them")
    model = load_latent_model(args.run, args.device, "augment", args.force)
    say_truncation_note(model, args.truncation)
    classes = [c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None
    recipe = ClassifierRecipe(steps=args.classifier_steps)
    judge, real = None, None
    if args.filter or args.choose_ratio:
        require_conditional(model, "augment")  # before loading the real images
        real = real_labelled_images(model, args.real)
    if args.filter:
        judge = ConfidenceJudge.train(*real, len(model.class_names), recipe, args.seed)
    export = write_labelled_folder(
        model,
        args.out,
        args.per_class,
        args.seed,
        args.truncation,
        classes,
        judge=judge,
        oversample=(args.oversample or 2) if args.filter else 1,
    )
    total = sum(export.counts.values())
    kept = f", the most confident of {export.candidates_per_class} per class" if judge else ""
    print(f"wrote {total} images in {len(export.counts)} class folders to {args.out}/{kept}")
    if args.choose_ratio:
        choice = choose_ratio(
            real, (export.images, export.labels), len(model.class_names), recipe=recipe
        )
        scores = ", ".join(f"{r:g}: {a:.1%}" for r, a in choice.validation_accuracy.items())
        print(
            f"generated share of each training batch chosen on {choice.validation_images} "
            f"held-back real images: {choice.ratio:g} (validation accuracy {scores})"
        )
        accuracy = {f"{r:g}": a for r, a in choice.validation_accuracy.items()}
        add_to_labels(args.out, mix_ratio=choice.ratio, mix_ratio_validation_accuracy=accuracy)
    return 0
