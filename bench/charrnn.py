"""Benchmark: char-RNN bits per character on the held-out part of the bundled sonnets.

Trains ``artgan.train(model="charrnn", data="sonnets", ...)`` (the real trainer, truncated BPTT
and gradient clipping included) for each configuration, in segments: after every segment the
run is resumed (exact, optimizer state included) and the checkpoint is scored with
``artgan.metrics.text.held_out_bpc`` on the last 10 % of the sonnets (sonnets CXL-CLIV, never
trained on). The table gives held-out BPC at each evaluation, the best, and the last training
BPC from the trainer's log, beside two references computed on the same split: a uniform
distribution over the vocabulary and a character-bigram model fit on the training part
(add-one smoothing). One sample per configuration is printed (prime "Shall I compare",
temperature 0.8, seed 0).

    python bench/charrnn.py                         # 1,500 steps, evaluated every 250
    python bench/charrnn.py --steps 300 --eval-every 100 --configs lstm
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import artgan
from artgan.config import DataConfig, DefaultsContext
from artgan.data.text import load_sonnets
from artgan.metrics.text import held_out_bpc
from artgan.models.charrnn import CharRNNConfig
from common import QUIET_TRAIN, CpuShare, machine_lines, write_report

# char-rnn's defaults (Karpathy 2015): 2 x 128, seq 50 (here windows of 100 cut every 50),
# batch 50, clip 5, Adam 2e-3; dropout added for this 86k-character training text.
CONFIGS = {
    "lstm": {"cell": "lstm", "layers": 2, "width": 128, "dropout": 0.0},
    "lstm-dropout": {"cell": "lstm", "layers": 2, "width": 128, "dropout": 0.25},
    "gru": {"cell": "gru", "layers": 2, "width": 128, "dropout": 0.0},
    "lstm-256-dropout": {"cell": "lstm", "layers": 2, "width": 256, "dropout": 0.4},
}
# The optimiser, batch and (no) EMA are the char-RNN family's defaults (models/charrnn.py).
OPTIMISER = CharRNNConfig.run_defaults(DefaultsContext(source="sonnets", device="cpu"))
TRAIN = {
    **QUIET_TRAIN,
    "log_every": 10,
    "seed": 0,
}


def bigram_bpc(train: torch.Tensor, held_out: torch.Tensor, vocab: int) -> float:
    """Held-out BPC of an add-one-smoothed character bigram model fit on ``train``."""
    counts = np.ones((vocab, vocab))
    np.add.at(counts, (train[:-1].numpy(), train[1:].numpy()), 1)
    probs = counts / counts.sum(1, keepdims=True)
    return float(-np.log2(probs[held_out[:-1].numpy(), held_out[1:].numpy()]).mean())


def last_train_bpc(run: Path) -> float:
    lines = (run / "log.jsonl").read_text().splitlines()
    return json.loads(lines[-1])["train_bpc"]


def bench(name: str, model: dict, steps: int, every: int, threads: int, root: Path) -> dict:
    run = root / name
    evals = []
    share = CpuShare().start()
    start = time.perf_counter()
    for i, target in enumerate(range(every, steps + every, every)):
        target = min(target, steps)
        if i == 0:
            train = {**TRAIN, "steps": target, "threads": threads}
            artgan.train(
                {
                    "model": {"name": "charrnn", **model},
                    "data": {"source": "sonnets"},
                    "train": train,
                    "run_dir": str(run),
                }
            )
        else:  # an exact resume: optimizer, RNG and batch order continue
            artgan.train(resume=run, steps=target)
        evals.append((target, held_out_bpc(artgan.load(run), load_sonnets(DataConfig()))["bpc"]))
    seconds = time.perf_counter() - start
    trained = artgan.load(run)
    (sample,) = trained.generate_text(
        1, seed=0, prime="Shall I compare", length=300, temperature=0.8
    )
    return {
        "name": name,
        "model": model,
        "evals": evals,
        "seconds": seconds,
        "others": share.stop(),
        "train_bpc": last_train_bpc(run),
        "sample": sample,
        "params": sum(p.numel() for p in trained.parameters()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (1 is fastest for these small matrices)",
    )
    args = parser.parse_args()

    data = load_sonnets(DataConfig())
    vocab = len(data.vocabulary)
    references = {
        "uniform over the vocabulary": math.log2(vocab),
        "character bigram, add-one (fit on train)": bigram_bpc(data.tokens, data.held_out, vocab),
    }
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.configs.split(","):
            results.append(
                bench(name, CONFIGS[name], args.steps, args.eval_every, args.threads, Path(tmp))
            )
            r = results[-1]
            print(
                f"{name}: held-out BPC {[f'{b:.3f}' for _, b in r['evals']]} "
                f"({r['seconds']:.0f} s)",
                flush=True,
            )

    held_chars = len(data.held_out) - 1
    lines = [
        "# char-RNN: bits per character on held-out sonnets",
        "",
        *machine_lines(),
        f"- data: bundled sonnets, {len(data.tokens):,} training / {held_chars:,} held-out "
        f"characters predicted (last 10 %), vocabulary {vocab}",
        f"- training: batch {OPTIMISER['train.batch_size']} windows of 100 characters, "
        f"truncated BPTT 50, gradient-norm clip 5, Adam lr {OPTIMISER['train.lr_g']} betas "
        f"({OPTIMISER['train.beta1']}, {OPTIMISER['train.beta2']}), {args.steps} steps, "
        f"torch threads {args.threads}",
        "- held-out BPC: artgan.metrics.text.held_out_bpc (contiguous streams, state carried)",
        "",
        "| model | parameters | held-out BPC at step | best | last train BPC | wall s "
        "| CPU taken by others |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        m = r["model"]
        desc = f"{m['layers']} x {m['width']} {m['cell'].upper()}, dropout {m['dropout']}"
        at = ", ".join(f"{s}: {b:.3f}" for s, b in r["evals"])
        best = min(b for _, b in r["evals"])
        others = "n/a" if r["others"] is None else f"{r['others']:.0%}"
        lines.append(
            f"| {desc} | {r['params']:,} | {at} | {best:.3f} | {r['train_bpc']:.3f} "
            f"| {r['seconds']:.0f} | {others} |"
        )
    lines += ["", "| reference | held-out BPC |", "| --- | ---: |"]
    lines += [f"| {k} | {v:.3f} |" for k, v in references.items()]
    lines += ["", 'Samples (prime "Shall I compare", temperature 0.8, seed 0):', ""]
    for r in results:
        lines += [f"**{r['name']}**", "", "```", r["sample"], "```", ""]
    path = write_report("charrnn", "\n".join(lines))
    print(path.read_text())


if __name__ == "__main__":
    main()
