"""``artgan sample``: draw samples from a trained model, deterministic by seed.

An image extension for --out writes one grid; any other --out is a folder with one file per
sample. 2-D models write points (.npy or .csv) plus a scatter plot beside them. Text models
write one text file (samples separated by a line of dashes) or a folder of .txt files; audio
models write a folder of WAV files plus a spectrogram sheet (or one .wav when --n is 1).
"""

from __future__ import annotations

from pathlib import Path

from ..cache import file_sha256
from ..errors import ArtganError, ConfigError
from ..feedback import feedback_file, load_preference, sample_preferred
from ..models.base import check_options
from ..models.conditioning import require_conditional
from ..output_kinds import kind_of
from ..provenance.output import IMAGE_FORMATS
from ..provenance.record import record_for_model
from ..sample import (
    DISPLAY_FILTERS,
    batch_size_for,
    check_sample_count,
    concat_batches,
    draw_in_batches,
)
from ..training.checkpoint import load_model
from .options import add_device, add_force, say_truncation_note
from .sample_guard import write_guarded


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("sample", help="draw samples from a trained model")
    p.add_argument("run", help="run folder or checkpoint folder")
    p.add_argument(
        "--n",
        type=int,
        default=None,
        help="number of samples (default 64; 1 for text models, 8 for audio)",
    )
    p.add_argument("--seed", type=int, default=0, help="same seed, same samples (default 0)")
    p.add_argument(
        "--out",
        required=True,
        help="grid.png (one grid), points.npy/.csv (2-D models), or a folder",
    )
    p.add_argument(
        "--truncation",
        type=float,
        help="latent models: narrow the latent prior by the family's method (GANs redraw z "
        "values beyond +-T, the VAEs scale z by T; 0 = off, the default). These families have "
        "z, not StyleGAN's w; bench/truncation.py measured it to make dcgan, mlp and vae "
        "samples worse, and a family where it does not help says so",
    )
    p.add_argument("--columns", type=int, default=0, help="grid width (default: square)")
    p.add_argument(
        "--display-size",
        type=int,
        metavar="WIDTH",
        help="enlarge the grid to at least WIDTH pixels for viewing (the samples themselves "
        "keep their size; see --display-filter)",
    )
    p.add_argument(
        "--display-filter",
        choices=DISPLAY_FILTERS,
        default="nearest",
        help="how --display-size enlarges: nearest (crisp pixels, a whole factor) or lanczos",
    )
    p.add_argument(
        "--class",
        dest="class_",
        metavar="CLASS",
        help="conditional models: a class name (monet), or a blend (monet:0.5,vangogh:0.5); "
        "default: every class in turn",
    )
    text = p.add_argument_group("text models")
    text.add_argument("--prime", help="text to start from (default: a new line)")
    text.add_argument(
        "--length",
        type=int,
        help="characters to generate after the prime (default 400)",
    )
    text.add_argument(
        "--temperature",
        type=float,
        help="below 1: safer, more repetitive; above 1: wilder; 0: always the "
        "most likely character (default 1)",
    )
    text.add_argument(
        "--top-k",
        type=int,
        help="draw only among the k most likely characters (0 = all)",
    )
    p.add_argument(
        "--originality-guard",
        action="store_true",
        help="image models: reject and redraw samples that are near-copies of training images",
    )
    p.add_argument(
        "--prefer",
        metavar="FEEDBACK",
        help="latent models: steer samples towards what a feedback file (or RUN for its "
        "feedback.jsonl) says was liked "
        "(a preference fitted on its likes and dislikes, on the images' EfficientNet-Lite0 "
        "features for image models, picks the likeliest of many latent proposals)",
    )
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.n is not None and args.n < 1:
        raise ArtganError("--n must be at least 1")
    if args.truncation is not None and args.truncation < 0:
        raise ArtganError("--truncation must be >= 0")
    if any(v is not None and v < 0 for v in (args.length, args.top_k, args.temperature)):
        raise ArtganError("--length, --top-k and --temperature must be >= 0")
    model = load_model(args.run, device=args.device, allow_nonfinite=args.force)
    kind = kind_of(model)
    if args.class_:
        require_conditional(model, "--class")
    args.n = args.n or kind.default_count
    out = Path(args.out)
    grid = out.suffix.lower() in IMAGE_FORMATS
    # A folder is written batch by batch (the originality guard redraws from all at once).
    streamed = kind.stream is not None and not out.suffix and not args.originality_guard
    display = display_option(args, kind, grid)
    shape = model.origin.data.get("shape") if model.origin else None
    if shape and model.output_kind != "text" and not streamed:  # held at once: refuse early
        check_sample_count(args.n, shape, grid=grid)
    options = {**kind.sample_defaults, **given_options(args)}
    check_options(model, options)  # an option the model does not take is an error
    say_truncation_note(model, options.get("truncation"))
    params = {("class" if k == "classes" else k): v for k, v in options.items()}
    draw = kind.draw
    if args.prefer:
        if args.originality_guard:
            raise ConfigError("--prefer and --originality-guard cannot be combined yet")
        draw, params["prefer"] = preferred_draw(args.prefer, model)
    if args.originality_guard:
        return write_guarded(model, args, options, params)
    record = record_for_model(model, seed=args.seed, command="sample", n=args.n, **params)
    # Batches of bounded size, each from its own seed (sample.batch_seed), whether written one
    # by one (a folder) or gathered (a grid, a points file): both give the same samples.
    batches = draw_in_batches(draw, model, args.n, args.seed, options, batch_size_for(shape))
    if streamed:
        print(kind.stream(model, batches, out, record, args.n))
    else:
        samples = concat_batches(batches)
        print(kind.write(model, samples, out, record, args.columns, **display))
    return 0


def preferred_draw(path: str, model) -> tuple:
    """A draw steered by the feedback file at ``path``, and what the generation record says of
    it (which file, how many verdicts, what the preference reads)."""
    preference, records = load_preference(path, model)

    def draw(model, n, seed, options):
        return sample_preferred(model, n, seed, preference, options)

    sha256 = file_sha256(feedback_file(path))
    return draw, {"records": len(records), "sha256": sha256, "features": preference.features}


def display_option(args, kind, grid: bool) -> dict:
    """``--display-size`` as the image writer takes it; an error where it cannot apply."""
    if args.display_size is None:
        return {}
    if kind.name != "image" or not grid:
        raise ConfigError(
            "--display-size enlarges an image grid (--out grid.png); samples written one a "
            "file keep their own size"
        )
    return {"display": (args.display_size, args.display_filter)}


def given_options(args) -> dict:
    """The sampling options the user gave (0 truncation is off, as if not given)."""
    given = {
        "classes": args.class_,
        "truncation": args.truncation or None,
        "prime": args.prime,
        "length": args.length,
        "temperature": args.temperature,
        "top_k": args.top_k,
    }
    return {name: value for name, value in given.items() if value is not None}
