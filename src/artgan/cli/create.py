"""``artgan create``: the ArtGAN flow in one command: generate (optionally of one class), then
optionally restyle with an image-to-image run, then optionally enlarge with a super-resolution
run. Each final image is written through the output point with a record naming every model
that touched it (family, run, weights SHA-256, step) in order.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ArtganError
from ..models.capabilities import LatentGenerator
from ..provenance import write_image
from ..provenance.record import record_for_model
from ..sample import sample_images
from ..training.checkpoint import load_model
from ..translate import load_translator, match_channels
from ..upscale import upscale_image
from .options import add_device, add_force
from .upscale import add_tiling_options, check_tiling, load_upscaler


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "create",
        help="generate, restyle and upscale in one go (the ArtGAN flow)",
        description="Generate images with a trained run, optionally restyle them with a "
        "CycleGAN run (--stylize) and enlarge them with a super-resolution run (--upscale).",
    )
    p.add_argument("run", help="a generative image run (dcgan, resnet, ...)")
    p.add_argument("--n", type=int, default=8, help="number of images (default 8)")
    p.add_argument("--seed", type=int, default=0, help="same seed, same images (default 0)")
    p.add_argument(
        "--class",
        dest="class_",
        metavar="CLASS",
        help="conditional runs: the class to generate (a name such as monet, or a blend)",
    )
    p.add_argument("--stylize", metavar="RUN", help="restyle with this image-to-image run")
    p.add_argument(
        "--direction", default="a2b", help="with --stylize: a2b (default) or b2a (CycleGAN)"
    )
    p.add_argument("--upscale", metavar="RUN", help="enlarge with this srresnet/srgan run")
    p.add_argument("--out", required=True, help="output folder (one PNG per image)")
    add_tiling_options(p)
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def model_entry(model, step: str, **extra) -> dict:
    """How one stage of the flow is named in the record."""
    record = record_for_model(model)
    return {
        "stage": step,
        "model_family": record.model_family,
        "run_id": record.run_id,
        "weights_sha256": record.weights_sha256,
        "step": record.step,
        **extra,
    }


def load_generator(path: str, device: str, allow_nonfinite: bool = False):
    model = load_model(path, device=device, allow_nonfinite=allow_nonfinite)
    if model.output_kind != "image" or not isinstance(model, LatentGenerator):
        raise ArtganError(
            f"{path} holds {model.name} weights, which do not generate images from noise; "
            "create starts from a generative image run (dcgan, resnet, vae, ...)"
        )
    return model


def run(args) -> int:
    if args.n < 1:
        raise ArtganError("--n must be at least 1")
    check_tiling(args)
    out = Path(args.out)
    if out.suffix:
        raise ArtganError(f"--out {out}: create writes a folder; give a name without extension")
    generator = load_generator(args.run, args.device, args.force)
    restyle = stylize_model = upscaler = None
    if args.stylize:
        restyle, stylize_model = load_translator(
            args.stylize, args.direction, args.device, allow_nonfinite=args.force
        )
    if args.upscale:
        upscaler = load_upscaler(args.upscale, args.device, args.force)

    images = list(sample_images(generator, args.n, args.seed, args.class_))
    pipeline = [
        model_entry(generator, "generate", **({"class": args.class_} if args.class_ else {}))
    ]
    if restyle is not None:
        images = [restyle(image) for image in images]
        pipeline.append(model_entry(stylize_model, "stylize", direction=args.direction))
    if upscaler is not None:
        channels = upscaler.config.channels
        images = [
            upscale_image(
                upscaler,
                match_channels(image, channels),  # a grey generator, an RGB upscaler
                args.tile,
                args.overlap,
                args.max_megapixels,
            )
            for image in images
        ]
        pipeline.append(model_entry(upscaler, "upscale", scale=upscaler.scale))

    record = record_for_model(
        generator, seed=args.seed, command="create", n=args.n, pipeline=pipeline
    )
    out.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(args.n - 1)))
    for i, image in enumerate(images):
        write_image(image, out / f"{i:0{width}d}.png", record.with_params(index=i))
    size = f"{images[0].shape[1]}x{images[0].shape[0]}"
    stages = " -> ".join(entry["stage"] for entry in pipeline)
    print(f"wrote {args.n} images ({size}; {stages}) to {out}/")
    return 0
