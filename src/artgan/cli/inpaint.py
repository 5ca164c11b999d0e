"""``artgan inpaint``: fill the holes of an image with a trained inpainting run.

The mask is an image of the same size in which white (above mid-grey) marks the pixels to
fill; the known pixels are kept exactly.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..data.image_file import read_image, to_tensor
from ..data.masks import load_mask
from ..errors import ArtganError
from ..models import families_with
from ..models.capabilities import Inpainter
from ..provenance import write_image
from ..provenance.record import record_for_model
from ..sample import to_uint8
from ..training.checkpoint import load_model
from .options import add_device, add_force

DEFAULT_MAX_MEGAPIXELS = 16.0  # the whole image goes through the network at once


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("inpaint", help="fill masked holes of an image (lama, inpaint runs)")
    p.add_argument("run", help="lama or inpaint run folder (or checkpoint folder)")
    p.add_argument("image", help="the damaged image")
    p.add_argument("--mask", required=True, help="mask image of the same size: white = hole")
    p.add_argument("--out", required=True, help="output image (.png, .jpg, .webp)")
    p.add_argument(
        "--max-megapixels",
        type=float,
        default=DEFAULT_MAX_MEGAPIXELS,
        help=f"refuse larger images (default {DEFAULT_MAX_MEGAPIXELS:g}; memory grows with size)",
    )
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def run(args) -> int:
    model = load_model(args.run, device=args.device, allow_nonfinite=args.force)
    if not isinstance(model, Inpainter):
        raise ArtganError(
            f"{args.run} holds {model.name} weights; inpainting needs a run of "
            f"{' or '.join(families_with(Inpainter))} (artgan train --model lama --data ./images)"
        )
    color = "grey" if model.config.channels == 1 else "rgb"
    image = read_image(args.image, color)
    height, width = image.shape[:2]
    if height * width / 1e6 > args.max_megapixels:
        raise ArtganError(
            f"{args.image} is {width}x{height}, more than --max-megapixels "
            f"{args.max_megapixels:g}; pass a larger limit or a smaller image"
        )
    mask = load_mask(args.mask, height, width)
    m = torch.from_numpy(mask.astype("float32"))[None, None]  # (1, 1, H, W)
    restored = to_uint8(model.inpaint(to_tensor(image), m))[0]
    record = record_for_model(
        model,
        command="inpaint",
        input=Path(args.image).name,
        mask=Path(args.mask).name,
        hole_fraction=round(float(mask.mean()), 4),
    )
    write_image(restored, Path(args.out), record)
    print(f"wrote {args.out} ({width}x{height}, {mask.mean():.1%} of it filled)")
    return 0
