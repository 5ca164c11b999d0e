"""``artgan traverse``: latent traversals, one row per latent dimension.

Each row starts from the same base latent (the prior's mean, 0, or a random draw by --seed) and
sweeps one dimension over evenly spaced values from -R to R, holding the others fixed: the
usual way to see what a VAE's (or beta-VAE's) dimensions encode (Higgins et al. 2017). Works
for any image model with a latent vector (vae, vaegan, the GANs).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import ArtganError
from ..models.capabilities import LatentGenerator
from ..provenance import write_image
from ..provenance.record import record_for_model
from ..sample import generate_from_latents, grid_pixels
from ..training.checkpoint import load_model
from .options import add_device, add_force

DEFAULT_ROWS = 8


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("traverse", help="sweep latent dimensions, one row each")
    p.add_argument("run", help="run folder or checkpoint folder")
    p.add_argument(
        "--dim",
        help="dimensions, one row each: 0..7 (inclusive), 0,3,5 or a mix "
        f"(default: the first {DEFAULT_ROWS})",
    )
    p.add_argument(
        "--range",
        type=float,
        default=3.0,
        dest="extent",
        metavar="R",
        help="sweep from -R to R (default 3)",
    )
    p.add_argument("--steps", type=int, default=7, help="values per row (default 7)")
    p.add_argument(
        "--base",
        choices=("zero", "random"),
        default="zero",
        help="the latent the rows start from: zero (the prior's mean, default) or a "
        "random draw by --seed",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output image (.png, .jpg, .webp)")
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def parse_dims(text: str, z_dim: int) -> list[int]:
    """``"0..7"`` -> [0, ..., 7]; ``"0,3,5"``; ``"0..2,9"``; each below ``z_dim``."""
    dims: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        try:
            if ".." in part:
                first, last = (int(v) for v in part.split(".."))
                if last < first:
                    raise ValueError
                dims.extend(range(first, last + 1))
            else:
                dims.append(int(part))
        except ValueError:
            raise ArtganError(
                f"--dim {text!r}: use a range like 0..7 or a list like 0,3,5"
            ) from None
    bad = [d for d in dims if not 0 <= d < z_dim]
    if bad:
        raise ArtganError(f"--dim {text!r}: the model has latent dimensions 0..{z_dim - 1}")
    return dims


def traversal_latents(base: torch.Tensor, dims: list[int], values: torch.Tensor) -> torch.Tensor:
    """(len(dims) * len(values), z_dim): row r sets dimension dims[r] of ``base`` to each value."""
    z = base.reshape(1, 1, -1).repeat(len(dims), len(values), 1)  # (rows, steps, z_dim)
    for row, d in enumerate(dims):
        z[row, :, d] = values
    return z.reshape(len(dims) * len(values), -1)


def run(args) -> int:
    if args.steps < 2 or args.extent <= 0:
        raise ArtganError("need --steps >= 2 and --range > 0")
    model = load_model(args.run, device=args.device, allow_nonfinite=args.force)
    if model.output_kind != "image" or not isinstance(model, LatentGenerator):
        raise ArtganError(
            f"traverse needs an image model with a latent vector; {args.run} holds "
            f"a {model.name} model"
        )
    if args.dim is None:
        dims = list(range(min(DEFAULT_ROWS, model.z_dim)))
    else:
        dims = parse_dims(args.dim, model.z_dim)
    if args.base == "random":
        base = model.latents(1, seed=args.seed)[0]
    else:
        base = torch.zeros(model.z_dim)
    values = torch.linspace(-args.extent, args.extent, args.steps)
    images = generate_from_latents(model, traversal_latents(base, dims, values))
    record = record_for_model(
        model,
        seed=args.seed if args.base == "random" else None,
        command="traverse",
        dims=dims,
        range=args.extent,
        steps=args.steps,
        base=args.base,
    )
    write_image(grid_pixels(images, columns=args.steps), Path(args.out), record)
    print(
        f"wrote a traversal of {len(dims)} latent dimensions ({args.steps} values from "
        f"{-args.extent:g} to {args.extent:g}) to {args.out}"
    )
    return 0
