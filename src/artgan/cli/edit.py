"""``artgan edit``: move an inverted latent (from ``artgan invert``) along a direction of
``artgan explore`` and write the edited image."""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import ArtganError
from ..latent.directions import find_directions
from ..latent.inversion import load_latent
from ..models.conditioning import class_index
from ..provenance import write_image
from ..provenance.record import record_for_model
from ..sample import generate_from_latents, grid_pixels, to_uint8
from .explore import add_direction_options, load_latent_model
from .options import add_device, add_force


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("edit", help="edit an inverted image along a latent direction")
    p.add_argument("run", help="run folder or checkpoint folder")
    p.add_argument("latent", help="latent file written by artgan invert (z.pt)")
    p.add_argument(
        "--direction",
        required=True,
        help="row of artgan explore: a number (sefa), or a class name or number (labels)",
    )
    p.add_argument("--strength", type=float, default=2.0, help="distance moved (default 2)")
    p.add_argument("--out", required=True, help="output image (.png, .jpg, .webp)")
    p.add_argument("--compare", action="store_true", help="write the unedited image beside it")
    add_direction_options(p)
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def run(args) -> int:
    model = load_latent_model(args.run, args.device, "edit", args.force)
    data = load_latent(args.latent, model)
    if args.kind == "sefa":
        try:
            index = int(args.direction)
        except ValueError:
            raise ArtganError(
                f"--direction must be a number for sefa, got {args.direction!r}"
            ) from None
        if not 0 <= index < model.z_dim:
            raise ArtganError(f"--direction must be in 0..{model.z_dim - 1} for this model")
        directions, names = find_directions(model, "sefa", index + 1)
    else:
        directions, names = find_directions(
            model, "labels", classifier=args.classifier, samples=args.samples
        )
        index = class_index(args.direction, [n.split(" (")[0] for n in names])
    z = data["z"]
    edited = z + args.strength * directions[index]
    latents = torch.cat([z, edited]) if args.compare else edited
    labels = data.get("labels")
    if labels is not None:
        labels = labels.expand(len(latents), -1)
    images = generate_from_latents(model, latents, labels=labels)
    record = record_for_model(
        model,
        command="edit",
        latent=Path(args.latent).name,
        kind=args.kind,
        direction=names[index],
        strength=args.strength,
    )
    picture = grid_pixels(images, columns=2) if args.compare else to_uint8(images)[0]
    write_image(picture, Path(args.out), record)
    print(f"moved the latent by {args.strength:g} along {names[index]}; wrote {args.out}")
    return 0
