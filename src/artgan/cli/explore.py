"""``artgan explore``: a sheet of discovered latent directions, one row each.

Each row starts from the same latent (drawn by --seed) and moves it along one direction from
-R to R. ``--kind sefa`` (default): the closed-form directions of the generator's first layer
(SeFa). ``--kind labels``: one direction per class of a classifier (default
``classifier:<the run's data>``), for unconditional models trained on labelled data.
Conditional models keep one class (--class, default the first) while z moves.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import ArtganError
from ..latent.directions import DIRECTION_KINDS, find_directions
from ..models.capabilities import LatentGenerator
from ..provenance import write_image
from ..provenance.record import record_for_model
from ..sample import generate_from_latents, grid_pixels
from ..training.checkpoint import load_model
from .options import add_device, add_force


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("explore", help="show discovered latent directions, a row each")
    p.add_argument("run", help="run folder or checkpoint folder")
    p.add_argument("--out", required=True, help="output image (.png, .jpg, .webp)")
    add_direction_options(p)
    p.add_argument("--count", type=int, default=8, help="SeFa directions shown (default 8)")
    p.add_argument("--range", type=float, default=3.0, dest="extent", metavar="R")
    p.add_argument("--steps", type=int, default=7, help="images per row (default 7)")
    p.add_argument("--seed", type=int, default=0, help="the starting latent (default 0)")
    p.add_argument("--class", dest="class_", metavar="CLASS", help="conditional models: class")
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def add_direction_options(p) -> None:
    p.add_argument(
        "--kind",
        choices=DIRECTION_KINDS,
        default="sefa",
        help="sefa: closed-form directions of the first generator layer (default); labels: one "
        "direction per class, from a classifier's view of generated samples",
    )
    p.add_argument(
        "--classifier",
        help="--kind labels: a classifier extractor (default classifier:<the run's data>)",
    )
    p.add_argument(
        "--samples",
        type=int,
        default=2000,
        help="--kind labels: generated samples classified (default 2000)",
    )


def load_latent_model(run: str, device: str, command: str, allow_nonfinite: bool = False):
    model = load_model(run, device=device, allow_nonfinite=allow_nonfinite)
    if model.output_kind != "image" or not isinstance(model, LatentGenerator):
        raise ArtganError(
            f"{command} needs an image GAN (dcgan, resnet, mlp on images); {run} holds a "
            f"{model.name} model that generates {model.output_kind}"
        )
    return model


def run(args) -> int:
    if args.steps < 2 or args.extent <= 0 or args.count < 1 or args.samples < 10:
        raise ArtganError("need --steps >= 2, --range > 0, --count >= 1 and --samples >= 10")
    model = load_latent_model(args.run, args.device, "explore", args.force)
    directions, names = find_directions(
        model, args.kind, min(args.count, model.z_dim), args.classifier, args.samples, args.seed
    )
    base = model.latents(1, seed=args.seed)  # (1, z_dim)
    values = torch.linspace(-args.extent, args.extent, args.steps)
    z = base + values[None, :, None] * directions[:, None, :]  # (rows, steps, z_dim)
    z = z.reshape(-1, model.z_dim)
    labels = None
    if model.conditional:
        labels = model.labels(args.class_ or 0, len(z))
    elif args.class_:
        raise ArtganError("--class needs a class-conditional model")
    images = generate_from_latents(model, z, labels=labels)
    record = record_for_model(
        model,
        seed=args.seed,
        command="explore",
        kind=args.kind,
        directions=names,
        range=args.extent,
        steps=args.steps,
        **({"class": args.class_} if args.class_ else {}),
    )
    write_image(grid_pixels(images, columns=args.steps), Path(args.out), record)
    print(f"wrote {len(directions)} {args.kind} directions to {args.out}, a row each:")
    for i, name in enumerate(names):
        print(f"  {i}: {name}")
    return 0
