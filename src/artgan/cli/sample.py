"""``artgan sample``: draw samples from a trained model, deterministic by seed.

An image extension for --out writes one grid; any other --out is a folder with one file per
sample. 2-D models write points (.npy or .csv) plus a scatter plot beside them.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ArtganError
from ..provenance import write_image, write_points
from ..provenance.output import IMAGE_FORMATS
from ..provenance.record import record_for_model
from ..sample import make_grid, scatter_plot, to_uint8
from .options import add_device

POINT_SUFFIXES = (".npy", ".csv")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("sample", help="draw samples from a trained model")
    p.add_argument("run", help="run folder or checkpoint folder")
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--seed", type=int, default=0, help="same seed, same samples (default 0)")
    p.add_argument("--out", required=True,
                   help="grid.png (one grid), points.npy/.csv (2-D models), or a folder")
    p.add_argument("--truncation", type=float, default=0.0,
                   help="resample latent values beyond +-T (0 = off; 0.5-1.0 trades variety for "
                   "quality)")
    p.add_argument("--columns", type=int, default=0, help="grid width (default: square)")
    add_device(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..training.checkpoint import load_model

    if args.n < 1:
        raise ArtganError("--n must be at least 1")
    if args.truncation < 0:
        raise ArtganError("--truncation must be >= 0")
    model = load_model(args.run, device=args.device)
    samples = model.sample(args.n, seed=args.seed, truncation=args.truncation)
    record = record_for_model(model, seed=args.seed, command="sample", n=args.n,
                              truncation=args.truncation)
    out = Path(args.out)
    suffix = out.suffix.lower()
    if model.output_kind == "points":
        if suffix not in POINT_SUFFIXES:
            raise ArtganError(f"{model.name} generates points: --out must end in .npy or .csv")
        write_points(samples.numpy(), out, record)
        plot = out.with_suffix(".png")
        write_image(scatter_plot(samples.numpy()), plot, record.with_params(kind="scatter"))
        print(f"wrote {args.n} points to {out} and a scatter plot to {plot}")
        return 0
    if suffix in IMAGE_FORMATS:
        write_image(make_grid(samples, columns=args.columns or None), out, record)
        print(f"wrote a grid of {args.n} samples to {out}")
        return 0
    if suffix:
        raise ArtganError(
            f"--out {out}: use an image extension ({', '.join(IMAGE_FORMATS)}) for a grid, or a "
            "folder name without extension"
        )
    out.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(args.n - 1)))
    for i, image in enumerate(to_uint8(samples)):
        write_image(image, out / f"{i:0{width}d}.png", record.with_params(index=i))
    print(f"wrote {args.n} images to {out}/")
    return 0
