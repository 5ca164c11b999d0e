"""The feedback loop (issue 17): likes and dislikes of samples, a preference learnt from them,
and sampling steered towards it.

    record(run, latent, liked)   appends one line to ``Run.feedback_file`` (RUN/feedback.jsonl)
    load(run_or_file)            the records, and how many damaged lines were skipped
    preference_for(records, m)   the Preference the CLI, the studio and bench/feedback.py use:
                                 logistic regression of "liked" on image features of the
                                 samples (EfficientNet-Lite0, a fixed ImageNet extractor) for
                                 image models, on the latent itself for the others
    fit(records, ...)            that regression, on the latent or on named image features
    sample_preferred(...)        samples whose latents are resampled by that preference

Steering scores latent proposals and keeps the likeliest without collapsing onto one: it draws
rounds of prior latents (``Steering.round`` per wanted sample), scores each by p(liked), stops
once ``Steering.enough`` per wanted sample look liked (p >= 0.5) or ``Steering.proposals`` per
wanted sample are drawn, and keeps n of the pool drawn without replacement with weights
p(liked) ** (1 / temperature) (Gumbel top-k). Kept latents are still prior draws, so variety
survives: a confident preference picks uniformly among the liked ones, never one point. With
no preference (no feedback), sampling is exactly ``model.sample``: same seed, same images.

Why image features by default: a user likes how an image looks, which a straight line in
latent space separates badly (a style sits in several regions of the latent). bench/feedback.py
measured both on a simulated user (BENCHMARKS.md, "Feedback loop").
"""

from __future__ import annotations

import functools
import json
import math
import os
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch

from .errors import ConfigError
from .models.base import make_generator
from .models.capabilities import LatentGenerator
from .run_folder import Run
from .sample import generate_from_latents
from .training.logs import read_log

PRIOR_CONTRAST_SEED = 17  # the prior draws that stand in for a missing verdict (see fit)
LATENT = "latent"  # a preference on the latent itself (else: on image features, by extractor)
AUTO = "auto"  # image features for models that draw images, the latent for the others
IMAGE_FEATURES = "efficientnet-lite0"  # fixed and generic: never the judge of bench/feedback.py
MEMO_ROWS = 4096  # image features of recorded latents kept per model (refits reuse them)


@dataclass(frozen=True)
class Steering:
    """How a preference is learnt (``features``, ``l2``) and how a page is drawn with it."""

    features: str = AUTO  # LATENT, AUTO or a feature extractor's name
    l2: float = 1e-2  # L2 penalty of the logistic regression (features standardised)
    proposals: int = 32  # at most this many latent candidates per kept sample
    # bench/feedback.py (hinge-sn model): T 0.1 with 4 liked-looking proposals per kept sample
    # reached 42-79 % liked on page 4 where T 0.25 with 2 reached 38-79 %, as varied
    temperature: float = 0.1  # weights p ** (1 / T): below 1 sharper, above 1 more variety
    round: int = 4  # candidates per kept sample drawn (and scored) at a time
    enough: int = 4  # stop drawing once this many per kept sample look liked; 0: never stop

    def __post_init__(self) -> None:
        if self.proposals < 1 or self.round < 1 or self.enough < 0:
            raise ConfigError("steering needs proposals and round >= 1 and enough >= 0")
        if not self.temperature > 0:
            raise ConfigError(f"steering temperature must be above 0, got {self.temperature}")

    def features_for(self, model) -> str:
        """What the preference reads for ``model``: ``features``, with AUTO resolved."""
        if self.features != AUTO:
            return self.features
        return IMAGE_FEATURES if getattr(model, "output_kind", None) == "image" else LATENT


STEERING = Steering()  # the CLI's, the studio's and the bench's default
# The first steering (before bench/feedback.py chose the default): a preference on the latent,
# 8 proposals per sample, all scored, weights p(liked).
LATENT_STEERING = Steering(features=LATENT, proposals=8, temperature=1.0, round=8, enough=0)


def feedback_file(source: Run | str | Path) -> Path:
    """The feedback file of a run (a Run, a run or checkpoint folder), or ``source`` itself
    where it is a file."""
    if isinstance(source, Run):
        return source.feedback_file
    path = Path(source).expanduser()
    return path if path.is_file() else Run.of(path).feedback_file


def record(
    run: Run | str | Path,
    latent,
    liked: bool,
    *,
    classes=None,
    seed: int | None = None,
    index: int | None = None,
) -> dict:
    """Append one verdict on the sample of ``latent`` (a 1-D vector) to the run's feedback file:
    ``classes`` the conditional model's class mixture (a row of weights), ``seed`` and ``index``
    where the sample came from. Returns the record written."""
    entry = {
        "latent": [float(v) for v in torch.as_tensor(latent, dtype=torch.float64).flatten()],
        "liked": bool(liked),
        "classes": None
        if classes is None
        else [float(v) for v in torch.as_tensor(classes, dtype=torch.float64).flatten()],
        "seed": seed,
        "index": index,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    append_line(feedback_file(run if isinstance(run, Run) else Run.of(run)), json.dumps(entry))
    return entry


def append_line(path: Path, line: str) -> None:
    """One line appended in one ``write`` on an O_APPEND descriptor, so two writers (two studio
    tabs) never interleave inside a line. After a torn last line (a power cut) the new line
    starts on a line of its own, so only the torn one is lost."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        torn = size > 0 and _last_byte(path) != b"\n"
        data = (("\n" if torn else "") + line + "\n").encode("utf-8")
        if os.write(fd, data) != len(data):
            raise OSError(f"short write appending to {path}")
    finally:
        os.close(fd)


def _last_byte(path: Path) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1)


def load(source: Run | str | Path) -> tuple[list[dict], int]:
    """The feedback records of a run (or a feedback file) and how many lines were skipped: the
    log reader's tolerance (a torn line is skipped and counted), plus any line that is not a
    verdict on a latent."""
    entries, skipped = read_log(feedback_file(source))
    records = [e for e in entries if _is_record(e)]
    return records, skipped + len(entries) - len(records)


def _is_record(entry: dict) -> bool:
    latent = entry.get("latent")
    return (
        isinstance(entry.get("liked"), bool)
        and isinstance(latent, list)
        and len(latent) > 0
        and all(isinstance(v, (int, float)) and math.isfinite(v) for v in latent)
    )


@dataclass(frozen=True)
class Preference:
    """p(liked) = sigmoid(x . weight + bias), fitted on feedback records, where x is the latent
    (``features == "latent"``) or the features of the latent's image by the named feature
    extractor, standardised by ``center`` and ``spread`` (then ``latent_size`` is the size of
    the latents it scores)."""

    weight: torch.Tensor  # (dim,)
    bias: float
    features: str = LATENT
    center: torch.Tensor | None = None  # (dim,) image features only
    spread: torch.Tensor | None = None  # (dim,)
    latent_size: int | None = None

    @property
    def z_dim(self) -> int:
        return self.weight.numel() if self.latent_size is None else self.latent_size

    @property
    def reads_images(self) -> bool:
        return self.features != LATENT

    def probability(self, x: torch.Tensor) -> torch.Tensor:
        """p(liked) of rows ``x``: latents, or image features (see ``inputs``)."""
        x = x.double()
        if self.center is not None:
            x = (x - self.center) / self.spread
        return torch.sigmoid(x @ self.weight + self.bias)

    def inputs(self, model, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """What ``probability`` reads for latents ``z``: ``z`` itself, or the features of the
        images ``model`` draws from them (with ``labels`` for a conditional model)."""
        return image_features(model, z, labels, self.features) if self.reads_images else z

    def score(self, model, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """p(liked) of the samples of latents ``z``, (N,)."""
        return self.probability(self.inputs(model, z, labels))


@functools.lru_cache(maxsize=2)
def feature_extractor(name: str):
    """One extractor per name and process: loading its weights costs more than a page."""
    # imported here: the metrics package (scipy.linalg among others) is 0.2 CPU s of the
    # studio's start, and only a preference on image features needs it
    from .metrics.extractors import get_extractor

    return get_extractor(name)


def image_features(model, z: torch.Tensor, labels, extractor: str) -> torch.Tensor:
    """Features (N, dim) of the images ``model`` draws from latents ``z``."""
    with torch.no_grad():
        return feature_extractor(extractor)(generate_from_latents(model, z, labels=labels))


# model -> {(extractor, latent bytes, label bytes): features}: a refit after each page only
# featurises the new verdicts (the studio refits on every page; a record's image never changes
# while its model object lives). The lock: the studio's requests run in threads.
_MEMO: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_MEMO_LOCK = threading.Lock()


def recorded_features(model, z: torch.Tensor, labels, extractor: str) -> torch.Tensor:
    """``image_features`` of rows ``z`` (and ``labels``), each row computed once per model
    (the MEMO_ROWS most recently used rows are kept)."""
    zf = z.float().cpu().contiguous()
    labels = None if labels is None else torch.as_tensor(labels).float().cpu().contiguous()
    keys = [
        (
            extractor,
            zf[i].numpy().tobytes(),
            None if labels is None else labels[i].numpy().tobytes(),
        )
        for i in range(len(zf))
    ]
    with _MEMO_LOCK:
        memo = _MEMO.setdefault(model, OrderedDict())
        missing = [i for i, key in enumerate(keys) if key not in memo]
        if missing:
            rows = torch.tensor(missing)
            sub_labels = None if labels is None else labels[rows]
            for i, f in zip(missing, image_features(model, zf[rows], sub_labels, extractor)):
                memo[keys[i]] = f.clone()  # not a view that keeps the whole batch alive
        features = torch.stack([memo[key] for key in keys])
        for key in keys:
            memo.move_to_end(key)
        while len(memo) > MEMO_ROWS:
            memo.popitem(last=False)
    return features


def record_labels(records: list[dict], model) -> torch.Tensor | None:
    """The class rows the records were drawn with, for a conditional model (None otherwise, or
    where a record has none: the model's default labels)."""
    if not model.conditional or any(r.get("classes") is None for r in records):
        return None
    return torch.tensor([r["classes"] for r in records], dtype=torch.float32)


def fit(
    records: list[dict],
    l2: float = STEERING.l2,
    *,
    model=None,
    features: str = LATENT,
) -> Preference | None:
    """Logistic regression of the verdicts on the latents (``features="latent"``) or on the
    features of their images by the named extractor (``model`` then redraws the images), with
    classes weighted equally (a page with few likes still counts them) and an L2 penalty so
    separable feedback stays finite. None without records. Where every verdict is the same,
    prior draws stand in for the other side: the fit then contrasts the liked (or disliked)
    samples with the prior itself."""
    if not records:
        return None
    sizes = {len(r["latent"]) for r in records}
    if len(sizes) > 1:
        raise ConfigError(f"feedback records have latents of different sizes: {sorted(sizes)}")
    z = torch.tensor([r["latent"] for r in records], dtype=torch.float64)
    y = torch.tensor([float(r["liked"]) for r in records], dtype=torch.float64)
    labels = None
    if features != LATENT:
        if model is None:
            raise ConfigError(f"a preference on {features} image features needs the model")
        check_fits(Preference(torch.zeros(z.shape[1]), 0.0), model)
        labels = record_labels(records, model)
    if y.min() == y.max():  # one verdict only: contrast with as many prior draws
        g = make_generator(PRIOR_CONTRAST_SEED)
        z = torch.cat([z, torch.randn(z.shape, generator=g, dtype=torch.float64)])
        y = torch.cat([y, 1.0 - y])
        labels = None if labels is None else torch.cat([labels, labels])
    if features == LATENT:
        weight, bias = logistic_regression(z, y, l2)
        return Preference(weight=weight, bias=bias)
    x = recorded_features(model, z.float(), labels, features).double()
    center, spread = x.mean(0), x.std(0).clamp_min(1e-6)
    weight, bias = logistic_regression((x - center) / spread, y, l2)
    return Preference(weight, bias, features, center, spread, latent_size=z.shape[1])


def logistic_regression(x: torch.Tensor, y: torch.Tensor, l2: float) -> tuple[torch.Tensor, float]:
    """Weight and bias of L2-penalised logistic regression of ``y`` (0/1, both present) on rows
    ``x``, the two classes weighted equally: mean weighted log-loss + l2 * |w|^2, which is
    scikit-learn's 0.5 |w|^2 + C * sum of the losses at C = 1 / (2 * l2 * N)."""
    # imported here: scikit-learn is a second of the studio's start, and only a fit needs it
    from sklearn.linear_model import LogisticRegression

    regression = LogisticRegression(C=1.0 / (2.0 * l2 * len(y)), class_weight="balanced")
    regression.set_params(max_iter=1000)
    regression.fit(x.double().numpy(), y.numpy().astype(int))
    weight = torch.from_numpy(regression.coef_[0].copy()).double()
    return weight, float(regression.intercept_[0])


def check_fits(preference: Preference | None, model, where: str = "the feedback") -> None:
    """Refuse a preference a model cannot use: a model without latents, or latents of
    another size (feedback from another run)."""
    if preference is not None:
        check_latent_size(preference.z_dim, model, where)


def check_latent_size(z_dim: int, model, where: str = "the feedback") -> None:
    """Refuse feedback recorded with latents of size ``z_dim`` for ``model``."""
    if not isinstance(model, LatentGenerator):
        raise ConfigError(f"{model.name} models draw no latents, so {where} cannot steer them")
    if z_dim != model.z_dim:
        raise ConfigError(
            f"{where} has latents of size {z_dim}, but this run's model has "
            f"{model.z_dim}: it belongs to another run"
        )


def preference_for(
    records: list[dict], model, steering: Steering = STEERING, where: str = "the feedback"
) -> Preference | None:
    """The preference ``steering`` fits on ``records`` for ``model`` (None without records),
    checked to fit the model: what ``artgan sample --prefer``, the studio and the bench use."""
    if not records:
        return None
    check_latent_size(len(records[0]["latent"]), model, where)  # before drawing any image
    return fit(records, steering.l2, model=model, features=steering.features_for(model))


def steered_latents(
    model,
    n: int,
    seed: int | None,
    preference: Preference | None,
    truncation: float = 0.0,
    steering: Steering = STEERING,
    classes=None,
) -> torch.Tensor:
    """``n`` latents of ``model``: without a preference exactly ``model.latents(n, seed)``;
    with one, ``n`` of a pool of prior draws scored by p(liked) (see the module's docstring).
    A preference on image features scores each proposal's image (drawn with ``classes``, a
    conditional model's class request). Deterministic by ``seed``."""
    if preference is None:
        return model.latents(n, seed, truncation=truncation)
    check_fits(preference, model)
    g = make_generator(seed)
    pool, scores, drawn = [], [], 0
    while drawn < n * steering.proposals:
        size = min(n * steering.round, n * steering.proposals - drawn)
        z = model.latents(size, generator=g, truncation=truncation)
        labels = model.labels(classes, size) if preference.reads_images else None
        pool.append(z)
        scores.append(preference.score(model, z, labels))
        drawn += size
        liked = int(sum((p >= 0.5).sum() for p in scores))
        if steering.enough and liked >= steering.enough * n:
            break
    candidates, p = torch.cat(pool), torch.cat(scores)
    # n drawn without replacement with weights p ** (1 / T): the n largest of log-weight plus
    # Gumbel noise (Efraimidis-Spirakis), in log space so that no weight underflows
    log_weights = torch.log(p.double().clamp_min(1e-300)) / steering.temperature
    uniform = torch.rand(len(p), generator=g, dtype=torch.float64).clamp_min(1e-300)
    keys = log_weights - torch.log(-torch.log(uniform))
    return candidates[keys.topk(n).indices]


def sample_preferred(
    model,
    n: int,
    seed: int | None,
    preference: Preference | None,
    options: dict | None = None,
    steering: Steering = STEERING,
) -> torch.Tensor:
    """``model.sample(n, seed, **options)`` steered by ``preference`` (see the module's
    docstring); with no preference it is that call, unchanged."""
    options = dict(options or {})
    if preference is None:
        return model.sample(n, seed=seed, **options)
    truncation = options.pop("truncation", 0.0) or 0.0
    classes = options.pop("classes", None)
    if options:
        raise ConfigError(f"steered sampling takes no {', '.join(sorted(options))} option")
    z = steered_latents(model, n, seed, preference, truncation, steering, classes)
    return generate_from_latents(model, z, labels=model.labels(classes, n))


def load_preference(
    path: str | Path, model, steering: Steering = STEERING
) -> tuple[Preference, list[dict]]:
    """The preference fitted on a feedback file, checked against ``model``, and the records it
    came from; a ConfigError naming the file where it is missing, holds no verdicts, or
    belongs to a run whose latents are another size."""
    path = Path(path).expanduser()
    where = f"--prefer {path}"
    if path.is_dir():  # a run folder: its feedback file
        path = Run.of(path).feedback_file
    if not path.is_file():
        raise ConfigError(f"{where}: no such file (likes and dislikes go to RUN/feedback.jsonl)")
    records, _ = load(path)
    if not records:
        raise ConfigError(f"{where} holds no likes or dislikes to learn from")
    return preference_for(records, model, steering, where), records
