"""``artgan sample --originality-guard``: the image branch of ``artgan sample`` with near-copies
of training images rejected and redrawn (artgan.originality)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import ArtganError
from ..originality import guard_for_model, sample_originals, summary_params
from ..provenance import write_image
from ..provenance.output import IMAGE_FORMATS
from ..provenance.record import record_for_model
from ..sample import grid_pixels


def write_guarded(model, args, options: dict, record_params: dict) -> int:
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix and suffix not in IMAGE_FORMATS:
        raise ArtganError(
            f"--out {out}: use an image extension ({', '.join(IMAGE_FORMATS)}) for a grid, or a "
            "folder name without extension"
        )
    guard = guard_for_model(model)
    images, params, rejected = sample_originals(model, args.n, args.seed, guard, **options)
    record = record_for_model(model, seed=args.seed, command="sample", n=args.n, **record_params)
    drawn = args.n + rejected
    print(
        f"originality guard: rejected {rejected} of {drawn} draws as near-copies of training "
        f"images (RMS distance <= {guard.threshold:.3g} levels, calibrated on {guard.held_out})"
    )
    if len(images):
        if suffix:
            tiles = images.float() / 127.5 - 1.0  # back to [-1, 1] for the grid
            grid = grid_pixels(tiles, columns=args.columns or None)
            write_image(grid, out, record.with_params(**summary_params(guard, params, rejected)))
            print(f"wrote a grid of {len(images)} samples to {out}")
        else:
            out.mkdir(parents=True, exist_ok=True)
            width = max(4, len(str(args.n - 1)))
            for i, (image, extra) in enumerate(zip(images, params)):
                pixels = image.permute(1, 2, 0).numpy()  # (C, H, W) -> (H, W, C)
                write_image(
                    pixels, out / f"{i:0{width}d}.png", record.with_params(index=i, **extra)
                )
            print(f"wrote {len(images)} images to {out}/")
    if len(images) < args.n:
        print(
            f"only {len(images)} of {args.n} samples were original after every redraw: this "
            "model copies its training images",
            file=sys.stderr,
        )
        return 1
    return 0
