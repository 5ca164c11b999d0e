"""``artgan train``: train a model from a folder, a built-in dataset or a config file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..data import check_source
from ..devices import device_type
from ..errors import ConfigError
from ..models import model_class
from ..models.capabilities import AudioDenoiser, Classifier, ImageToImage
from ..output_kinds import OUTPUT_KINDS
from ..run_folder import Run
from ..training.run import build_run_config, describe_defaults, read_run_config
from ..training.trainer import train
from .dotted_help import train_epilog
from .options import parse_dotted


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a model",
        description="Train a model. Any config field can be set with a dotted option, e.g. "
        "--model.width 64 --train.lr_d 4e-4 --model.objective.loss hinge.",
        epilog="examples:\n  artgan train --model dcgan --data ./my_paintings --preset cpu\n"
        "  artgan train --data art --steps 200 --run-dir runs/x\n"
        "  artgan train --resume runs/x --steps 400",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    examples, format_help = p.epilog, p.format_help

    def help_with_options() -> str:
        # Generated when asked for (it reads every config's source): the registered families
        # and datasets, and every dotted option with its default and meaning.
        p.epilog = f"{examples}\n\n{train_epilog()}"
        return format_help()

    p.format_help = help_with_options
    p.add_argument("--config", help="JSON or YAML run config to start from")
    p.add_argument(
        "--model",
        help="model family, listed below (default: fastgan for a folder of images, dcgan for "
        "the built-in images, mlp for 2-D points)",
    )
    p.add_argument(
        "--data",
        help="a folder of images or sounds, a .npy/.csv point file, a text file, or a built-in "
        "dataset listed below (default: art)",
    )
    p.add_argument(
        "--data-a",
        help="two-domain models (cyclegan, pix2pix): the domain-A folder (data.source)",
    )
    p.add_argument(
        "--data-b",
        help="two-domain models: the domain-B folder (data.source_b); cyclegan's are unpaired, "
        "pix2pix's matched by file name",
    )
    p.add_argument(
        "--data-noisy",
        help="denoising models (segan): the folder of noisy recordings (data.source), matched "
        "by file name with --data-clean",
    )
    p.add_argument(
        "--data-clean",
        help="denoising models: the folder of their clean versions (data.source_b)",
    )
    p.add_argument("--steps", type=str, help="total generator steps of the run")
    p.add_argument("--batch-size", type=str)
    p.add_argument("--loss", help="bce, minimax, lsgan, wgan, wgan-gp, hinge")
    p.add_argument("--image-size", type=str)
    p.add_argument(
        "--scale", type=str, help="super-resolution factor, 2 or 4 (the same as --model.scale)"
    )
    p.add_argument(
        "--conditional",
        action="store_true",
        default=None,
        help="class-conditional GAN (labels from subfolders or the dataset's classes); "
        "the same as --model.conditional true",
    )
    p.add_argument(
        "--target",
        help="advgan: the classifier to attack, a classifier run or a TorchScript file "
        "(the same as --model.target)",
    )
    p.add_argument(
        "--eps",
        type=str,
        help="advgan: L-infinity bound on the [0, 1] pixel scale (the same as --model.eps)",
    )
    p.add_argument(
        "--preset",
        choices=["quick", "cpu", "gpu"],
        help="size a new run for a budget: quick (a first look in minutes on a laptop CPU), "
        "cpu (about an hour on a CPU), gpu (the paper's scale); the options given win over it, "
        "and --dry-run shows what it sets",
    )
    p.add_argument("--seed", type=str)
    p.add_argument("--device", help="auto (default), cpu, cuda, cuda:N, mps")
    p.add_argument("--run-dir", help="run folder (default runs/NNNNN-<model>-<data>)")
    p.add_argument("--resume", metavar="RUN", help="continue a run where it stopped")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and stop")
    p.set_defaults(func=run, accepts_dotted=True)


def run(args) -> int:
    overrides = {
        "model": args.model,
        "data": args.data,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "loss": args.loss,
        "image_size": args.image_size,
        "scale": args.scale,
        "seed": args.seed,
        "device": args.device,
        "conditional": args.conditional,
        "data_a": args.data_a,
        "data_b": args.data_b,
        "target": args.target,
        "eps": args.eps,
    }
    overrides.update(noisy_clean_pairs(args))
    overrides = {k: v for k, v in overrides.items() if v is not None}
    overrides.update(parse_dotted(args.extra))
    if args.run_dir:
        overrides["run_dir"] = args.run_dir
    if args.preset:
        overrides["preset"] = args.preset
    if args.dry_run:
        base = read_run_config(args.resume) if args.resume else args.config
        preset = overrides.pop("preset", None)
        if preset and args.resume:
            raise ConfigError("--preset sizes a new run; a resumed run keeps its own settings")
        config = build_run_config(base, overrides, preset)
        for source in filter(None, (config.data.source, config.data.source_b)):
            # The run would stop there: say it now.
            check_source(source, classes=config.data.pairing != "none")
        print(json.dumps(config.to_dict(), indent=2))
        chosen = describe_defaults(config, device_type(config.train.device))
        if chosen:
            print(chosen, file=sys.stderr)  # stdout stays the config, for tools that read it
        return 0
    if args.resume:
        run_dir = train(resume=args.resume, **overrides)
    else:
        run_dir = train(args.config, **overrides)
    if run_dir is not None:
        print(f"run folder: {run_dir}")
        run = Run(Path(run_dir))
        print(f"  samples:  {run.samples}/   loss curve: {run.loss_curve}")
        print(f"  next:     {next_command(run_dir)}")
    return 0


def noisy_clean_pairs(args) -> dict:
    """--data-noisy DIR --data-clean DIR: two folders of sounds paired by name."""
    if args.data_noisy is None and args.data_clean is None:
        return {}
    if args.data_noisy is None or args.data_clean is None:
        raise ConfigError("--data-noisy and --data-clean go together: the two paired folders")
    if args.data or args.data_a or args.data_b:
        raise ConfigError("--data-noisy/--data-clean replace --data (and --data-a/--data-b)")
    return {"data_noisy": args.data_noisy, "data_clean": args.data_clean, "data.pairing": "paired"}


def next_command(run_dir) -> str:
    """What to try after training, from what the model declares it does: an image-to-image
    model's own command on a file (``artgan upscale``, ``inpaint``, ``stylize``), a
    classifier's ``artgan eval``, else
    ``artgan sample`` with the options for what it makes."""
    model = read_run_config(run_dir)["model"]
    family = model_class(model["name"])
    if issubclass(family, (ImageToImage, AudioDenoiser)) and "artgan " in family.file_command:
        example = family.file_command[family.file_command.index("artgan ") :]
        return example.replace("RUN", str(run_dir), 1)
    if issubclass(family, Classifier):
        return f"artgan eval {run_dir} --data LABELLED_FOLDER   (its accuracy)"
    kind = family.kind_from_config(model)
    return f"artgan sample {run_dir} {OUTPUT_KINDS.get(kind).sample_example}"
