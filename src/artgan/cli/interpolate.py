"""``artgan interpolate``: a looping walk through latent space (slerp), as a GIF.

For conditional models, ``--classes monet,vangogh,monet`` holds each walk's latent fixed and
moves the class instead, linearly through the listed classes (a tour between styles); without
it, walk ``i`` shows class ``i % K``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ArtganError
from ..models.conditioning import require_conditional
from ..provenance import write_gif, write_image
from ..provenance.record import record_for_model
from ..sample import check_walk_size, interpolation_frames
from ..training.checkpoint import load_model
from .options import add_device, add_force, say_truncation_note


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("interpolate", help="write a latent-space walk as a GIF")
    p.add_argument("run", help="run folder or checkpoint folder")
    p.add_argument("--frames", type=frame_count, default=60, help="frames in the loop (default 60)")
    # The old name of --frames, kept working (said once on stderr).
    p.add_argument("--steps", dest="old_steps", type=int, help=argparse.SUPPRESS)
    p.add_argument("--keyframes", type=int, default=4, help="random latents visited (default 4)")
    p.add_argument("--n", type=int, default=4, help="parallel walks shown side by side")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--truncation", type=float, default=0.0)
    p.add_argument("--fps", type=float, default=15.0)
    p.add_argument("--out", required=True, help="output .gif")
    p.add_argument("--frames-dir", metavar="DIR", help="also write each frame as a PNG in DIR")
    p.add_argument(
        "--classes",
        help="conditional models: a tour through classes, e.g. monet,vangogh,monet "
        "(each walk keeps its latent)",
    )
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def frame_count(text: str) -> int:
    """--frames N; a folder there is the old --frames DIR, now --frames-dir."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--frames counts the frames of the loop, got {text!r}; to write each frame as a "
            f"PNG use --frames-dir {text}"
        ) from None


def run(args) -> int:
    frames_option = "--frames" if args.old_steps is None else "--steps"
    if args.old_steps is not None:
        args.frames = args.old_steps
    if args.frames < 2 or args.keyframes < 2 or args.n < 1 or not 0 < args.fps <= 100:
        raise ArtganError(
            f"need {frames_option} >= 2, --keyframes >= 2, --n >= 1 and --fps from 0 to 100"
        )
    if args.old_steps is not None:
        print("artgan: interpolate --steps is now --frames", file=sys.stderr)
    out = Path(args.out)
    if out.suffix.lower() != ".gif":
        raise ArtganError(f"--out must be a .gif file, got {out.name}")
    model = load_model(args.run, device=args.device, allow_nonfinite=args.force)
    if model.output_kind != "image":
        raise ArtganError(
            f"interpolate needs an image model; {args.run} generates {model.output_kind}"
        )
    classes = None
    if args.classes:
        require_conditional(model, "--classes")
        classes = [c.strip() for c in args.classes.split(",") if c.strip()]
        if len(classes) < 2:
            raise ArtganError("--classes needs at least two classes, e.g. monet,vangogh,monet")
    shape = model.origin.data.get("shape") if model.origin else None
    check_walk_size(args.frames, args.keyframes, args.n, shape, model.z_dim)  # before any work
    say_truncation_note(model, args.truncation)
    frames = interpolation_frames(
        model, args.frames, args.keyframes, args.n, args.seed, args.truncation, classes
    )
    record = record_for_model(
        model,
        seed=args.seed,
        command="interpolate",
        frames=args.frames,
        keyframes=args.keyframes,
        n=args.n,
        truncation=args.truncation,
        **({"classes": classes} if classes else {}),
    )
    write_gif(frames, out, record, duration_ms=int(1000 / args.fps))
    print(f"wrote a {args.frames}-frame walk to {out}")
    if args.frames_dir:
        folder = Path(args.frames_dir)
        for i, frame in enumerate(frames):
            write_image(frame, folder / f"frame-{i:04d}.png", record.with_params(frame=i))
        print(f"wrote {len(frames)} frames to {folder}/")
    return 0
