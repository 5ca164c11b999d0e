"""Benchmark: evaluation speed (issue 15, item 7). EfficientNet-Lite0 features by the old path
and the new ones, side by side in one process on the same images:

- ``old``: the eager float32 network as artgan ran it before (batch norm and ReLU6 as separate
  layers, channels-last, 32 images per pass);
- ``fused fp32, 16 whole``: batch norm folded into the convolutions, ReLU6 fused into oneDNN's
  convolution, stride-2 layers padded by a zero-led kernel instead of a padded copy of their
  input (nn/efficientnet_lite_fused.py), 16 images per pass through every block: the previous
  default's batching;
- ``fused fp32, early blocks by 4``: the same network with the residual add inside the
  projection convolution, 32 images per pass, its 112- to 28-px blocks 4 images at a time so
  that no buffer exceeds glibc's mmap threshold (no page faults): the default now;
- ``fused fp32, heap, 64 whole`` (opt-in, ``keep_buffers=True``): the same inside
  ``keep_large_buffers`` (large buffers stay in the malloc heap, nn/large_buffers.py), 64 images
  per pass through every block (the default until it lost to the one above, run alone);
- ``fused bf16`` (opt-in, ``precision="bfloat16"``): the same in bfloat16.

For each: images per second (wall) and CPU seconds per image (this process's, so a shared CPU
inflates the first but hardly the second), and FID of the real-vs-real floor (held-out vs
reference) and of a degraded copy of the held-out images vs the reference, which must agree
with the old path's to 3 significant figures. Then one evaluation of a model as ``artgan eval``
runs it: old (reference, held-out and generated images all embedded) against new with a warm
feature cache (the real images' features read back by content hash, only the generated ones
embedded).

Data: Noto emoji 64 px from bench/fewshot_data.py (``python bench/fewshot_data.py``).

    python bench/eval_speed.py              # 1,000 reference + 410 held-out + 410 degraded
    python bench/eval_speed.py --reference 300
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import torch

from common import CpuShare, machine_lines, write_json_report
from fewshot_data import DATA_DIR

PATHS = ("old", "fused fp32, 16 whole", "fused fp32, heap, 64 whole", "fused fp32", "fused bf16")


def load(reference: int):
    from artgan.config import DataConfig
    from artgan.data import load_dataset

    train, held = DATA_DIR / "noto-64", DATA_DIR / "noto-64-heldout"
    if not train.is_dir() or not held.is_dir():
        raise SystemExit(f"no Noto emoji under {DATA_DIR}: run python bench/fewshot_data.py")
    ref = load_dataset(DataConfig(source=str(train)), 64).x[:reference]
    held_x = load_dataset(DataConfig(source=str(held)), 64).x
    # A "model" with a clear gap: dimmed and noisy copies of the held-out images.
    noise = torch.rand(held_x.shape, generator=torch.Generator().manual_seed(1))
    degraded = (held_x.float() * 0.8 + 40 * noise).clamp(0, 255).to(torch.uint8)
    return ref, held_x, degraded


def extractor_for(path: str):
    from artgan.metrics.extractors import get_extractor

    if path == "old":
        extractor = get_extractor("efficientnet-lite0", batch_size=32)
        extractor.fast = None  # the eager network, as before the fused one
        return extractor
    if path == "fused fp32, 16 whole":
        extractor = get_extractor("efficientnet-lite0", batch_size=16)
        extractor.fast.EARLY_CHUNK = 16  # every block on the whole batch, as before
        extractor.keep_buffers = False
        return extractor
    if path == "fused fp32, heap, 64 whole":
        return get_extractor("efficientnet-lite0", keep_buffers=True)
    precision = "bfloat16" if path == "fused bf16" else "float32"
    return get_extractor("efficientnet-lite0", precision=precision)


def timed(fn):
    """(result, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def sig3(x: float) -> str:
    return f"{x:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference", type=int, default=1000, help="reference images")
    args = parser.parse_args()
    from artgan.metrics import functional as fn
    from artgan.metrics.feature_cache import cached_features

    ref, held, degraded = load(args.reference)
    count = len(ref) + len(held) + len(degraded)
    print(f"{len(ref)} reference, {len(held)} held-out, {len(degraded)} degraded, 64 px -> 224")
    share = CpuShare().start()
    extractors = {path: extractor_for(path) for path in PATHS}
    for extractor in extractors.values():
        extractor(ref[:32])  # warm-up: oneDNN picks its kernels on the first pass
    # The paths take turns set by set, so that a change of load on a shared CPU falls on all.
    feats = {path: [] for path in PATHS}
    wall = dict.fromkeys(PATHS, 0.0)
    cpu = dict.fromkeys(PATHS, 0.0)
    for images in (ref, held, degraded):
        for path, extractor in extractors.items():
            out, w, c = timed(lambda e=extractor, x=images: e(x))
            feats[path].append(out)
            wall[path] += w
            cpu[path] += c
    results = {}
    for path in PATHS:
        results[path] = {
            "img/s": count / wall[path],
            "cpu_ms": 1000 * cpu[path] / count,
            "floor": fn.fid_from_features(feats[path][0], feats[path][1]),
            "model": fn.fid_from_features(feats[path][0], feats[path][2]),
            "max_diff": max((a - b).abs().max().item() for a, b in zip(feats[path], feats["old"])),
        }
        r = results[path]
        print(f"{path}: {r['img/s']:.1f} img/s, {r['cpu_ms']:.1f} CPU ms/img", flush=True)

    # One evaluation as artgan eval does it: old = all three sets embedded; new = the real
    # sets from a warm content-hash cache (a second evaluation of any model on this data).
    old = extractor_for("old")
    _, _, old_eval_cpu = timed(lambda: [old(x) for x in (ref, held, degraded)])
    new = extractor_for("fused fp32")
    with tempfile.TemporaryDirectory() as cache:
        for x in (ref, held):
            cached_features(new, x, cache)  # the first evaluation fills the cache
        _, _, new_eval_cpu = timed(
            lambda: (
                [cached_features(new, ref, cache), cached_features(new, held, cache)]
                + [new(degraded)]
            )
        )
    others = share.stop()

    base = results["old"]
    rows = []
    for path, r in results.items():
        same = sig3(r["floor"]) == sig3(base["floor"]) and sig3(r["model"]) == sig3(base["model"])
        rows.append(
            [
                path,
                f"{r['img/s']:.1f}",
                f"{r['cpu_ms']:.1f}",
                f"{base['cpu_ms'] / r['cpu_ms']:.2f}x",
                f"{r['floor']:.3f}",
                f"{r['model']:.3f}",
                "yes" if same else "NO",
                f"{r['max_diff']:.1e}",
            ]
        )
    columns = [
        "path",
        "img/s (wall)",
        "CPU ms / img",
        "features per CPU-second vs old",
        "FID floor",
        "FID degraded",
        "same FID to 3 s.f.",
        "max feature difference vs old",
    ]
    eval_rows = [
        ["old: embed reference, held-out, generated", f"{old_eval_cpu:.1f}", "1.00x"],
        [
            "new: real features from the cache, embed generated (fused fp32)",
            f"{new_eval_cpu:.1f}",
            f"{old_eval_cpu / new_eval_cpu:.2f}x",
        ],
    ]
    notes = [
        f"CPU taken by other processes during the run: {others:.0%}"
        if others is not None
        else "CPU taken by other processes: unknown",
        f"torch threads {torch.get_num_threads()}, OMP_WAIT_POLICY "
        f"{os.environ.get('OMP_WAIT_POLICY', 'unset')}",
        "CPU ms / img counts this process only (user + system: page faults count); under load "
        "it is the fairer ratio. The paths take turns on each image set.",
        "After the first keep_large_buffers the process's mmap threshold stays at glibc's "
        "ceiling (32 MB), where its adaptive rule ends anyway; the other paths run with it.",
    ]
    path = write_json_report(
        "eval_speed",
        "Evaluation speed: EfficientNet-Lite0 features, old path beside the new",
        [
            {"caption": "features (same images for every path)", "columns": columns, "rows": rows},
            {
                "caption": f"one evaluation ({len(ref)} + {len(held)} real, {len(degraded)} "
                "generated), CPU seconds",
                "columns": ["evaluation", "CPU s", "vs old"],
                "rows": eval_rows,
            },
        ],
        notes,
        command=" ".join(["python bench/eval_speed.py", *sys.argv[1:]]),
    )
    print("\n".join(machine_lines()))
    print(path.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
