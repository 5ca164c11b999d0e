"""``artgan.evaluate``: score a trained run against real data, beside the real-vs-real floor.

Image models: ``n`` generated images against ``n`` training images (the *reference*), with
FID, KID, precision/recall, density/coverage, an IS-style score and class counts on the
features of one named extractor. The *floor* is the same scores for ``n`` held-out images of
the same data against the same reference: what a model that draws genuinely new images from
the data distribution would get, so "perfect" has a number at this ``n`` and extractor.
Memorization compares every generated image with the whole training split (metrics/
memorization.py). Models with a likelihood (vae) also report the IWAE bound on held-out images.

Text models report held-out bits per character (metrics/text.py); audio models the Fréchet
distance on log-mel statistics with its own floor (metrics/audio.py).

The held-out images are the data's test split (built-in datasets; folders trained with
``data.held_out_fraction`` > 0). Without one the data is split into two disjoint halves, and
the result says so. Every result names its extractor, sample counts, step and time, and is
appended to ``metrics.json`` in the run folder.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import torch

from ..config import DataConfig
from ..data import load_dataset
from ..data.dataset import InMemoryDataset
from ..devices import select_device
from ..errors import ConfigError, DataError
from ..models.capabilities import DensityModel, Encoder
from ..output_kinds import EVALUATORS, OUTPUT_KINDS, kind_of
from ..provenance import write_image
from ..provenance.record import record_for_model
from ..registry import DATASETS
from ..run_metrics import append_metrics
from ..sample import quantize
from ..training.checkpoint import load_model
from . import classification  # noqa: F401  (registers the classifier runs' evaluator)
from . import functional as fn
from . import memorization as mem
from .audio import evaluate_audio
from .conditional_eval import per_class_scores
from .denoising import DEFAULT_RECORDINGS, evaluate_denoising
from .extractors import get_extractor
from .feature_cache import cached_features
from .likelihood import check_likelihood_model, has_likelihood, iwae_log_likelihood
from .text import evaluate_bpc

DEFAULT_N = 10000
DEFAULT_NLL_IMAGES = 100  # IWAE costs images x k decoder passes
SHEET_PAIRS = 16
KID_SUBSET = 1000


def parse_metrics(metrics, kind: str, model_name: str, likelihood: bool = False) -> list[str]:
    """The metric names asked for (a comma string or a list), checked against the model. The
    default adds ``nll`` for models with a likelihood (vae)."""
    output = OUTPUT_KINDS.get(kind)
    if not output.metrics:
        raise ConfigError(
            f"artgan eval scores image, text and audio models; {model_name} generates {kind} "
            "(2-D point models are scored by mode coverage: python bench/mode_coverage.py)"
        )
    if metrics is None or metrics == "" or metrics == []:
        nll = ["nll"] if likelihood and "nll" in output.metrics else []
        return list(output.default_metrics) + nll
    return checked_names(metrics, output.metrics, f"{kind} models ({model_name})")


def checked_names(metrics, valid, what: str) -> list[str]:
    """Metric names from a comma string or a list, lower-cased, deduplicated, each in
    ``valid`` (else an error naming ``what`` they are for and the valid ones)."""
    names = [
        m.strip().lower() for m in (metrics.split(",") if isinstance(metrics, str) else metrics)
    ]
    names = [m for m in names if m]
    unknown = [m for m in names if m not in valid]
    if unknown:
        raise ConfigError(
            f"unknown metric {', '.join(unknown)} for {what}; valid: {', '.join(valid)}"
        )
    return list(dict.fromkeys(names))


def run_folder(model) -> Path:
    """The run folder of a loaded model (its checkpoint folder when it stands alone)."""
    return model.origin.run.root


def data_config(model, source: str | None) -> DataConfig:
    """The data the run trained on (``source`` swapped in when given); images in the model's
    colour mode, centre-cropped, unflipped (see :meth:`Run.data_config`)."""
    channels = model.config.channels if kind_of(model).colour_mode else None
    return model.origin.run.data_config(source, model.origin.meta, channels)


def load_real(model, config: DataConfig):
    """Training images, held-out images (uint8), a description of the held-out part, and the
    dataset index of each training image (None: the identity)."""
    size = model.config.image_size
    train = load_dataset(dataclasses.replace(config, split="train"), size)
    if not isinstance(train, InMemoryDataset):
        raise DataError(
            f"{config.source} is too large to evaluate in memory; pass a smaller folder or "
            "raise data.in_memory_limit_mb"
        )
    expected = (model.config.channels, size, size)
    if tuple(train.x.shape[1:]) != expected:
        raise DataError(
            f"{config.source} gives images of shape {tuple(train.x.shape[1:])}, but the model "
            f"makes {expected}"
        )
    return reference_and_held_out(train, config, size)


def reference_and_held_out(train: InMemoryDataset, config: DataConfig, size: int):
    """The reference images, the held-out ones (uint8), a description of the held-out part and
    the dataset index of each reference image (None: the identity). Held out: the data's test
    split; without one, two disjoint seeded halves."""
    if config.source in DATASETS or config.held_out_fraction > 0:
        held = load_dataset(dataclasses.replace(config, split="test", limit=0), size)
        return train.x.cpu(), held.x.cpu(), "test split", None
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(config.seed))
    half = len(order) // 2
    x = train.x.cpu()
    held_kind = "second half of the data (no held-out split)"
    return x[order[:half]], x[order[half:]], held_kind, order[:half]


def pick(x: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    return x[torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:n]]


def score_pair(ref, other, names: list[str], probs=None, ref_probs=None) -> dict:
    """Scores of feature set ``other`` against reference features ``ref``."""
    out: dict = {}
    if "fid" in names:
        out["fid"] = fn.fid_from_features(ref, other)
    if "kid" in names:
        mean, std = fn.kid(ref, other, subset_size=KID_SUBSET)
        out["kid"] = {"mean": mean, "std": std, "spread": kid_spread(len(ref), len(other))}
    if "pr" in names:
        out["precision"], out["recall"] = fn.precision_recall(ref, other, k=3)
    if "dc" in names:
        out["density"], out["coverage"] = fn.density_coverage(ref, other, k=5)
    if probs is not None:
        mean, std = fn.inception_score(probs, splits=min(10, len(probs)))
        out["is"] = {"mean": mean, "std": std}
        if ref_probs is not None:
            out["classes"] = class_counts(probs, ref_probs)
    return out


def kid_spread(n_ref: int, n_other: int) -> str:
    """What the ± beside KID is (functional.kid picks it by sample count)."""
    if min(n_ref, n_other) < 2 * KID_SUBSET:
        return "jackknife standard error (too few images for subsets of 1000)"
    return f"std over 100 subsets of {KID_SUBSET}"


def class_counts(probs: torch.Tensor, ref_probs: torch.Tensor) -> dict:
    """How many classes the classifier finds among the samples (argmax), and the KL divergence
    of their class histogram from the reference's (0 when the proportions match)."""
    c = probs.shape[1]
    hist = torch.bincount(probs.argmax(1), minlength=c).double()
    ref = torch.bincount(ref_probs.argmax(1), minlength=c).double()
    p, q = hist / hist.sum(), (ref + 0.5) / (ref + 0.5).sum()  # q smoothed: never zero
    kl = float((p[p > 0] * (p[p > 0] / q[p > 0]).log()).sum())
    return {"covered": int((hist > 0).sum()), "of": c, "kl": kl, "histogram": hist.int().tolist()}


def evaluate_images(model, config: DataConfig, names: list[str], opts: dict) -> dict:
    train_all, held_all, held_kind, train_index = load_real(model, config)
    n = min(opts["n"], len(train_all), len(held_all))
    notes = []
    if n < opts["n"]:
        notes.append(f"n capped at {n} (training {len(train_all)}, held-out {len(held_all)})")
    if n < 6:
        raise DataError(f"evaluation needs at least 6 images in each split, got {n}")
    if "nll" in names:
        check_likelihood_model(model)
    seed = opts["seed"]
    reference, held = pick(train_all, n, seed), pick(held_all, n, seed + 1)
    fake = quantize(model.sample(n, seed=seed))

    result: dict = {"n": {"generated": n, "reference": n, "held_out": n}, "notes": notes}
    result["data"] = {"source": config.source, "reference": "train split", "held_out": held_kind}
    feature_metrics = [m for m in names if m not in ("nll",)]
    metrics, floor = {}, {}
    if feature_metrics:
        kwargs = {"device": opts["device"]}
        if opts["features"] == "inception":
            kwargs["weights"] = opts["inception_weights"]
        extractor = get_extractor(opts["features"], **kwargs)
        result["extractor"] = {
            "name": extractor.name,
            "version": extractor.version,
            "dim": extractor.dim,
        }
        f_ref, f_held = cached_features(extractor, reference), cached_features(extractor, held)
        f_fake = extractor(fake)
        probs = ref_probs = held_probs = None
        if "is" in names:
            probs, held_probs = (extractor.logits(x).softmax(1) for x in (fake, held))
            if extractor.class_names:
                ref_probs = extractor.logits(reference).softmax(1)
        metrics = score_pair(f_ref, f_fake, feature_metrics, probs, ref_probs)
        floor = score_pair(f_ref, f_held, feature_metrics, held_probs, ref_probs)
        if "memorization" in names:
            f_train = cached_features(extractor, train_all)
            metrics["memorization"], floor["memorization"] = memorization(
                model, fake, train_all, held, f_fake, f_train, f_held, opts, train_index
            )
            result["n"]["train"] = len(train_all)
        if model.conditional:  # intra-FID, class accuracy (conditional_eval.py)
            per_class = per_class_scores(model, config, opts, extractor, fake, f_fake)
            metrics.update(per_class[0])
            floor.update(per_class[1])
    if "nll" in names:
        count = min(n, opts["nll_images"] or n)
        images = held[:count].float() / 127.5 - 1.0
        k = opts["iwae_k"]
        mean, stderr = iwae_log_likelihood(model, images, k=k, seed=seed)
        metrics["nll"] = {"iwae_nats": mean, "stderr": stderr, "k": k, "images": count}
        notes.append("nll: IWAE bound on held-out images, nats per image (higher is better)")
    if isinstance(model, Encoder) and not isinstance(model, DensityModel) and "nll" not in names:
        notes.append(f"{model.name} has no likelihood over pixels, so no test nats")
    result["metrics"], result["floor"] = metrics, floor
    return result


def memorization(
    model, fake, train_all, held, f_fake, f_train, f_held, opts, train_index=None
) -> tuple[dict, dict]:
    """Near-copies in feature space and in pixels; the sheet when asked for. Training images
    are named by their index in the data's training split."""

    def dataset_index(i: int) -> int:
        return int(train_index[i]) if train_index is not None else i

    q = opts["copy_quantile"]
    feats = mem.analyse(f_fake, f_train, f_held, q)
    (p_fake, scale), (p_train, _), (p_held, _) = map(mem.pixel_rows, (fake, train_all, held))
    pixels = mem.analyse(p_fake, p_train, p_held, q, scale=scale)
    out, floor = {}, {}
    for space, rep in (("features", feats), ("pixels", pixels)):
        out[space] = {
            "rate": rep.rate,
            "threshold": rep.threshold,
            "quantile": q,
            "closest": [
                {"generated": g, "train": dataset_index(t), "distance": d}
                for g, t, d in mem.closest_pairs(rep, 5)
            ],
        }
        floor[space] = {"rate": rep.held_out_rate, "threshold": rep.threshold, "quantile": q}
    if opts.get("sheet"):
        pairs = mem.closest_pairs(feats, SHEET_PAIRS)
        record = record_for_model(
            model,
            seed=opts["seed"],
            command="eval",
            kind="memorization sheet",
            pairs=[[g, dataset_index(t)] for g, t, _ in pairs],
        )
        path = write_image(mem.pair_sheet(fake, train_all, pairs), Path(opts["sheet"]), record)
        out["sheet"] = str(path)
    return out, floor


def evaluate(
    run,
    data: str | None = None,
    metrics=None,
    n: int | None = None,
    features: str | None = None,
    inception_weights: str | None = None,
    seed: int = 0,
    device: str = "cpu",
    sheet: str | None = None,
    iwae_k: int = 5000,
    nll_images: int = DEFAULT_NLL_IMAGES,
    copy_quantile: float = mem.DEFAULT_QUANTILE,
    save: bool = True,
) -> dict:
    """Score the run (folder or checkpoint) at ``run`` on ``data`` (default: its own data);
    returns the result, also appended to ``metrics.json`` in the run folder when ``save``.
    See the module docstring; ``features`` defaults to ``efficientnet-lite0`` for RGB models
    and to ``classifier:<data>`` for grey ones trained on labelled data."""
    device = str(select_device(device))
    if n is not None and n < 1:
        raise ConfigError(f"n must be at least 1, got {n}")
    if iwae_k < 1 or nll_images < 0:
        raise ConfigError(f"iwae_k must be >= 1 and nll_images >= 0, got {iwae_k}, {nll_images}")
    model = load_model(run, device=device)
    names = parse_metrics(metrics, model.output_kind, model.name, has_likelihood(model))
    if sheet and "memorization" in kind_of(model).metrics and "memorization" not in names:
        names.append("memorization")  # the sheet shows what memorization finds
    if not 0.0 <= copy_quantile < 1.0:
        raise ConfigError(f"copy_quantile must be in [0, 1), got {copy_quantile}")
    config = data_config(model, data)
    started = dt.datetime.now(dt.timezone.utc)
    opts = {
        "n": n,
        "seed": seed,
        "device": device,
        "features": features,
        "inception_weights": inception_weights,
        "sheet": sheet,
        "iwae_k": iwae_k,
        "nll_images": nll_images,
        "copy_quantile": copy_quantile,
        "data_given": data is not None,
    }
    result = kind_of(model).evaluate(model, config, names, opts)  # EVALUATORS, below
    entry = {
        "time": started.isoformat(timespec="seconds"),
        "seconds": round((dt.datetime.now(dt.timezone.utc) - started).total_seconds(), 1),
        "run": str(run_folder(model)),
        "checkpoint": model.origin.folder.name,
        "step": model.origin.step,
        "family": model.name,
        "seed": seed,
        "metrics_asked": names,
        **result,
    }
    entry.setdefault("notes", [])
    if save:
        entry["metrics_file"] = str(append_metrics(run_folder(model), entry))
    return entry


# ----------------------------------------------------------------------------- per kind
# Each output kind's evaluator (output_kinds.EVALUATORS): (model, data, names, opts) -> result.


@EVALUATORS.register("image")
def score_images(model, config: DataConfig, names: list[str], opts: dict) -> dict:
    """Image models: features of generated, reference and held-out images (evaluate_images);
    the extractor defaults to efficientnet-lite0, or a labelled grey dataset's classifier."""
    features, inception_weights = opts["features"], opts["inception_weights"]
    if features is None and inception_weights:
        features = "inception"
    if features is None:
        labelled = config.source in ("digits", "fashion-mnist")
        grey = model.config.channels == 1
        features = f"classifier:{config.source}" if grey and labelled else "efficientnet-lite0"
    opts = {**opts, "n": opts["n"] or DEFAULT_N, "features": features}
    result = evaluate_images(model, config, names, opts)
    if inception_weights and features != "inception":
        result["notes"].append(f"--inception-weights unused: the features are {features}")
    return result


@EVALUATORS.register("text")
def score_text(model, config: DataConfig, names: list[str], opts: dict) -> dict:
    """Text models: held-out bits per character (metrics/text.py)."""
    bpc = evaluate_bpc(model, config)
    return {
        "metrics": {"bpc": bpc["bpc"]},
        "floor": {},
        "n": {"characters": bpc["characters"]},
        "data": {"source": config.source, "held_out": "held-out text"},
    }


@EVALUATORS.register("audio")
def score_audio(model, config: DataConfig, names: list[str], opts: dict) -> dict:
    """Audio models: the Fréchet distance on log-mel statistics, with its floor
    (metrics/audio.py)."""
    audio = evaluate_audio(model, config, n=opts["n"] or 0, seed=opts["seed"])
    return {
        "metrics": {"fd": audio["fd"]},
        "floor": {"fd": audio["floor"]},
        "extractor": {"name": audio["extractor"]},
        "n": {"generated": audio["clips"], "reference": audio["reference_clips"]},
        "data": {
            "source": config.source,
            "reference": "test split",
            "held_out": "training clips",
        },
    }


@EVALUATORS.register("denoised-audio")
def score_denoising(model, config: DataConfig, names: list[str], opts: dict) -> dict:
    """Denoising models: PESQ, STOI and segmental SNR on held-out speech at 0 and 5 dB,
    beside the noisy input and the classical baselines (metrics/denoising.py). ``n``: how
    many held-out recordings."""
    count = opts["n"] or DEFAULT_RECORDINGS
    return evaluate_denoising(model, config, names, count, opts["seed"])
