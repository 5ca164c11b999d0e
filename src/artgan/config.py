"""Dataclass configs, JSON/YAML load and save, and dotted overrides (``model.width=64``).

Every config is a dataclass of JSON-safe fields, validated in ``__post_init__``. A whole run is
described by :class:`RunConfig`; the model's section is the family's own dataclass, chosen by
name through the model registry.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text
from .errors import ConfigError

# ----------------------------------------------------------------------------- generic helpers


def to_dict(config: Any) -> dict:
    return dataclasses.asdict(config)


MAX_LR = 10.0  # far above any useful Adam step; larger only diverges
FLOAT32_MAX = 3.4e38  # the largest number a float32 tensor (weights, learning rates) holds


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(value: Any, annotation: Any, name: str) -> Any:
    """Turn ``value`` (often a string from the command line) into ``annotation``'s type."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            return None
        last_error: Exception | None = None
        for option in options:
            try:
                return _coerce(value, option, name)
            except ConfigError as error:
                last_error = error
        raise last_error or ConfigError(f"bad value {value!r} for {name}")
    if origin in (list, tuple):
        (inner, *_) = typing.get_args(annotation) or (Any,)
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()] if value else []
        return [_coerce(v, inner, name) for v in value]
    if annotation is Any:
        return value
    if annotation is bool:
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    if annotation in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(f"{name} must be a number, got {value!r}") from None
        if not math.isfinite(number) or abs(number) > FLOAT32_MAX:
            raise ConfigError(f"{name} must be a finite number of sensible size, got {value!r}")
        if annotation is int and abs(number) >= 2**63:
            raise ConfigError(f"{name} must fit in 64 bits, got {value!r}")
        if annotation is int:
            if number != int(number):
                raise ConfigError(f"{name} must be a whole number, got {value!r}")
            return int(number)
        return number
    if annotation is str:
        return str(value)
    if dataclasses.is_dataclass(annotation):
        if isinstance(value, annotation):
            return value
        return from_dict(annotation, value, prefix=name)
    return value


def from_dict(cls: type, data: dict | None, prefix: str = "") -> Any:
    """Build dataclass ``cls`` from a (possibly partial) dict; unknown keys are an error."""
    data = dict(data or {})
    types_ = _field_types(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    unknown = sorted(set(data) - set(names))
    if unknown:
        where = f" in {prefix}" if prefix else ""
        raise ConfigError(
            f"unknown option{where}: {', '.join(unknown)}; valid options: {', '.join(names)}"
        )
    kwargs = {k: _coerce(v, types_[k], f"{prefix}.{k}" if prefix else k) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except TypeError as error:
        raise ConfigError(f"bad config for {prefix or cls.__name__}: {error}") from None


def replace(config: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` that re-runs validation and coerces values."""
    merged = {**to_dict(config), **changes}
    return from_dict(type(config), merged)


def parse_value(text: str) -> Any:
    """A command-line value: JSON when it parses (numbers, true, lists), else the plain string."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return text


def apply_overrides(data: dict, overrides: dict[str, Any]) -> dict:
    """Apply ``{"model.width": 64}`` style overrides to a nested dict (returns a new dict)."""
    result = json.loads(json.dumps(data))
    for dotted, value in overrides.items():
        keys = dotted.split(".")
        node = result
        for key in keys[:-1]:
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"cannot set {dotted}: {key} is not a section")
            node = child
        node[keys[-1]] = value
    return result


def env_whole_number(name: str, default: int, unit: str) -> int:
    """A limit the user may raise through the environment variable ``name`` (underscores
    allowed: 64_000_000); ``default`` when unset; an error for anything but a number >= 1."""
    text = os.environ.get(name, "").strip().replace("_", "")
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"{name} must be a whole number of {unit}, got {text!r}")
    return int(text)


def read_config_file(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:
                raise ConfigError("YAML configs need PyYAML: pip install 'artgan[yaml]'") from None
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except (ValueError, Exception) as error:  # yaml.YAMLError is not importable without yaml
        if isinstance(error, ConfigError):
            raise
        raise ConfigError(f"cannot parse {path}: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of options")
    return data


def write_json(path: str | Path, data: Any) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    atomic_write_text(Path(path), json.dumps(data, indent=2, sort_keys=False) + "\n")


# ----------------------------------------------------------------------------- model sections


@dataclass(frozen=True)
class DefaultsContext:
    """What a family may look at when it chooses its defaults for a new run."""

    source: str  # the data source as given: a built-in dataset name or a path
    device: str  # the kind of device the run will use: "cpu", "cuda" or "mps"


class ModelConfig:
    """Base of every family's config dataclass (``@dataclass class DCGANConfig(ModelConfig)``).

    ``run_defaults`` is the one place a family says how it trains best: the paper's optimiser,
    batch size, schedule, data preparation or, from the device, its image size. Each value
    applies only where neither the config file nor an override sets it, and ``artgan train
    --dry-run`` shows the result.
    """

    name: typing.ClassVar[str]
    # Options a family added after runs were saved, with the value those runs were trained
    # with: a saved config that lacks one gets it, so old checkpoints load and resume as they
    # trained rather than with the new default (a saved config holds every option it knew).
    saved_before: typing.ClassVar[dict[str, Any]] = {}

    @classmethod
    def complete_saved(cls, saved: dict[str, Any]) -> dict[str, Any]:
        """A saved model section with the options it predates filled in (``saved_before``)."""
        return {**cls.saved_before, **saved}

    @classmethod
    def run_defaults(cls, context: DefaultsContext) -> dict[str, Any]:
        """Dotted settings (``{"train.lr_g": 1e-3, "data.crop": "random"}``) for a new run."""
        return {}

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        """Named runs sized for a time budget, dotted settings like ``run_defaults``':
        ``quick`` (a first look in a few minutes on a laptop CPU), ``cpu`` (a result worth
        keeping in about an hour on a CPU), ``gpu`` (the paper's scale, for a GPU).
        ``--preset NAME`` applies one over the family's defaults and under the options given."""
        return {}


PRESET_NAMES = ("quick", "cpu", "gpu")


def budget_presets(settings: dict[str, tuple]) -> dict[str, dict[str, Any]]:
    """A family's ``presets`` from one (quick, cpu, gpu) triple per dotted setting (one of
    them ``train.steps``), with previews every fifth of the run and a checkpoint at its middle."""
    out = {}
    for index, name in enumerate(PRESET_NAMES):
        chosen = {key: values[index] for key, values in settings.items()}
        steps = int(chosen["train.steps"])
        chosen["train.sample_every"] = max(1, steps // 5)
        chosen["train.checkpoint_every"] = max(1, steps // 2)
        out[name] = chosen
    return out


# ----------------------------------------------------------------------------- run sections


def background_rgb(text: str) -> tuple[int, int, int]:
    """``white``, ``black`` or ``#rrggbb`` -> an (r, g, b) triple of 0-255 values."""
    named = {"white": (255, 255, 255), "black": (0, 0, 0)}
    value = str(text).strip().lower()
    if value in named:
        return named[value]
    digits = value[1:]
    if value.startswith("#") and len(digits) == 6 and all(c in "0123456789abcdef" for c in digits):
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    raise ConfigError(f"data.background must be white, black or a #rrggbb colour, got {text!r}")


@dataclass
class DataConfig:
    """Where the training data comes from and how it is prepared."""

    source: str = "art"  # a built-in dataset name or a path (folder of images, .npy/.csv points)
    color: str = "auto"  # auto | rgb | grey
    crop: str = "center"  # center | random
    flip: bool = False  # random horizontal flip
    split: str = "train"  # train | test (built-ins); folders use held_out_fraction
    held_out_fraction: float = 0.0  # fraction of a folder kept out of training (for evaluation)
    limit: int = 0  # use at most this many items (0 = all)
    seed: int = 0  # seed for procedurally generated data sets
    size: int = 0  # procedural datasets: how many items (0 = the dataset's default)
    in_memory_limit_mb: int = 2048  # larger image folders: a uint8 memory map in the cache
    num_workers: int = 0  # DataLoader workers when streaming
    source_b: str = ""  # two-domain models: the domain-B folder (``source`` is domain A)
    pairing: str = "none"  # none | unpaired (cyclegan) | paired (pix2pix, segan) | noise (segan)
    background: str = "white"  # transparent images are composited on it: white | black | #rrggbb
    # Denoising (pairing noise): noise kinds mixed into clean speech, and the SNR range in dB.
    noise: str = "white,pink,hum,babble"
    snr_min: float = -5.0
    snr_max: float = 15.0

    def __post_init__(self) -> None:
        background_rgb(self.background)  # a bad colour is a ConfigError now, not at decode time
        if self.color not in ("auto", "rgb", "grey"):
            raise ConfigError(f"data.color must be auto, rgb or grey, got {self.color!r}")
        if self.crop not in ("center", "random"):
            raise ConfigError(f"data.crop must be center or random, got {self.crop!r}")
        if not 0.0 <= self.held_out_fraction < 1.0:
            raise ConfigError("data.held_out_fraction must be in [0, 1)")
        if self.limit < 0 or self.size < 0:
            raise ConfigError("data.limit and data.size must be >= 0")
        if self.pairing not in ("none", "unpaired", "paired", "noise"):
            raise ConfigError(
                f"data.pairing must be none, unpaired, paired or noise, got {self.pairing!r}"
            )
        if not -100.0 <= self.snr_min <= self.snr_max <= 100.0:
            raise ConfigError(
                f"data.snr_min and data.snr_max must be -100 to 100 dB with min <= max, got "
                f"{self.snr_min:g} and {self.snr_max:g}"
            )


@dataclass
class TrainConfig:
    """The training loop: budget, optimizers, schedules, logging and checkpoints."""

    steps: int = 2000  # total generator updates for the run (a resume continues to this)
    # Wall-clock budget of one command, in minutes of training (0: none): training stops at the
    # first whole step past it and saves; `--resume` continues to `steps` with a new budget.
    max_minutes: float = 0.0
    batch_size: int = 64  # global batch; split across processes under torchrun
    lr_g: float = 2e-4
    lr_d: float = 2e-4  # TTUR: set a different discriminator rate
    beta1: float = 0.5
    beta2: float = 0.999
    lr_decay: str = "none"  # none | linear | cosine
    lr_decay_start: float = 0.5  # fraction of steps after which the rate decays to zero
    ema_decay: float = 0.999  # exponential moving average of generator weights; 0 turns it off
    ema_start: int = 0  # step at which EMA starts tracking (copy before)
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    precision: str = "auto"  # auto (bf16 on CUDA that has it, else fp32) | fp32 | bf16
    sample_every: int = 500  # sample grid from a fixed seed every N steps (0 = only at the end)
    checkpoint_every: int = 1000  # 0 = only at the end
    keep_checkpoints: int = 2
    log_every: int = 10
    progress: bool = True
    tensorboard: bool = True  # write scalars when tensorboard is installed
    threads: int = 0  # CPU threads for torch (0 = torch default)

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ConfigError("train.steps must be at least 1")
        if self.batch_size < 1:
            raise ConfigError("train.batch_size must be at least 1")
        if not 0.0 <= self.max_minutes < float("inf"):
            raise ConfigError(
                f"train.max_minutes must be 0 (no limit) or a number of minutes above 0, got "
                f"{self.max_minutes:g}"
            )
        if not (0 < self.lr_g <= MAX_LR and 0 < self.lr_d <= MAX_LR):
            raise ConfigError(
                f"learning rates must be above 0 and at most {MAX_LR}, got "
                f"lr_g {self.lr_g:g}, lr_d {self.lr_d:g}"
            )
        if self.lr_decay not in ("none", "linear", "cosine"):
            raise ConfigError(
                f"train.lr_decay must be none, linear or cosine, got {self.lr_decay!r}"
            )
        if not 0.0 <= self.lr_decay_start < 1.0:
            raise ConfigError("train.lr_decay_start must be in [0, 1)")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError("train.ema_decay must be in [0, 1)")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise ConfigError(f"train.precision must be auto, fp32 or bf16, got {self.precision!r}")
        for name in ("sample_every", "checkpoint_every", "log_every", "threads"):
            if getattr(self, name) < 0:
                raise ConfigError(f"train.{name} must be >= 0")
        if self.keep_checkpoints < 1:
            raise ConfigError("train.keep_checkpoints must be at least 1")
        if not 0 <= self.seed < 2**32:  # derived per-rank and per-epoch seeds must fit 64 bits
            raise ConfigError(f"train.seed must be from 0 to {2**32 - 1}, got {self.seed}")


@dataclass
class RunConfig:
    """Everything that defines a training run. ``model`` is the family's own config dataclass."""

    model: Any = None
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    run_dir: str = ""  # empty: runs/NNNNN-<model>-<data>
    # The family defaults that filled unset settings of a new run (not saved: the saved config
    # holds every value). Training says them in its first line, so a user knows what was chosen.
    applied_defaults: dict = field(default_factory=dict, compare=False)
    # The --preset a new run took and its settings (not saved either: the values are).
    applied_preset: dict = field(default_factory=dict, compare=False)
    # The objective's recipe (losses/recipes.py) a new run took: its name and settings (not
    # saved either); it filled unset settings over the family defaults.
    applied_recipe: dict = field(default_factory=dict, compare=False)

    @property
    def model_name(self) -> str:
        return self.model.name

    def to_dict(self) -> dict:
        return {
            "model": {"name": self.model.name, **to_dict(self.model)},
            "data": to_dict(self.data),
            "train": to_dict(self.train),
            "run_dir": self.run_dir,
        }

    @classmethod
    def from_dict(cls, data: dict, model_config_class: Callable[[str], type]) -> RunConfig:
        """The run config in ``data``; ``model_config_class(name)`` gives a family's config
        class (artgan.models.model_config_class: this layer sits below the models)."""
        data = dict(data)
        unknown = sorted(set(data) - {"model", "data", "train", "run_dir"})
        if unknown:
            raise ConfigError(
                f"unknown config section: {', '.join(unknown)}; valid: model, data, train, run_dir"
            )
        model = dict(data.get("model") or {})
        name = model.pop("name", None) or "dcgan"
        return cls(
            model=from_dict(model_config_class(name), model, prefix="model"),
            data=from_dict(DataConfig, data.get("data"), prefix="data"),
            train=from_dict(TrainConfig, data.get("train"), prefix="train"),
            run_dir=str(data.get("run_dir") or ""),
        )
