"""``artgan invert``: find the latent code of a real image by optimisation (pixel error plus a
perceptual term on EfficientNet-Lite0 features), save it for ``artgan edit``, and report the
reconstruction error."""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import ArtganError
from ..latent.inversion import invert, read_target, save_latent
from ..provenance import write_image
from ..provenance.record import record_for_model
from ..sample import grid_pixels
from .explore import load_latent_model
from .options import add_device, add_force


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("invert", help="find the latent code of a real image")
    p.add_argument("run", help="run folder or checkpoint folder")
    p.add_argument("image", help="the image to invert (png, jpg, ...)")
    p.add_argument("--out", required=True, help="latent file to write (z.pt)")
    p.add_argument("--steps", type=int, default=300, help="optimisation steps (default 300)")
    p.add_argument("--lr", type=float, default=0.05, help="Adam learning rate (default 0.05)")
    p.add_argument(
        "--perceptual",
        type=float,
        default=1.0,
        help="weight of the EfficientNet-Lite0 feature term (default 1; 0 = pixels only)",
    )
    p.add_argument("--restarts", type=int, default=16, help="random starts tried (default 16)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--class", dest="class_", metavar="CLASS", help="conditional models: fix it")
    p.add_argument("--compare", help="also write the image beside its reconstruction (.png)")
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.steps < 0 or args.restarts < 1 or args.lr <= 0 or args.perceptual < 0:
        raise ArtganError("need --steps >= 0, --restarts >= 1, --lr > 0, --perceptual >= 0")
    out = Path(args.out)
    model = load_latent_model(args.run, args.device, "invert", args.force)
    shape = model.sample(1, seed=0).shape[1:]  # (C, H, W)
    target = read_target(Path(args.image), shape[-1], shape[0])
    labels = model.labels(args.class_, 1) if args.class_ else None
    result = invert(
        model,
        target,
        steps=args.steps,
        lr=args.lr,
        perceptual_weight=args.perceptual,
        restarts=args.restarts,
        seed=args.seed,
        labels=labels,
    )
    save_latent(out, result, model)
    print(
        f"wrote the latent of {args.image} to {out}: pixel MSE {result.pixel_mse:.4f} "
        f"(PSNR {result.psnr:.1f} dB; best random start {result.initial_pixel_mse:.4f})"
        + (f", perceptual {result.perceptual:.4f}" if args.perceptual else "")
    )
    if result.labels is not None and model.conditional:
        top = result.labels[0].argsort(descending=True)[:3]
        mix = ", ".join(f"{model.class_names[k]} {result.labels[0, k]:.2f}" for k in top)
        print(f"  class mixture: {mix}")
    if args.compare:
        record = record_for_model(
            model, seed=args.seed, command="invert", image=Path(args.image).name
        )
        pair = torch.cat([target.unsqueeze(0), result.reconstruction])
        write_image(grid_pixels(pair, columns=2), Path(args.compare), record)
        print(f"  image and reconstruction side by side: {args.compare}")
    return 0
