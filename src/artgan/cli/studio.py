"""``artgan studio [RUNS]``: the local web app (artgan.studio) over the runs in a folder.

Needs the ``studio`` extra (Gradio): ``pip install "artgan[studio]"``. Bound to 127.0.0.1
unless --host says otherwise; no public share link unless --share.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ArtganError, ConfigError
from ..studio.folders import DEFAULT_MAX_MEGAPIXELS
from .options import add_device

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 7860  # the same as artgan.studio.app's


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "studio",
        help="open the studio, a local web app: create, edit, restyle, train, verify",
        description="Serve the studio on http://127.0.0.1:7860 (by default): a page to "
        "generate from the runs in RUNS, like and save samples, edit them along latent "
        "directions, restyle, upscale and inpaint images, train, and verify files.",
    )
    p.add_argument("runs", nargs="?", default="runs", help="folder of runs (default runs/)")
    p.add_argument(
        "--out",
        help="folder saved files go to (default: the studio/ folder of the run that made them)",
    )
    p.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="FOLDER",
        help="a folder the Train tab may read training images from (repeatable); without "
        "it only the built-in datasets can be trained on",
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"(default {DEFAULT_PORT})")
    p.add_argument(
        "--share",
        action="store_true",
        help="also open a public link through Gradio's share servers (off by default)",
    )
    p.add_argument(
        "--max-megapixels",
        type=float,
        default=DEFAULT_MAX_MEGAPIXELS,
        help=f"refuse uploaded images larger than this (default {DEFAULT_MAX_MEGAPIXELS:g})",
    )
    add_device(p)  # "auto" becomes the device it picks, as in every command
    p.set_defaults(func=run)


def run(args) -> int:
    runs = Path(args.runs).expanduser()
    if not runs.is_dir():
        raise ConfigError(
            f"{runs} is not a folder; train a run first (artgan train --run-dir "
            f"{runs}/first) or name the folder your runs are in"
        )
    if not 0 < args.port < 65536:
        raise ConfigError(f"--port must be 1 to 65535, got {args.port}")
    try:  # the optional extra: a clear line where it is missing
        from ..studio.app import launch, make_studio
    except ImportError as error:
        if "gradio" not in str(error).lower():
            raise
        raise ArtganError('the studio needs Gradio: pip install "artgan[studio]"') from None
    studio = make_studio(runs, args.out, args.data, args.max_megapixels, args.device)
    print(
        f"artgan studio: serving {runs.resolve()} on http://{args.host}:{args.port} "
        "(Ctrl-C to stop)"
    )
    try:
        launch(studio, args.host, args.port, share=args.share, block=True)
    finally:
        studio.jobs.shutdown()
    return 0
