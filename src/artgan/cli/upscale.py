"""``artgan upscale``: enlarge an image with a trained super-resolution model (srresnet, srgan).

The image is processed in overlapping tiles whose seams are blended with feathered weights
(artgan.tiling), so memory stays bounded for any size: a 4000 x 4000 output needs the output's
float accumulator (about 256 MB) plus one tile's activations.
"""

from __future__ import annotations

from pathlib import Path

from ..data.image_file import read_image
from ..errors import ArtganError
from ..models import families_with
from ..models.capabilities import Upscaler
from ..provenance import write_image
from ..provenance.record import record_for_model
from ..training.checkpoint import load_model
from ..upscale import upscale_image
from .options import add_device, add_force

DEFAULT_MAX_MEGAPIXELS = 100.0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("upscale", help="enlarge an image with a super-resolution run")
    p.add_argument("run", help="srresnet or srgan run folder (or checkpoint folder)")
    p.add_argument("image", help="the image to enlarge")
    p.add_argument("--out", required=True, help="output image (.png, .jpg, .webp)")
    add_tiling_options(p)
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def add_tiling_options(p) -> None:
    p.add_argument("--tile", type=int, default=192, help="input tile side in pixels (default 192)")
    p.add_argument(
        "--overlap", type=int, default=32, help="overlap of neighbouring tiles (default 32)"
    )
    p.add_argument(
        "--max-megapixels",
        type=float,
        default=DEFAULT_MAX_MEGAPIXELS,
        help=f"refuse outputs larger than this (default {DEFAULT_MAX_MEGAPIXELS:g})",
    )


def load_upscaler(path: str, device: str = "cpu", allow_nonfinite: bool = False):
    """A super-resolution model, or a clear error for a run of another kind."""
    model = load_model(path, device=device, allow_nonfinite=allow_nonfinite)
    if not isinstance(model, Upscaler):
        raise ArtganError(
            f"{path} holds {model.name} weights; upscaling needs a super-resolution run "
            f"({' or '.join(families_with(Upscaler))}: "
            "artgan train --model srgan --data ./images --scale 4)"
        )
    return model


def check_tiling(args) -> None:
    if args.tile < 8 or args.overlap < 0 or 2 * args.overlap >= args.tile:
        raise ArtganError(
            f"--tile must be at least 8 and more than twice --overlap (got {args.tile} and "
            f"{args.overlap})"
        )


def run(args) -> int:
    check_tiling(args)
    model = load_upscaler(args.run, args.device, args.force)
    color = "grey" if model.config.channels == 1 else "rgb"
    image = read_image(args.image, color)
    big = upscale_image(model, image, args.tile, args.overlap, args.max_megapixels)
    record = record_for_model(
        model,
        command="upscale",
        input=Path(args.image).name,
        scale=model.scale,
        tile=args.tile,
        overlap=args.overlap,
    )
    write_image(big, Path(args.out), record)
    print(
        f"wrote {args.out} ({big.shape[1]}x{big.shape[0]}, {model.scale}x {image.shape[1]}x"
        f"{image.shape[0]})"
    )
    return 0
