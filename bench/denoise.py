"""Benchmark: SEGAN speech denoising against the noisy input, spectral subtraction and a Wiener
filter, on held-out voices at 0 and 5 dB SNR.

Trains ``artgan.train(model="segan", data="spoken_digits", ...)`` (the real trainer: LSGAN +
100 x L1, noise mixed into the clean digits on the fly at -5 to 15 dB: white, pink, mains hum
and babble) for a CPU budget given in steps, and reports the CPU seconds it took. Then every
method cleans the same held-out recordings (sentences of three digits said by the voices no
run trains on, each mixed with one of the four noises in turn at 0 and at 5 dB, by
``artgan.metrics.denoising``, the code ``artgan eval`` runs), scored with PESQ (wide band),
STOI and segmental SNR. A spectrogram sheet of one recording per noise kind at 0 dB (columns:
noisy, clean, spectral subtraction, Wiener, SEGAN) is written to bench/out/denoise/.

The paper trains width 16 on 16,384-sample windows with batch 400 for 86 epochs of
VoiceBank; a CPU budget allows width 4 on 8,192-sample windows and a few thousand steps.

    python bench/denoise.py                          # 3000 steps, width 4, batch 16
    python bench/denoise.py --steps 200 --recordings 8
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import artgan
from artgan.audio import SAMPLE_RATE, spectrogram_sheet
from artgan.config import DataConfig
from artgan.metrics.denoising import methods_for, score_methods, test_recordings
from artgan.provenance import GenerationRecord, write_audio, write_image
from artgan.run_metrics import SPEECH_SCORES
from artgan.training.checkpoint import load_model
from common import OUT_DIR, QUIET_TRAIN, write_json_report

SNRS = (0.0, 5.0)
LOG_EVERY = 50
METRICS = ["pesq", "stoi", "segsnr"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--width", type=int, default=4, help="first-layer channels (paper: 16)")
    parser.add_argument("--window", type=int, default=8192, help="samples (paper: 16384)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--recordings", type=int, default=24, help="held-out sentences")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--run-dir", help="keep the run here (default: a temporary folder)")
    parser.add_argument("--checkpoint-every", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    depth = int(np.log2(args.window)) - 3  # the bottleneck keeps 8 steps, as the paper's

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(args.run_dir or Path(tmp) / "segan")
        if (run_dir / "checkpoints").is_dir():  # a stopped run continues to --steps
            artgan.train(resume=run_dir, steps=args.steps)
        else:
            train(run_dir, args, depth)
        model = load_model(run_dir)
        logged, logged_cpu = training_cpu_seconds(run_dir)
        steps = model.origin.step  # a run stopped between log lines: its mean rate a step
        train_cpu = logged_cpu / max(1, logged) * steps
        config = DataConfig(source="spoken_digits", pairing="noise")
        recordings, what = test_recordings(config, args.recordings, SNRS, seed=0)
        started = time.process_time()
        table = score_methods(recordings, methods_for(model), METRICS)
        score_cpu = time.process_time() - started
        write_examples(recordings, model)

    tables = []
    for group, methods in table.items():
        rows = [[m, *(f"{s[k]:.3f}" for k in METRICS)] for m, s in methods.items()]
        tables.append(
            {
                "caption": f"SNR {group}: {what}",
                "columns": ["method", *(SPEECH_SCORES[k] for k in METRICS)],
                "rows": rows,
            }
        )
    segan, others = table["all"]["segan"], [m for m in table["all"] if m != "segan"]
    beaten = {k: all(segan[k] > table["all"][m][k] for m in others) for k in METRICS}
    notes = [
        f"SEGAN trained {steps} steps (width {model.config.width}, window {model.window}, "
        f"depth {model.config.depth}, batch {args.batch_size}) in {train_cpu:.0f} CPU seconds "
        f"(its log's cpu_s, all threads); scoring all methods took {score_cpu:.0f} CPU seconds",
        f"{len(recordings)} recordings ({len(recordings) // len(SNRS)} sentences x {len(SNRS)} "
        "SNRs), noise kinds white, pink, hum, babble in turn",
        "SEGAN above noisy, spectral subtraction and Wiener on all recordings: "
        + ", ".join(f"{SPEECH_SCORES[k]} {'yes' if v else 'no'}" for k, v in beaten.items()),
        "published context (VoiceBank-DEMAND, other data): SEGAN PESQ 2.16, noisy 1.97, "
        "Wiener 2.22",
    ]
    command = "python bench/denoise.py " + " ".join(sys.argv[1:])
    path = write_json_report("denoise", "Speech denoising (SEGAN)", tables, notes, command)
    print(path.with_suffix(".md").read_text(encoding="utf-8"))


def train(run_dir: Path, args, depth: int) -> None:
    artgan.train(
        model="segan",
        data="spoken_digits",
        steps=args.steps,
        batch_size=args.batch_size,
        run_dir=str(run_dir),
        **{f"train.{k}": v for k, v in QUIET_TRAIN.items() if k != "checkpoint_every"},
        **{
            "train.checkpoint_every": args.checkpoint_every,
            "model.width": args.width,
            "model.window": args.window,
            "model.depth": depth,
            "train.threads": args.threads,
            "train.log_every": LOG_EVERY,
        },
    )


def training_cpu_seconds(run_dir: Path) -> tuple[int, float]:
    """The step the run reached and the CPU seconds its steps took, from its log (each line:
    CPU seconds a step over the steps since the line before), across stops and resumes."""
    rows = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]
    total, last = 0.0, 0
    for row in rows:
        total += row["cpu_s"] * (row["step"] - last)
        last = row["step"]
    return last, total


def write_examples(recordings, model) -> None:
    """One 0 dB recording per noise kind: WAVs of each method and one spectrogram sheet."""
    folder = OUT_DIR / "denoise"
    folder.mkdir(parents=True, exist_ok=True)
    methods = methods_for(model)
    rows = []
    record = GenerationRecord(model_family="segan", params={"command": "bench/denoise.py"})
    seen: list[str] = []
    for r in recordings:
        if r.snr != SNRS[0] or r.noise in seen:
            continue
        seen.append(r.noise)
        outputs = {
            "noisy": r.noisy,
            "clean": r.clean,
            **{m: fn(r.noisy) for m, fn in methods.items() if m != "noisy"},
        }
        for name, wave in outputs.items():
            slug = name.replace(" ", "_")
            write_audio(wave, SAMPLE_RATE, folder / f"{r.noise}-{slug}.wav", record)
        rows.append(list(outputs.values()))
    length = max(len(w) for row in rows for w in row)
    waves = torch.stack(
        [torch.from_numpy(np.pad(w, (0, length - len(w)))) for row in rows for w in row]
    )
    sheet = spectrogram_sheet(waves, SAMPLE_RATE, columns=len(rows[0]))
    write_image(sheet, folder / "spectrograms.png", record.with_params(kind="sheet"))
    columns = ", ".join(["noisy", "clean", *[m for m in methods if m != "noisy"]])
    print(f"wrote {folder}/spectrograms.png (rows: {', '.join(seen)}; columns: {columns})")


if __name__ == "__main__":
    main()
