"""Checkpoints that are safe to load and complete enough to resume exactly.

A checkpoint folder (``Run.checkpoint_folder(step)``; file names in run_folder.py) holds
        WEIGHTS_FILE           every network's raw weights
        EMA_WEIGHTS_FILE       averaged generator weights (used for sampling), when EMA is on
        CHECKPOINT_META_FILE   family, model config, data description: enough to rebuild
        TRAINING_STATE_FILE    optimizers, step, RNG states, batch position, model extras;
                               tensors and plain containers only (torch.load weights_only=True)
and ``Run.latest_file`` names the newest complete checkpoint.

A checkpoint is written into a temporary folder, renamed into place, and only then named in
LATEST (atomically), so a run killed at any moment leaves a loadable checkpoint.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import warnings
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch.overrides import TorchFunctionMode

from ..config import from_dict, to_dict
from ..errors import ArtganError, CheckpointError, ConfigError, UnknownNameError
from ..models import model_class
from ..run_folder import (  # noqa: F401  (weights_sha256: re-exported)
    CHECKPOINT_META_FILE,
    EMA_WEIGHTS_FILE,
    TRAINING_STATE_FILE,
    WEIGHTS_FILE,
    Checkpoint,
    Run,
    step_name,
    weights_sha256,
)
from ..version import __version__
from .atomic import atomic_write, atomic_write_text

FORMAT_VERSION = 1
WRAPPER_PREFIXES = ("module.", "_orig_mod.")
MODEL_FILE, EMA_FILE, CONFIG_FILE = WEIGHTS_FILE, EMA_WEIGHTS_FILE, CHECKPOINT_META_FILE
STATE_FILE = TRAINING_STATE_FILE


def clean_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Strip DataParallel / torch.compile wrapper prefixes and make tensors saveable."""
    out = {}
    for key, value in state.items():
        for prefix in WRAPPER_PREFIXES:
            key = key.replace(prefix, "")
        out[key] = value.detach().cpu().contiguous()
    return out


def rng_state() -> dict:
    state = {
        "torch": torch.get_rng_state(),
        "numpy": _numpy_state(),
        "python": _python_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state(
        ("MT19937", keys.numpy().astype(np.uint32), int(pos), int(has_gauss), float(gauss))
    )
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal.tolist()), gauss_next))


def _numpy_state() -> list:
    _, keys, pos, has_gauss, gauss = np.random.get_state()
    return [torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss]


def _python_state() -> list:
    version, internal, gauss_next = random.getstate()
    return [version, torch.tensor(internal, dtype=torch.int64), gauss_next]


def model_meta(model, data_info: dict, step: int, run_id: str) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "artgan_version": __version__,
        "class": type(model).__name__,
        "family": model.name,
        "model": {"name": model.name, **to_dict(model.config)},
        "data": data_info,
        "step": step,
        "run_id": run_id,
    }


def save_checkpoint(
    run_dir: Path, step: int, model, ema: dict, training_state: dict, meta: dict, keep: int
) -> Path:
    run = Run(Path(run_dir))
    folder = run.checkpoints
    folder.mkdir(parents=True, exist_ok=True)
    name = step_name(step)
    final = run.checkpoint_folder(step)
    tmp = folder / f".{name}.tmp-{os.getpid()}"
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        _write_checkpoint_files(tmp, model, ema, training_state, meta)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        atomic_write_text(run.latest_file, name + "\n")
    except (OSError, SafetensorError, RuntimeError) as error:  # disk full, read-only folder
        shutil.rmtree(tmp, ignore_errors=True)
        raise CheckpointError(
            f"could not write the step-{step} checkpoint in {folder}: "
            f"{getattr(error, 'strerror', None) or str(error).splitlines()[0]}; the previous "
            "checkpoint is intact (free some disk space or make the folder writable, then "
            "resume)"
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(run, keep)
    return final


def _write_checkpoint_files(tmp: Path, model, ema: dict, training_state: dict, meta: dict):
    save_file(
        clean_state_dict(model.state_dict()),
        str(tmp / MODEL_FILE),
        metadata={"format": "pt", "artgan": __version__},
    )
    if ema:
        ema_state = {
            f"{module}.{k}": v for module, e in ema.items() for k, v in e.state_dict().items()
        }
        save_file(clean_state_dict(ema_state), str(tmp / EMA_FILE), metadata={"format": "pt"})
    (tmp / CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    torch.save(training_state, tmp / STATE_FILE)


def _prune(run: Run, keep: int) -> None:
    for old in run.checkpoint_folders()[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def clean_leftovers(run_dir: Path) -> list[Path]:
    """Remove what killed writes left behind: ``checkpoints/.step-*.tmp-PID`` folders and
    ``.<name>.*.tmp`` files (atomic writes, e.g. ``.LATEST.*.tmp``). Only the holder of the run
    folder's lock may call this (no other writer can be mid-write). Returns what was removed."""
    run = Run(Path(run_dir))
    removed = []
    for folder in (run.root, run.checkpoints, run.samples):
        if not folder.is_dir():
            continue
        for leftover in [*folder.glob(".step-*.tmp-*"), *folder.glob(".*.tmp")]:
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


def read_latest(run_dir: Path) -> Path | None:
    """The checkpoint the run's ``Run.latest_file`` names, confined to its checkpoints folder
    (an absolute path, ``..`` or a link out of it is an error, never followed)."""
    run = Run(Path(run_dir))
    folder, latest = run.checkpoints, run.latest_file
    if not latest.is_file():
        return None
    try:
        name = latest.read_bytes().decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CheckpointError(
            f"{latest} is not UTF-8 text (damaged); write the name of a checkpoint folder "
            "into it, e.g. step-00000200"
        ) from None
    except OSError as error:
        raise CheckpointError(f"cannot read {latest}: {error.strerror or error}") from None
    candidate = folder / name
    inside = (
        name
        and "/" not in name
        and "\\" not in name
        and name not in (".", "..")
        and "\0" not in name
        and candidate.resolve().parent == folder.resolve()
    )
    if not inside:
        raise CheckpointError(
            f"{latest} names {name[:80]!r}, which is not a checkpoint folder inside {folder}; "
            "write the name of one of its step-NNNNNNNN folders into it"
        )
    return candidate


def resolve_checkpoint(path: str | Path) -> Path:
    """A run folder (-> its latest checkpoint) or a checkpoint folder."""
    path = Path(path).expanduser()
    if not path.exists():
        raise CheckpointError(f"no run or checkpoint at {path}")
    if (path / CONFIG_FILE).is_file() and (path / MODEL_FILE).is_file():
        return path
    candidate = read_latest(path)
    if candidate is not None and candidate.is_dir():
        return candidate
    raise CheckpointError(
        f"{path} holds no checkpoint (expected checkpoints/LATEST or {MODEL_FILE} + {CONFIG_FILE})"
    )


def read_meta(checkpoint: Path) -> dict:
    try:
        meta = json.loads((checkpoint / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{checkpoint / CONFIG_FILE} is unreadable: {error}") from None
    path = checkpoint / CONFIG_FILE
    if not isinstance(meta, dict) or "family" not in meta or "model" not in meta:
        raise CheckpointError(f"{path} is not an artgan model config")
    for key, kind, what in META_SCHEMA:
        if key in meta and (not isinstance(meta[key], kind) or isinstance(meta[key], bool)):
            raise CheckpointError(
                f"{path}: field {key!r} must be {what}, got {type(meta[key]).__name__} "
                f"{str(meta[key])[:40]!r}; the file is damaged (use another checkpoint)"
            )
    if meta.get("step", 0) < 0 or meta.get("format_version", 0) < 0:
        raise CheckpointError(f"{path}: 'step' and 'format_version' must be >= 0")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(
            f"{checkpoint} was written by a newer artgan (format {meta['format_version']}); upgrade"
        )
    return meta


# (field, type, in words): what a checkpoint's metadata must hold, checked on load.
META_SCHEMA = (
    ("format_version", int, "a whole number"),
    ("family", str, "a model family name"),
    ("model", dict, "an object (the model config)"),
    ("data", dict, "an object (the data description)"),
    ("step", int, "a whole number"),
    ("run_id", str, "text"),
)


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise CheckpointError(
            f"{path} is truncated or corrupted ({error}); use an earlier checkpoint"
        ) from None


def build_from_meta(meta: dict):
    try:
        cls = model_class(meta["family"])
    except UnknownNameError as error:
        raise CheckpointError(f"checkpoint of an unknown model family: {error}") from None
    model_cfg = dict(meta["model"])
    model_cfg.pop("name", None)
    model_cfg = cls.config_class.complete_saved(model_cfg)
    try:
        config = from_dict(cls.config_class, model_cfg, prefix="model")
        check_model_size(lambda: cls(config), f"the {meta['family']} model")
        return cls(config)
    except ArtganError as error:
        raise CheckpointError(f"checkpoint config: {error}") from None


MAX_PARAMETERS = 2_000_000_000  # 8 GB of float32 weights


class _NoInitOnMeta(TorchFunctionMode):
    """Skips weight initialisation (torch.nn.init's functions, in-place random fills) while a
    model is built on "meta" tensors, which hold shapes only. Initialising them draws nothing,
    but the first ``normal_`` on "meta" imports torch._dynamo: 1.3 CPU s of every cold
    ``artgan sample`` and studio start went there (issue 17)."""

    RANDOM_FILLS = (torch.Tensor.normal_, torch.Tensor.uniform_, torch.Tensor.bernoulli_)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if getattr(func, "__module__", None) == "torch.nn.init" or func in self.RANDOM_FILLS:
            return args[0] if args else kwargs.get("tensor")  # the tensor, left as it is
        return func(*args, **kwargs)


def check_model_size(build, what: str = "the model") -> None:
    """Build on PyTorch's "meta" device (no memory) and refuse a model whose parameter count
    cannot be allocated, before the real build tries (``model.width 1e7``)."""
    try:
        with torch.device("meta"), _NoInitOnMeta():
            model = build()
    except ArtganError:
        raise
    except Exception as error:  # noqa: BLE001
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        if not isinstance(error, (OverflowError, MemoryError)) and "overflow" not in message:
            return  # a family that cannot build on "meta" (e.g. .item()): the real build says
        raise ConfigError(
            f"{what} cannot be built with these settings ({message[:120]}); "
            "lower model.width, model.z_dim or the image size"
        ) from None
    count = sum(p.numel() for p in model.parameters())
    if count > MAX_PARAMETERS:
        raise ConfigError(
            f"{what} would have {count:,} parameters (limit {MAX_PARAMETERS:,}); lower "
            "model.width, model.z_dim or the image size"
        )


def load_weights(model, tensors: dict[str, torch.Tensor], source: Path, strict: bool = True):
    try:
        missing, unexpected = model.load_state_dict(tensors, strict=False)
    except RuntimeError as error:
        raise CheckpointError(
            f"{source} does not fit this {_model_name(model)} model ({_first_mismatch(error)}); "
            "it was saved by a model with other settings"
        ) from None
    if strict and (missing or unexpected):
        raise CheckpointError(
            f"{source} does not fit this {_model_name(model)} model "
            f"({len(missing)} missing, {len(unexpected)} unexpected weights)"
        )


def _model_name(model) -> str:
    return getattr(model, "name", None) or type(model).__name__


def _first_mismatch(error: RuntimeError) -> str:
    """The first specific line of a load_state_dict error (its first line is only a header)."""
    lines = [line.strip().rstrip(".") for line in str(error).splitlines() if line.strip()]
    specific = [line for line in lines[1:] if "size mismatch" in line or "key" in line.lower()]
    return (specific or lines or ["shapes differ"])[0][:300]


def check_device(device: str | torch.device) -> torch.device:
    """A device this machine has, or a one-line error."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f"unknown device {device!r}; use cpu, cuda, cuda:N or mps") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {device}: no CUDA GPU is available here; use --device cpu")
    if parsed.type == "cuda" and parsed.index is not None:
        if parsed.index >= torch.cuda.device_count():
            raise ConfigError(
                f"--device {device}: this machine has {torch.cuda.device_count()} CUDA GPU(s)"
            )
    mps = getattr(torch.backends, "mps", None)
    if parsed.type == "mps" and not (mps and mps.is_available()):
        raise ConfigError(f"--device {device}: Apple MPS is not available here; use --device cpu")
    return parsed


def load_model(
    path: str | Path,
    device: str = "cpu",
    use_ema: bool = True,
    expect_family: str | None = None,
    allow_nonfinite: bool = False,
):
    """Rebuild a model from its checkpoint: safetensors + its metadata only, never a pickle.
    Weights holding NaN or infinity (a diverged run) are refused unless ``allow_nonfinite``
    (then a warning)."""
    if device != "auto":
        check_device(device)
    checkpoint = resolve_checkpoint(path)
    meta = read_meta(checkpoint)
    if expect_family and meta["family"] != expect_family:
        raise CheckpointError(
            f"{path} holds a {meta['family']} model, but a {expect_family} model is needed"
        )
    model = build_from_meta(meta)
    load_weights(model, _load_tensors(checkpoint / MODEL_FILE), checkpoint / MODEL_FILE)
    ema_path = checkpoint / EMA_FILE
    if use_ema and ema_path.is_file():
        ema = _load_tensors(ema_path)
        load_weights(model, ema, ema_path, strict=False)
    bad = [name for name, value in model.state_dict().items() if not _finite(value)]
    what = (
        f"{checkpoint} holds NaN or infinite weights ({len(bad)} tensors, e.g. {bad[0]})"
        if bad
        else ""
    )
    if bad and not allow_nonfinite:
        raise CheckpointError(
            f"{what}: it was saved from a diverged run and would only make noise; use an "
            "earlier checkpoint (or --force to use it anyway)"
        )
    if bad:
        warnings.warn(f"{what}; used anyway (--force): its outputs are likely noise", stacklevel=2)
    model.origin = Checkpoint(checkpoint, meta)
    return model.to(device).eval()


def _finite(value) -> bool:
    return not (isinstance(value, torch.Tensor) and value.is_floating_point()) or bool(
        torch.isfinite(value).all()
    )


def load_training_state(checkpoint: Path, optimizers=None) -> dict:
    """The training state, checked field by field (``optimizers``: the names it must hold)."""
    path = checkpoint / STATE_FILE
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{checkpoint} has no training state ({STATE_FILE})") from None
    except Exception as error:  # corrupted zip, refused pickle: never fall back to unpickling
        raise CheckpointError(
            f"{path} is corrupted or unsafe ({type(error).__name__}); use an earlier checkpoint"
        ) from None
    problem = training_state_problem(state, optimizers)
    if problem:
        raise CheckpointError(f"{path}: {problem}; the file is damaged (use another checkpoint)")
    return state


def training_state_problem(state, optimizers=None) -> str:
    """What is wrong with a loaded training state ('' when nothing)."""
    if not isinstance(state, dict):
        return f"holds a {type(state).__name__}, not the training state"
    for key in ("step", "batch_position"):
        value = state.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"field {key!r} must be a whole number >= 0, got {str(value)[:40]!r}"
    if not isinstance(state.get("optimizers"), dict):
        return "field 'optimizers' is missing or not a dict"
    missing = sorted(set(optimizers or ()) - set(state["optimizers"]))
    if missing:
        return f"field 'optimizers' has no state for {', '.join(missing)}"
    for name, optimizer in state["optimizers"].items():
        if not isinstance(optimizer, dict) or not {"state", "param_groups"} <= set(optimizer):
            return f"field 'optimizers.{name}' is not an optimizer state"
    rngs = state.get("rng")
    for rng in rngs if isinstance(rngs, list) else [rngs]:
        problem = _rng_problem(rng)
        if problem:
            return f"field 'rng' {problem}"
    if not isinstance(state.get("model_extra", {}), dict):
        return "field 'model_extra' is not a dict"
    return ""


def _rng_problem(rng) -> str:
    if not isinstance(rng, dict):
        return "is not a dict of random generator states"
    torch_state = rng.get("torch")
    if not isinstance(torch_state, torch.Tensor) or torch_state.dtype != torch.uint8:
        return "has no valid 'torch' generator state"
    try:
        keys, _pos, _has_gauss, _gauss = rng["numpy"]
        version, internal, _gauss_next = rng["python"]
        if not isinstance(keys, torch.Tensor) or keys.numel() != 624:
            return "has no valid 'numpy' generator state"
        if not isinstance(internal, torch.Tensor) or internal.numel() != 625:
            return "has no valid 'python' generator state"
    except (KeyError, TypeError, ValueError):
        return "has no valid 'numpy' or 'python' generator state"
    return ""


def load_ema_tensors(checkpoint: Path) -> dict[str, torch.Tensor]:
    path = checkpoint / EMA_FILE
    return _load_tensors(path) if path.is_file() else {}


def load_raw_tensors(checkpoint: Path) -> dict[str, torch.Tensor]:
    return _load_tensors(checkpoint / MODEL_FILE)


__all__ = ["atomic_write", "load_model", "resolve_checkpoint", "save_checkpoint"]
