"""``artgan style-transfer``: paint a content image in the style of another (Gatys et al. 2016),
with no training data: the output image is optimised against the offline EfficientNet-Lite0
features (artgan.style_transfer). The result has the content image's size."""

from __future__ import annotations

import sys
from pathlib import Path

from ..data.image_file import read_image
from ..errors import ArtganError
from ..provenance import GenerationRecord, write_image
from ..style_transfer import style_transfer
from .options import add_device


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "style-transfer",
        help="paint an image in the style of another (no training needed)",
        description="Neural style transfer (Gatys et al. 2016): optimise an image to keep the "
        "content image's features and take on the style image's feature correlations.",
    )
    p.add_argument("content", help="the image whose content is kept")
    p.add_argument("style", help="the image whose style is taken")
    p.add_argument("--out", required=True, help="output image (.png, .jpg, .webp)")
    p.add_argument(
        "--style-weight", type=float, default=1000.0, help="style against content (default 1000)"
    )
    p.add_argument("--content-weight", type=float, default=1.0, help="(default 1)")
    p.add_argument(
        "--tv-weight", type=float, default=0.0, help="total-variation smoothing (default 0)"
    )
    p.add_argument(
        "--size",
        type=int,
        default=384,
        help="longer side the image is optimised at (default 384); the output keeps the "
        "content image's size",
    )
    p.add_argument("--steps", type=int, default=200, help="optimisation steps (default 200)")
    p.add_argument("--optimizer", default="lbfgs", help="lbfgs (default) or adam")
    p.add_argument("--init", default="content", help="start from the content (default) or noise")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise start (default 0)")
    add_device(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.steps < 1 or args.size < 16:
        raise ArtganError("--steps must be at least 1 and --size at least 16")
    content = read_image(args.content, "rgb", what="content image")
    style = read_image(args.style, "rgb", what="style image")

    def progress(step: int, loss: float) -> None:
        if step % 20 == 0:
            print(f"  step {step}: loss {loss:.4g}", file=sys.stderr)

    result = style_transfer(
        content,
        style,
        style_weight=args.style_weight,
        content_weight=args.content_weight,
        tv_weight=args.tv_weight,
        size=args.size,
        steps=args.steps,
        optimizer=args.optimizer,
        init=args.init,
        seed=args.seed,
        device=args.device,
        progress=progress,
    )
    record = GenerationRecord(
        model_family="style-transfer",
        seed=args.seed if args.init == "noise" else None,
        weights_sha256=result.weights_sha256,
        params={
            "command": "style-transfer",
            "method": "Gatys et al. 2016 on EfficientNet-Lite0 features",
            "content": Path(args.content).name,
            "style": Path(args.style).name,
            "style_weight": args.style_weight,
            "content_weight": args.content_weight,
            "tv_weight": args.tv_weight,
            "size": args.size,
            "steps": args.steps,
            "optimizer": args.optimizer,
            "init": args.init,
        },
    )
    write_image(result.image, Path(args.out), record)
    height, width = result.image.shape[:2]
    print(
        f"wrote {args.out} ({width}x{height}; loss {result.losses[0]:.4g} -> "
        f"{result.losses[-1]:.4g}: content {result.content_loss:.3g}, style "
        f"{result.style_loss:.3g})"
    )
    return 0
