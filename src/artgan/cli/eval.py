"""``artgan eval``: score a trained run against real data and print the table, with the
real-vs-real floor beside every score; the result is appended to the run's metrics.json.
``artgan eval --samples DIR --data REF`` scores a folder of images made by any tool the same way
(printed only: there is no run folder to append to)."""

from __future__ import annotations

from ..errors import ArtganError
from ..metrics.evaluate import evaluate
from ..metrics.evaluate_folder import evaluate_folder
from ..run_metrics import format_table
from .options import add_device


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "eval",
        help="score a run (FID, KID, precision/recall, density/coverage, memorization, ...)",
    )
    p.add_argument("run", nargs="?", help="run folder or checkpoint folder")
    p.add_argument(
        "--samples",
        help="score this folder of images (made by any tool) instead of a run; needs --data",
    )
    p.add_argument(
        "--size",
        type=int,
        help="with --samples: side the images are scored at (default: the first sample's)",
    )
    p.add_argument("--data", help="real data to compare with (default: the run's own data)")
    p.add_argument(
        "--metrics",
        help="comma list. images: fid,kid,pr,dc,is,memorization,nll (default fid,kid,pr,dc, "
        "plus nll for vae); text: bpc; audio: fd; denoising: pesq,stoi,segsnr",
    )
    p.add_argument(
        "--n",
        type=int,
        default=None,
        help="generated images, and real ones per split (default 10000, capped by the data); "
        "denoising: held-out recordings (default 24, each at 0 and 5 dB)",
    )
    p.add_argument(
        "--features",
        help="efficientnet-lite0, inception or classifier:<dataset> (default: "
        "efficientnet-lite0 for RGB; classifier:<data> for grey digits/fashion-mnist)",
    )
    p.add_argument(
        "--inception-weights",
        help="pytorch-fid's pt_inception-2015-12-05-6726825d.pth, for --features inception",
    )
    p.add_argument("--sheet", help="image of the closest generated/training pairs (memorization)")
    p.add_argument("--seed", type=int, default=0, help="which samples and images (default 0)")
    p.add_argument(
        "--iwae-k", type=int, default=5000, help="importance samples for nll (default 5000)"
    )
    p.add_argument(
        "--nll-images",
        type=int,
        default=100,
        help="held-out images for nll (default 100; 0 = n); the cost is images x k passes",
    )
    p.add_argument(
        "--copy-quantile",
        type=float,
        default=0.01,
        help="near-copy threshold: the share of held-out images that come this close "
        "(default 0.01)",
    )
    add_device(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.n is not None and args.n < 1:
        raise ArtganError("--n must be at least 1")
    if args.samples is not None:
        return score_folder(args)
    if not args.run:
        raise ArtganError("give a run folder, or --samples DIR --data REF to score a folder")
    entry = evaluate(
        args.run,
        data=args.data,
        metrics=args.metrics,
        n=args.n,
        features=args.features,
        inception_weights=args.inception_weights,
        seed=args.seed,
        device=args.device,
        sheet=args.sheet,
        iwae_k=args.iwae_k,
        nll_images=args.nll_images,
        copy_quantile=args.copy_quantile,
    )
    print(format_table(entry))
    return 0


def score_folder(args) -> int:
    if args.run:
        raise ArtganError(f"give a run folder or --samples, not both (got {args.run})")
    if not args.data:
        raise ArtganError("--samples needs --data: the real images to compare with")
    unused = [flag for flag, value in (("--sheet", args.sheet), ("--inception-weights",
              args.inception_weights)) if value]  # fmt: skip
    if unused:
        raise ArtganError(f"{', '.join(unused)} is for a run, not a samples folder")
    entry = evaluate_folder(
        args.samples,
        args.data,
        metrics=args.metrics,
        n=args.n,
        size=args.size,
        features=args.features or "efficientnet-lite0",
        seed=args.seed,
        device=args.device,
    )
    print(format_table(entry))
    return 0
