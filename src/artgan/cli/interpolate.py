"""``artgan interpolate``: a looping walk through latent space (slerp), as a GIF.

For conditional models, ``--classes monet,vangogh,monet`` holds each walk's latent fixed and
moves the class instead, linearly through the listed classes (a tour between styles); without
it, walk ``i`` shows class ``i % K``.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import ArtganError
from ..models.conditioning import class_row, require_conditional
from ..provenance import write_gif, write_image
from ..provenance.record import record_for_model
from ..sample import class_path, generate_from_latents, interpolation_latents, make_grid
from .options import add_device


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("interpolate", help="write a latent-space walk as a GIF")
    p.add_argument("run", help="run folder or checkpoint folder")
    p.add_argument("--steps", type=int, default=60, help="frames in the loop (default 60)")
    p.add_argument("--keyframes", type=int, default=4, help="random latents visited (default 4)")
    p.add_argument("--n", type=int, default=4, help="parallel walks shown side by side")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--truncation", type=float, default=0.0)
    p.add_argument("--fps", type=float, default=15.0)
    p.add_argument("--out", required=True, help="output .gif")
    p.add_argument("--frames", metavar="DIR", help="also write each frame as a PNG in DIR")
    p.add_argument(
        "--classes",
        help="conditional models: a tour through classes, e.g. monet,vangogh,monet "
        "(each walk keeps its latent)",
    )
    add_device(p)
    p.set_defaults(func=run)


def interpolation_frames(
    model,
    steps: int,
    keyframes: int,
    n: int,
    seed: int,
    truncation: float,
    classes: list[str] | None = None,
) -> list:
    """``steps`` frames, each a row of ``n`` images walking through ``keyframes`` latents, or
    (``classes``) through those classes with each walk's latent fixed."""
    labels = None
    if classes:
        rows = torch.stack([class_row(c, model.class_names) for c in classes])  # (M, K)
        path = class_path(rows, steps)  # (frames, K)
        z = torch.stack([model.latents(1, seed + i, truncation=truncation)[0] for i in range(n)])
        z = z.unsqueeze(0).expand(steps, -1, -1).reshape(steps * n, -1)  # (frames * n, z_dim)
        labels = path.repeat_interleave(n, dim=0)  # (frames * n, K)
    else:
        walks = [
            interpolation_latents(model, keyframes, steps, seed + i, truncation) for i in range(n)
        ]
        z = torch.stack(walks, dim=1).reshape(steps * n, -1)  # (frames * n, z_dim)
        if model.conditional:  # walk i keeps class i % K
            labels = model.labels(None, n).repeat(steps, 1)  # (frames * n, K)
    images = generate_from_latents(model, z, labels=labels)
    images = images.reshape(steps, n, *images.shape[1:])  # (frames, n, C, H, W)
    frames = [make_grid(images[t], columns=n) for t in range(steps)]
    scale = max(1, 256 // max(frames[0].shape[:2]))  # small images: enlarge for viewing
    if scale > 1:
        frames = [f.repeat(scale, axis=0).repeat(scale, axis=1) for f in frames]
    return frames


def run(args) -> int:
    from ..training.checkpoint import load_model

    if args.steps < 2 or args.keyframes < 2 or args.n < 1 or args.fps <= 0:
        raise ArtganError("need --steps >= 2, --keyframes >= 2, --n >= 1 and --fps > 0")
    out = Path(args.out)
    if out.suffix.lower() != ".gif":
        raise ArtganError(f"--out must be a .gif file, got {out.name}")
    model = load_model(args.run, device=args.device)
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
    frames = interpolation_frames(
        model, args.steps, args.keyframes, args.n, args.seed, args.truncation, classes
    )
    record = record_for_model(
        model,
        seed=args.seed,
        command="interpolate",
        steps=args.steps,
        keyframes=args.keyframes,
        n=args.n,
        truncation=args.truncation,
        **({"classes": classes} if classes else {}),
    )
    write_gif(frames, out, record, duration_ms=int(1000 / args.fps))
    print(f"wrote a {args.steps}-frame walk to {out}")
    if args.frames:
        folder = Path(args.frames)
        for i, frame in enumerate(frames):
            write_image(frame, folder / f"frame-{i:04d}.png", record.with_params(frame=i))
        print(f"wrote {len(frames)} frames to {folder}/")
    return 0
