"""``artgan sample``: draw samples from a trained model, deterministic by seed.

An image extension for --out writes one grid; any other --out is a folder with one file per
sample. 2-D models write points (.npy or .csv) plus a scatter plot beside them. Text models
write one text file (samples separated by a line of dashes) or a folder of .txt files; audio
models write a folder of WAV files plus a spectrogram sheet (or one .wav when --n is 1).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ArtganError
from ..models.base import check_options
from ..models.conditioning import require_conditional
from ..provenance import write_audio, write_image, write_points, write_text
from ..provenance.output import IMAGE_FORMATS
from ..provenance.record import record_for_model
from ..sample import check_sample_count, make_grid, scatter_plot, to_uint8
from .options import add_device

POINT_SUFFIXES = (".npy", ".csv")
DEFAULT_N = {"text": 1, "audio": 8}  # other kinds: 64
TEXT_SEPARATOR = "\n\n----\n\n"


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
        default=0.0,
        help="resample latent values beyond +-T (0 = off; 0.5-1.0 trades variety for quality)",
    )
    p.add_argument("--columns", type=int, default=0, help="grid width (default: square)")
    p.add_argument(
        "--class",
        dest="class_",
        metavar="CLASS",
        help="conditional models: a class name (monet), or a blend (monet:0.5,vangogh:0.5); "
        "default: every class in turn",
    )
    text = p.add_argument_group("text models")
    text.add_argument("--prime", default="", help="text to start from (default: a new line)")
    text.add_argument(
        "--length",
        type=int,
        default=400,
        help="characters to generate after the prime (default 400)",
    )
    text.add_argument(
        "--temperature",
        type=float,
        default=1.0,
        help="below 1: safer, more repetitive; above 1: wilder; 0: always the "
        "most likely character (default 1)",
    )
    text.add_argument(
        "--top-k",
        type=int,
        default=0,
        help="draw only among the k most likely characters (0 = all)",
    )
    p.add_argument(
        "--originality-guard",
        action="store_true",
        help="image models: reject and redraw samples that are near-copies of training images",
    )
    add_device(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..training.checkpoint import load_model

    if args.n is not None and args.n < 1:
        raise ArtganError("--n must be at least 1")
    if args.truncation < 0:
        raise ArtganError("--truncation must be >= 0")
    model = load_model(args.run, device=args.device)
    if args.class_:
        require_conditional(model, "--class")
    args.n = args.n or DEFAULT_N.get(model.output_kind, 64)
    shape = (getattr(model, "meta", None) or {}).get("data", {}).get("shape")
    if shape and model.output_kind != "text":  # refuse impossible sizes before any work
        check_sample_count(args.n, shape, grid=Path(args.out).suffix.lower() in IMAGE_FORMATS)
    # Only what the user asked for: an option the model does not take is an error.
    options = {"classes": args.class_} if args.class_ else {}
    if args.truncation:
        options["truncation"] = args.truncation
    check_options(model, options)
    if args.originality_guard:
        from .sample_guard import write_guarded

        return write_guarded(model, args, options)
    if model.output_kind == "text":
        return write_texts(model, args)
    samples = model.sample(args.n, seed=args.seed, **options)
    record = record_for_model(
        model,
        seed=args.seed,
        command="sample",
        n=args.n,
        truncation=args.truncation,
        **({"class": args.class_} if args.class_ else {}),
    )
    out = Path(args.out)
    suffix = out.suffix.lower()
    if model.output_kind == "audio":
        return write_sounds(model, samples, record, out)
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


def write_texts(model, args) -> int:
    if args.length < 0 or args.top_k < 0 or args.temperature < 0:
        raise ArtganError("--length, --top-k and --temperature must be >= 0")
    options = {
        "prime": args.prime,
        "length": args.length,
        "temperature": args.temperature,
        "top_k": args.top_k,
    }
    texts = model.generate_text(args.n, seed=args.seed, **options)
    record = record_for_model(model, seed=args.seed, command="sample", n=args.n, **options)
    out = Path(args.out)
    if out.suffix:
        write_text(TEXT_SEPARATOR.join(texts) + "\n", out, record)
        print(f"wrote {args.n} text sample(s) to {out}")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(args.n - 1)))
    for i, text in enumerate(texts):
        write_text(text + "\n", out / f"{i:0{width}d}.txt", record.with_params(index=i))
    print(f"wrote {args.n} texts to {out}/")
    return 0


def write_sounds(model, samples, record, out: Path) -> int:
    """WAV files plus a spectrogram sheet of them all."""
    from ..audio import spectrogram_sheet

    rate = model.sample_rate
    record = record.with_params(sample_rate=rate)
    if out.suffix.lower() == ".wav":
        if len(samples) != 1:
            raise ArtganError(
                f"--out {out.name} names one file; use --n 1, or a folder name for several sounds"
            )
        write_audio(samples[0], rate, out, record)
        sheet = out.with_suffix(".png")
        write_image(spectrogram_sheet(samples, rate), sheet, record.with_params(kind="sheet"))
        print(f"wrote {out} and its spectrogram {sheet}")
        return 0
    if out.suffix:
        raise ArtganError(
            f"--out {out}: audio models write a folder (a name without extension) or one .wav file"
        )
    out.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(len(samples) - 1)))
    for i, wave in enumerate(samples):
        write_audio(wave, rate, out / f"{i:0{width}d}.wav", record.with_params(index=i))
    write_image(
        spectrogram_sheet(samples, rate), out / "spectrograms.png", record.with_params(kind="sheet")
    )
    print(f"wrote {len(samples)} WAV files and spectrograms.png to {out}/")
    return 0
