"""``artgan stylize``: restyle an image of any size with a cyclegan or pix2pix run.

The output has the input's size: the image is padded to the multiple the generator needs and
cropped back, and processed in overlapping tiles when it is larger than ``--tile``
(artgan.translate).
"""

from __future__ import annotations

from pathlib import Path

from ..data.image_file import read_image
from ..provenance import write_image
from ..provenance.record import record_for_model
from ..translate import (
    DEFAULT_MAX_MEGAPIXELS,
    DEFAULT_OVERLAP,
    DEFAULT_TILE,
    load_translator,
    translate_array,
)
from .options import add_device, add_force


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "stylize",
        help="restyle an image with a cyclegan or pix2pix run",
        description="Translate an image of any size with a trained image-to-image run, e.g. "
        "a photo into a painting: artgan stylize runs/c photo.jpg --direction a2b --out "
        "painted.png",
    )
    p.add_argument("run", help="cyclegan or pix2pix run folder (or checkpoint folder)")
    p.add_argument("image", help="the image to restyle")
    p.add_argument("--out", required=True, help="output image (.png, .jpg, .webp)")
    p.add_argument(
        "--direction",
        default="a2b",
        help="a2b (default: the --data-a domain into the --data-b one) or b2a (cyclegan only)",
    )
    p.add_argument(
        "--tile",
        type=int,
        default=DEFAULT_TILE,
        help=f"larger images are processed in tiles of this side (default {DEFAULT_TILE})",
    )
    p.add_argument(
        "--overlap",
        type=int,
        default=DEFAULT_OVERLAP,
        help=f"overlap of neighbouring tiles (default {DEFAULT_OVERLAP})",
    )
    p.add_argument(
        "--max-megapixels",
        type=float,
        default=DEFAULT_MAX_MEGAPIXELS,
        help=f"refuse larger images (default {DEFAULT_MAX_MEGAPIXELS:g})",
    )
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def run(args) -> int:
    _, model = load_translator(
        args.run, args.direction, args.device, args.tile, args.overlap, allow_nonfinite=args.force
    )
    color = "grey" if model.config.channels == 1 else "rgb"
    image = read_image(args.image, color)
    styled = translate_array(
        model, image, args.direction, args.tile, args.overlap, args.max_megapixels
    )
    record = record_for_model(
        model, command="stylize", input=Path(args.image).name, direction=args.direction
    )
    write_image(styled, Path(args.out), record)
    print(f"wrote {args.out} ({styled.shape[1]}x{styled.shape[0]}, {model.name} {args.direction})")
    return 0
