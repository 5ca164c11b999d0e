"""``artgan augment``: export a labelled image folder of generated samples (one subfolder per
class, provenance on every file) from a class-conditional model, to enlarge a small dataset."""

from __future__ import annotations

from ..errors import ArtganError
from ..synthetic import write_labelled_folder
from .explore import load_latent_model
from .options import add_device


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("augment", help="write a labelled folder of generated images")
    p.add_argument("run", help="run folder or checkpoint folder of a conditional model")
    p.add_argument("--per-class", type=int, required=True, help="images per class")
    p.add_argument("--out", required=True, help="new (or empty) folder to write")
    p.add_argument("--classes", help="only these classes, e.g. monet,rothko (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--truncation", type=float, default=0.0, help="0 = off")
    add_device(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.truncation < 0:
        raise ArtganError("--truncation must be >= 0")
    model = load_latent_model(args.run, args.device, "augment")
    classes = [c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None
    counts = write_labelled_folder(
        model, args.out, args.per_class, args.seed, args.truncation, classes
    )
    total = sum(counts.values())
    print(f"wrote {total} images in {len(counts)} class folders to {args.out}/")
    return 0
