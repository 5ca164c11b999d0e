"""``artgan reconstruct``: a sheet of held-out images and their reconstructions (encode to the
posterior mean, decode), for models with an encoder (vae, vaegan).

Rows come in pairs: a row of originals, then the row of their reconstructions beneath it.
The images are a random pick (by --seed) from the run's own data unless --data names another
source; by default from the test split where the data has one.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..config import DataConfig
from ..data import load_dataset
from ..errors import ArtganError
from ..models import families_with
from ..models.capabilities import Encoder
from ..provenance import write_image
from ..provenance.record import record_for_model
from ..registry import DATASETS
from ..sample import grid_pixels
from ..training.checkpoint import load_model
from .options import add_device, add_force

MAX_COLUMNS = 16


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "reconstruct",
        help="show images beside their reconstructions (vae, vaegan)",
    )
    p.add_argument("run", help="run folder or checkpoint folder")
    p.add_argument(
        "--data",
        help="images to reconstruct: a built-in dataset or a folder (default: the run's data)",
    )
    p.add_argument(
        "--split",
        choices=("auto", "test", "train"),
        default="auto",
        help="auto (default): the test split where the data has one, else train",
    )
    p.add_argument("--n", type=int, default=16, help="number of images (default 16)")
    p.add_argument("--seed", type=int, default=0, help="which images are picked (default 0)")
    p.add_argument(
        "--columns", type=int, default=0, help=f"images per row (default: n, at most {MAX_COLUMNS})"
    )
    p.add_argument("--out", required=True, help="output image (.png, .jpg, .webp)")
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def choose_split(config: DataConfig, split: str) -> tuple[str, str | None]:
    """The split to read, and a note for the user when there is no held-out part."""
    if split != "auto":
        return split, None
    if config.source in DATASETS or config.held_out_fraction > 0:
        return "test", None
    return "train", (
        f"note: {config.source} has no held-out part (data.held_out_fraction is 0); "
        "showing training images"
    )


def reconstruction_sheet(originals: torch.Tensor, recons: torch.Tensor, columns: int):
    """Pairs of rows, originals above reconstructions; a short last row is padded in white."""
    n = originals.shape[0]
    rows = []
    for start in range(0, n, columns):
        for images in (originals, recons):
            row = images[start : start + columns]
            if row.shape[0] < columns:
                blank = torch.ones(columns - row.shape[0], *row.shape[1:])
                row = torch.cat([row, blank])
            rows.append(row)
    return grid_pixels(torch.cat(rows), columns=columns)


def run(args) -> int:
    if args.n < 1 or args.columns < 0:
        raise ArtganError("--n must be at least 1 and --columns at least 0")
    model = load_model(args.run, device=args.device, allow_nonfinite=args.force)
    if not isinstance(model, Encoder):
        raise ArtganError(
            f"reconstruct needs a model with an encoder ({', '.join(families_with(Encoder))}); "
            f"{args.run} "
            f"holds a {model.name} model"
        )
    origin = model.origin
    config = origin.run.data_config(args.data, origin.meta, model.config.channels, every_item=True)
    split, note = choose_split(config, args.split)
    config.split = split
    dataset = load_dataset(config, model.config.image_size)
    expected = (model.config.channels, model.config.image_size, model.config.image_size)
    if tuple(dataset.spec.shape) != expected:
        raise ArtganError(
            f"{config.source} gives images of shape {tuple(dataset.spec.shape)}, "
            f"but the model works on {expected}"
        )
    if args.n > len(dataset):
        raise ArtganError(
            f"--n {args.n} is more than the {len(dataset)} images of {config.source} ({split})"
        )
    if note:
        print(note)
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(args.seed))
    indices = order[: args.n]
    originals = dataset.get(indices).x.float().cpu()
    recons = model.reconstruct(originals)
    columns = args.columns or min(args.n, MAX_COLUMNS)
    record = record_for_model(
        model,
        seed=args.seed,
        command="reconstruct",
        n=args.n,
        data=config.source,
        split=split,
        indices=indices.tolist(),
    )
    write_image(reconstruction_sheet(originals, recons, columns), Path(args.out), record)
    print(
        f"wrote {args.n} images of {config.source} ({split}) and their reconstructions to "
        f"{args.out}"
    )
    return 0
