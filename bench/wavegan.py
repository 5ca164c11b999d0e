"""Benchmark: WaveGAN on the synthesised spoken digits, audio Fréchet distance against the floor.

Trains ``artgan.train(model="wavegan", data="spoken_digits", ...)`` (the real trainer: WGAN-GP,
five critic steps, phase shuffle 2, Adam 1e-4 with betas 0.5/0.9 as in the paper) in segments,
resuming exactly after each. At every evaluation the generator (raw weights: an EMA over so few
steps would still be mostly the initialisation) draws as many clips as the held-out test split
has, and ``artgan.metrics.audio`` scores them against the test split on log-mel frames. Beside
it, on the same reference and the same number of clips:

- floor: real training clips (a random subset) against the test clips, the best any model can
  expect at this sample size;
- silence, and white noise at the data's RMS level: what no learning scores.

A CPU budget allows only a narrow model (``--width``, the paper's d = 64) and a few hundred
steps, far from the paper's 200k; the figures show how far training got, not WaveGAN's ceiling.
The last generator's clips are written to bench/out/wavegan/ (WAV + spectrogram sheet).

    python bench/wavegan.py                               # d = 8, batch 32, 400 steps
    python bench/wavegan.py --steps 100 --eval-every 50 --clips 500
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

import artgan
from artgan.audio import SAMPLE_RATE, spectrogram_sheet
from artgan.config import DataConfig
from artgan.data.spoken_digits import load_spoken_digits
from artgan.metrics.audio import EXTRACTOR, log_mel_stats
from artgan.provenance import GenerationRecord, write_audio, write_image
from artgan.training.checkpoint import load_model
from common import OUT_DIR, QUIET_TRAIN, CpuShare, machine_lines, write_report


def fd_to(reference_stats, clips: torch.Tensor) -> float:
    return log_mel_stats(clips).frechet_distance(reference_stats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--width", type=int, default=8, help="model size d (paper: 64)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--clips", type=int, default=2000, help="training clips to synthesise")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    real = load_spoken_digits(DataConfig(size=args.clips), 16_384)
    test = load_spoken_digits(DataConfig(size=args.clips, split="test"), 16_384)
    n = len(test)
    reference = log_mel_stats(test.x)
    g = torch.Generator().manual_seed(0)
    rms = float(real.x.pow(2).mean().sqrt())
    rows = [
        ("silence", fd_to(reference, torch.zeros(n, 1, 16_384))),
        (
            f"white noise, RMS {rms:.3f}",
            fd_to(reference, rms * torch.randn(n, 1, 16_384, generator=g)),
        ),
    ]
    floor = fd_to(reference, real.x[torch.randperm(len(real), generator=g)[:n]])

    train = {
        "steps": 0,
        "batch_size": args.batch_size,  # the paper's is 64: the family default, slower here
        # Adam 1e-4, betas (0.5, 0.9), no EMA: the WaveGAN family's defaults (models/wavegan.py)
        **QUIET_TRAIN,
        "log_every": 10,
        "threads": args.threads,
        "seed": 0,
    }
    evals = []
    share = CpuShare().start()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "wavegan"
        for i, target in enumerate(
            range(args.eval_every, args.steps + args.eval_every, args.eval_every)
        ):
            target = min(target, args.steps)
            if i == 0:
                artgan.train(
                    {
                        "model": {"name": "wavegan", "width": args.width},
                        "data": {"source": "spoken_digits", "size": args.clips},
                        "train": {**train, "steps": target},
                        "run_dir": str(run),
                    }
                )
            else:  # an exact resume: optimizers, RNG and batch order continue
                artgan.train(resume=run, steps=target)
            model = load_model(run, use_ema=False)
            fake = model.sample(n, seed=0, batch_size=64)
            evals.append((target, fd_to(reference, fake)))
            print(f"step {target}: FD {evals[-1][1]:.2f} (floor {floor:.2f})", flush=True)
        seconds = time.perf_counter() - start
        others = share.stop()
        params = sum(p.numel() for p in model.G.parameters())
        out = OUT_DIR / "wavegan"
        record = GenerationRecord(
            model_family="wavegan", step=args.steps, seed=0, params={"command": "bench/wavegan.py"}
        )
        for k in range(8):
            write_audio(fake[k], SAMPLE_RATE, out / f"{k}.wav", record.with_params(index=k))
        write_image(spectrogram_sheet(fake[:8], SAMPLE_RATE), out / "generated.png", record)
        write_image(
            spectrogram_sheet(test.x[:8], SAMPLE_RATE),
            out / "real.png",
            record.with_params(kind="real clips"),
        )

    lines = [
        "# WaveGAN: audio Fréchet distance on spoken digits",
        "",
        *machine_lines(),
        f"- data: spoken_digits (eSpeak NG), {len(real)} training clips, {n} held-out test clips "
        "as the reference, 16,384 samples at 16 kHz",
        f"- model: d = {args.width} ({params:,} generator parameters; the paper's d = 64 has "
        f"19.1M), WGAN-GP, 5 critic steps, phase shuffle 2, batch {args.batch_size}, Adam 1e-4 "
        f"(0.5, 0.9), raw generator weights, torch threads {args.threads}",
        f"- features: {EXTRACTOR}; every row scores {n} clips against the same {n} test clips",
        f"- training: {args.steps} steps in {seconds:.0f} s"
        + ("" if others is None else f" (other processes took {others:.0%} of the CPU)"),
        "",
        "| clips scored | Fréchet distance |",
        "| --- | ---: |",
        f"| real training clips (floor) | {floor:.2f} |",
        *[f"| WaveGAN after {s} steps | {fd:.2f} |" for s, fd in evals],
        *[f"| {name} | {fd:.2f} |" for name, fd in rows],
        "",
        "Clips of the last generator: bench/out/wavegan/ (WAV, generated.png, real.png).",
    ]
    path = write_report("wavegan", "\n".join(lines) + "\n")
    print(path.read_text())


if __name__ == "__main__":
    main()
