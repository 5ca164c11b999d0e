"""Class conditioning of the GAN families: the config fields' checks, and turning what a user
asks for ("monet", "monet:0.5,vangogh:0.5", an index, a list, a tensor) into soft label rows.

A conditional model stores its class names in its config (``model.class_names``, filled from
the data's labels: subfolders, the ``art`` styles, digits, Fashion-MNIST), so a saved run can be
asked for a class by name. A blend is a convex mixture of one-hot rows; every conditional layer
is linear in that row (nn/conditional.py), so a blend mixes the classes' embeddings and
conditional batch-norm parameters.
"""

from __future__ import annotations

import math
import re

import torch

from ..errors import ConfigError, UnknownNameError
from ..nn.conditional import D_CONDITIONING
from .base import DataSpec

ClassRequest = str | int | list | tuple | dict | torch.Tensor | None


def check_conditional_fields(config) -> None:
    """Validate ``conditional``, ``cond_d``, ``num_classes``, ``class_names``, ``acgan_weight``."""
    if config.cond_d not in D_CONDITIONING:
        raise ConfigError(
            f"model.cond_d must be one of {', '.join(D_CONDITIONING)}, got {config.cond_d!r}"
        )
    if config.num_classes < 0 or config.acgan_weight < 0:
        raise ConfigError("model.num_classes and model.acgan_weight must be >= 0")
    if config.class_names and len(config.class_names) != config.num_classes:
        raise ConfigError(
            f"model.class_names has {len(config.class_names)} names for "
            f"{config.num_classes} classes"
        )
    if config.conditional and config.num_classes == 1:
        raise ConfigError("a conditional model needs at least 2 classes")


def take_image_data(config, spec: DataSpec):
    """``with_data`` of the image GANs (dcgan, resnet, fastgan): the data's channels and, for a
    conditional model, its classes; point data is refused in one line."""
    if len(spec.shape) != 3:
        raise ConfigError(f"{config.name} needs image data; for 2-D points use --model mlp")
    config.channels = spec.shape[0]
    set_classes(config, spec)
    return config


def set_classes(config, spec: DataSpec) -> None:
    """Take the classes of the data for a conditional model (and check a resumed run's)."""
    if not config.conditional:
        return
    if spec.num_classes < 2:
        raise ConfigError(
            "model.conditional needs labelled data with at least 2 classes: a folder with one "
            "subfolder per class, or a labelled built-in dataset (art, digits, fashion-mnist)"
        )
    names = [str(n) for n in spec.class_names] or [str(k) for k in range(spec.num_classes)]
    if config.class_names and config.class_names != names:
        raise ConfigError(
            f"the model was built for the classes {', '.join(config.class_names)}, but the data "
            f"has {', '.join(names)}; train a new run for the new classes"
        )
    config.num_classes, config.class_names = len(names), names


def class_index(name: str | int, class_names: list[str]) -> int:
    """The index of a class given by name (exact, then case-insensitive) or by number."""
    if isinstance(name, int) and not isinstance(name, bool):
        if 0 <= name < len(class_names):
            return name
        raise UnknownNameError(
            f"class index {name} is out of range: the model has classes 0..{len(class_names) - 1}"
            f" ({', '.join(class_names)})"
        )
    text = str(name).strip()
    if text in class_names:
        return class_names.index(text)
    folded = [k for k, c in enumerate(class_names) if c.casefold() == text.casefold()]
    if len(folded) == 1:
        return folded[0]
    if re.fullmatch(r"\d+", text) and int(text) < len(class_names):
        return int(text)
    raise UnknownNameError(f"unknown class {text!r}; valid classes: {', '.join(class_names)}")


def parse_class_spec(text: str) -> list[tuple[str, float]]:
    """``"monet"`` -> [("monet", 1.0)]; ``"monet:0.5,vangogh:0.5"`` -> a weighted blend."""
    parts = []
    for item in (p.strip() for p in str(text).split(",")):
        if not item:
            continue
        name, sep, weight = item.rpartition(":")
        if not sep:
            name, weight = item, "1"
        try:
            value = float(weight)
        except ValueError:
            raise ConfigError(
                f"bad class weight in {item!r}; write a blend as name:weight,name:weight "
                "(e.g. monet:0.5,vangogh:0.5)"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise ConfigError(f"class weights must be finite numbers >= 0, got {item!r}")
        parts.append((name.strip(), value))
    if not parts or sum(w for _, w in parts) <= 0:
        raise ConfigError(f"no class with a positive weight in {text!r}")
    return parts


def class_row(request, class_names: list[str]) -> torch.Tensor:
    """One request (a name, an index, a blend string or {name: weight}) -> a (K,) soft row
    that sums to 1 (blend weights are normalised)."""
    if isinstance(request, dict):
        parts = [(k, float(v)) for k, v in request.items()]
        weights = [w for _, w in parts]
        if not all(math.isfinite(w) and w >= 0 for w in weights) or sum(weights) <= 0:
            raise ConfigError(
                f"class weights must be finite numbers >= 0 with a positive sum, got {request}"
            )
    elif isinstance(request, int) and not isinstance(request, bool):
        parts = [(request, 1.0)]
    else:
        parts = parse_class_spec(str(request))
    row = torch.zeros(len(class_names))
    for name, weight in parts:
        row[class_index(name, class_names)] += weight
    return row / row.sum()


def resolve_labels(config, classes: ClassRequest, n: int) -> torch.Tensor | None:
    """Soft label rows (n, K) for ``n`` samples of a model with ``config``; None for an
    unconditional model asked for nothing. ``classes``: None (cycle through the classes),
    one request for all samples, a list of one request per sample, int labels (n,), or rows
    (K,) / (n, K)."""
    if not getattr(config, "conditional", False):
        if classes is not None:
            raise ConfigError(
                "this model is not class-conditional, so it takes no class; "
                "train one with --conditional"
            )
        return None
    names, k = list(config.class_names), config.num_classes
    if not names:
        names = [str(i) for i in range(k)]
    if classes is None:
        return torch.eye(k)[torch.arange(n) % k]  # (n, K): class i % K for sample i
    if isinstance(classes, torch.Tensor):
        rows = classes.float()
        if rows.dim() == 1 and not classes.is_floating_point():  # int labels (n,)
            if (classes < 0).any() or (classes >= k).any():
                raise ConfigError(f"class labels must lie in 0..{k - 1}")
            rows = torch.eye(k)[classes.long()]
        if rows.dim() == 1:
            rows = rows.unsqueeze(0)
        if rows.shape[-1] != k:
            raise ConfigError(f"class rows must have {k} columns (one per class)")
        if not bool(torch.isfinite(rows).all()) or bool((rows < 0).any()):
            raise ConfigError("class rows must hold finite weights >= 0 (a NaN makes noise)")
        return _expand(rows, n)
    if isinstance(classes, (list, tuple)):
        return _expand(torch.stack([class_row(c, names) for c in classes]), n)
    return class_row(classes, names).unsqueeze(0).expand(n, -1).clone()


def _expand(rows: torch.Tensor, n: int) -> torch.Tensor:
    if len(rows) == 1:
        return rows.expand(n, -1).clone()
    if len(rows) != n:
        raise ConfigError(f"{len(rows)} class requests for {n} samples; give one or {n}")
    return rows


def require_conditional(model, what: str) -> None:
    """A clear error when ``what`` (e.g. "--class") is asked of a model without classes."""
    if not model.conditional:
        raise ConfigError(
            f"{what} needs a class-conditional model, but this {model.name} model has no "
            "classes; train one with --conditional on labelled data"
        )
