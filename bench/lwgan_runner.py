"""Drive lightweight-gan 1.2.1 (the few-shot anchor of bench/fewshot.py) on the CPU.

Runs with the anchor's own virtual environment (bench/.venv-lwgan, made by
``python bench/fewshot.py --setup-anchor``), never with artgan's, and imports nothing of
artgan. lightweight-gan asserts CUDA at import and calls ``.cuda()`` throughout; this script,
and only it, patches torch *in its own process* so the package's unchanged code runs on the CPU:

- ``torch.cuda.is_available`` answers True during ``import lightweight_gan`` (its assert) and
  is restored right after (so the DataLoader does not try to pin memory through CUDA);
- ``Tensor.cuda`` and ``Module.cuda`` return the object unchanged (it stays on the CPU);
- ``torch.device("cuda:N")`` inside the package's module gives the CPU device;
- torchvision is imported through bench/torchvision_cpu.py (PyPI's build cannot load its
  compiled ops beside the CPU torch wheel); lightweight-gan uses only its transforms and
  ``save_image``.

The network and training settings are those of lightweight-gan's command line
(``lightweight_gan --data ...``): fmap_max 512, attention at 32 px, 1x1 discriminator output,
Adam(2e-4, betas 0.5/0.9), batch 10 with 4 gradient accumulations (40 images per step),
DiffAugment cutout + translation with its auto-set probability, hinge loss; only the image size
is ours. Its periodic preview grids, checkpoints and FID (``evaluate``/``save``) are switched
off, as artgan's are in the bench, so the timing is of training steps only.

Samples come from the raw generator G in eval mode (what lightweight-gan's own ``default``
grids show): its EMA copy is only updated after step 20,000 and reset to G at steps 2, 1002,
... before that, so for short runs it is a stale copy.

The run stops at the first of its budgets it has met for all of them: each ``--images`` count
and ``--seconds`` of training wall time make a *snapshot* (``--n`` PNGs in ``OUT/<label>/`` and
a line in ``OUT/progress.json``). ``--steps`` alone measures throughput.

    bench/.venv-lwgan/bin/python bench/lwgan_runner.py --data DIR --out OUT --size 128 \
        --seconds 600 --images 2000 --n 500
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
import types
from pathlib import Path

import numpy as np
import torch
from torch import nn

from torchvision_cpu import import_torchvision


def cpu_seconds() -> float:
    usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def import_on_cpu():
    """lightweight_gan's Trainer with the CPU patches described in the module docstring."""
    import_torchvision()
    is_available = torch.cuda.is_available
    torch.cuda.is_available = lambda: True
    try:
        import lightweight_gan
        import lightweight_gan.lightweight_gan as lw
    finally:
        torch.cuda.is_available = is_available
    torch.Tensor.cuda = lambda self, *args, **kwargs: self
    nn.Module.cuda = lambda self, *args, **kwargs: self

    class CpuTorch(types.ModuleType):
        """torch, except that ``device("cuda...")`` is the CPU."""

        def __getattr__(self, name):
            return getattr(torch, name)

        @staticmethod
        def device(spec, *args):
            if str(spec).startswith("cuda"):
                return torch.device("cpu")
            return torch.device(spec, *args)

    lw.torch = CpuTorch("torch")
    return lightweight_gan, lw


def make_trainer(lw_module, args, base: Path):
    trainer = lw_module.Trainer(
        name="anchor",
        base_dir=str(base),
        results_dir="results",
        models_dir="models",
        batch_size=args.batch_size,
        gradient_accumulate_every=args.grad_accum,
        attn_res_layers=[32],
        freq_chan_attn=False,
        disc_output_size=1,
        dual_contrast_loss=False,
        antialias=False,
        image_size=args.size,
        num_image_tiles=8,
        optimizer="adam",
        num_workers=None,
        fmap_max=args.fmap_max,
        transparent=False,
        greyscale=False,
        lr=2e-4,
        save_every=10**9,
        evaluate_every=10**9,
        aug_prob=None,
        aug_types=["cutout", "translation"],
        dataset_aug_prob=0.0,
        calculate_fid_every=None,
        amp=False,
        use_aim=False,
    )
    trainer.evaluate = lambda *a, **k: None  # previews and checkpoints off (timed steps only)
    trainer.save = lambda *a, **k: None
    return trainer


@torch.no_grad()
def write_samples(trainer, n: int, seed: int, folder: Path) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    g = trainer.GAN.G
    trainer.GAN.eval()
    latents = torch.randn(n, trainer.GAN.latent_dim, generator=torch.Generator().manual_seed(seed))
    index = 0
    for chunk in latents.split(32):
        images = g(chunk).clamp(0.0, 1.0)  # (B, 3, H, W) in [0, 1]
        pixels = images.mul(255).add(0.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1)
        for tile in pixels.numpy():
            Image.fromarray(tile).save(folder / f"{index:05d}.png")
            index += 1
    trainer.GAN.train()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--seconds", type=float, default=0.0, help="training wall-time budget")
    parser.add_argument("--images", default="", help="comma list of image budgets")
    parser.add_argument("--steps", type=int, default=0, help="throughput: run this many steps")
    parser.add_argument("--n", type=int, default=100, help="samples written per snapshot")
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--grad-accum", type=int, default=4)
    parser.add_argument("--fmap-max", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    package, lw = import_on_cpu()
    trainer = make_trainer(lw, args, out / "work")
    trainer.set_data_src(args.data)
    per_step = args.batch_size * args.grad_accum
    pending = [("images", int(v)) for v in args.images.split(",") if v]
    if args.seconds > 0:
        pending.append(("seconds", args.seconds))
    report = {
        "version": package.__version__ if hasattr(package, "__version__") else lw.__version__,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "size": args.size,
        "images_per_step": per_step,
        "aug_prob": trainer.aug_prob,
        "dataset_size": len(trainer.dataset),
        "step_seconds": [],
        "snapshots": [],
    }
    trained, cpu_before = 0.0, cpu_seconds()
    while True:
        seen = trainer.steps * per_step
        met = [b for b in pending if (seen >= b[1] if b[0] == "images" else trained >= b[1])]
        for kind, value in met:
            label = f"{kind}-{value:g}"
            write_samples(trainer, args.n, args.seed, out / label)
            report["snapshots"].append(
                {
                    "label": label,
                    "budget": kind,
                    "steps": trainer.steps,
                    "images_seen": seen,
                    "train_seconds": trained,
                    "cpu_seconds": cpu_seconds() - cpu_before,
                    "folder": str(out / label),
                    "d_loss": trainer.d_loss,
                    "g_loss": trainer.g_loss,
                }
            )
            pending.remove((kind, value))
        if not pending and (args.steps == 0 or trainer.steps >= args.steps):
            break
        start = time.perf_counter()
        trainer.train()
        elapsed = time.perf_counter() - start
        trained += elapsed
        report["step_seconds"].append(elapsed)
        losses = f"d {trainer.d_loss:.3f} g {trainer.g_loss:.3f}"
        print(f"step {trainer.steps}: {elapsed:.1f} s, {losses}", flush=True)
        (out / "progress.json").write_text(json.dumps(report, indent=1))
    report["train_seconds"] = trained
    report["steps"] = trainer.steps
    (out / "progress.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
