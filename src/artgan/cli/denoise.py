"""``artgan denoise``: clean a speech recording with a trained denoising run (segan).

The recording is read as mono 16 kHz (any WAV, or FLAC/OGG with soundfile), of any length: the
network takes fixed windows, so the sound goes through it in windows overlapping by half, cross-
faded together (models/audio_windows.py). The result is written as 16-bit WAV through the
output point, with its generation record.
"""

from __future__ import annotations

from pathlib import Path

from ..audio import load_mono
from ..errors import ArtganError
from ..models import families_with
from ..models.capabilities import AudioDenoiser
from ..provenance import write_audio
from ..provenance.record import record_for_model
from ..training.checkpoint import load_model
from .options import add_device, add_force

DEFAULT_MAX_MINUTES = 60.0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("denoise", help="remove noise from a speech recording (segan runs)")
    p.add_argument("run", help="segan run folder (or checkpoint folder)")
    p.add_argument("sound", help="the noisy recording (.wav; .flac and .ogg with soundfile)")
    p.add_argument("--out", required=True, help="the cleaned recording (.wav)")
    p.add_argument("--seed", type=int, default=0, help="the generator's latent (default 0)")
    p.add_argument(
        "--max-minutes",
        type=float,
        default=DEFAULT_MAX_MINUTES,
        help=f"refuse longer recordings (default {DEFAULT_MAX_MINUTES:g})",
    )
    add_device(p)
    add_force(p)
    p.set_defaults(func=run)


def load_denoiser(path: str, device: str = "cpu", allow_nonfinite: bool = False):
    """A denoising model, or a clear error for a run of another kind."""
    model = load_model(path, device=device, allow_nonfinite=allow_nonfinite)
    if not isinstance(model, AudioDenoiser):
        raise ArtganError(
            f"{path} holds {model.name} weights; denoising needs a run of "
            f"{' or '.join(families_with(AudioDenoiser))} (artgan train --model segan "
            "--data spoken_digits)"
        )
    return model


def run(args) -> int:
    source, out = Path(args.sound), Path(args.out)
    if not source.is_file():
        raise ArtganError(f"no such recording: {source}")
    if out.suffix.lower() != ".wav":
        raise ArtganError(f"--out {out.name}: the cleaned recording is written as .wav")
    if out.exists() and out.resolve() == source.resolve():
        raise ArtganError(f"--out {out} is the noisy recording itself; choose another file")
    if not 0 < args.max_minutes < float("inf"):
        raise ArtganError(f"--max-minutes must be a number above 0, got {args.max_minutes:g}")
    model = load_denoiser(args.run, args.device, args.force)
    rate = model.sample_rate
    samples = load_mono(source, rate)  # a DataError (one line) for a file that is not audio
    minutes = len(samples) / rate / 60
    if minutes > args.max_minutes:
        raise ArtganError(
            f"{source.name} lasts {minutes:.1f} minutes, more than --max-minutes "
            f"{args.max_minutes:g}; pass a larger limit or a shorter recording"
        )
    clean = model.enhance(samples, seed=args.seed)
    record = record_for_model(
        model, seed=args.seed, command="denoise", input=source.name, sample_rate=rate
    )
    write_audio(clean, rate, out, record)
    print(f"wrote {out} ({len(clean) / rate:.2f} s at {rate} Hz)")
    return 0
