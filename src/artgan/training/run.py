"""Run configs and run folders: from a file, a dict or a resumed run, plus overrides."""

from __future__ import annotations

import json
import re
from dataclasses import MISSING, asdict, fields
from pathlib import Path
from typing import Any

from ..config import (
    DataConfig,
    DefaultsContext,
    RunConfig,
    TrainConfig,
    apply_overrides,
    read_config_file,
)
from ..data import is_point_source
from ..data.folder import IMAGE_SUFFIXES
from ..devices import device_type
from ..errors import ConfigError
from ..losses.recipes import Recipe, objective_recipes
from ..models import model_config_class
from ..registry import MODELS
from ..run_folder import RUN_CONFIG_FILE, Run  # noqa: F401  (RUN_CONFIG_FILE: the trainer's)

# Short keyword names accepted by artgan.train(...) and the CLI, and their dotted paths.
SHORT_NAMES = {
    "model": "model.name",
    "data": "data.source",
    "steps": "train.steps",
    "batch_size": "train.batch_size",
    "seed": "train.seed",
    "device": "train.device",
    "loss": "model.objective.loss",
    "image_size": "model.image_size",
    "scale": "model.scale",
    "conditional": "model.conditional",
    "data_a": "data.source",
    "data_b": "data.source_b",
    "data_noisy": "data.source",  # denoising: noisy recordings in, clean ones the target
    "data_clean": "data.source_b",
    "target": "model.target",
    "eps": "model.eps",
}


def expand_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in overrides.items():
        if value is None:
            continue
        out[SHORT_NAMES.get(key, key)] = value
    return out


def config_dict(config: RunConfig | dict | str | Path | None) -> dict:
    if config is None:
        return {}
    if isinstance(config, RunConfig):
        return config.to_dict()
    if isinstance(config, dict):
        return json.loads(json.dumps(config))
    return read_config_file(config)


def build_run_config(
    config=None, overrides: dict[str, Any] | None = None, preset: str | None = None
) -> RunConfig:
    """Merge a base config with dotted overrides, then the family's own defaults
    (``ModelConfig.run_defaults``) for the settings neither sets. Picks the MLP GAN for 2-D
    point data when no model is named, and starts a fresh model section when the model name
    changes. ``preset`` (``ModelConfig.presets``: quick, cpu, gpu) sets what it names unless an
    override sets it too."""
    base = config_dict(config)
    overrides = expand_overrides(overrides or {})
    base_model = (base.get("model") or {}).get("name")
    name = overrides.pop("model.name", None) or base_model
    source = str(_setting("data.source", base, overrides) or DataConfig.source)
    if name is None:
        name = default_family(source)
    if name != base_model:
        base["model"] = {}
    base.setdefault("model", {})["name"] = name
    chosen = preset_settings(name, preset, _context(base, overrides)) if preset else {}
    overrides = {**chosen, **overrides}  # the options given win over the preset's
    applied = family_defaults(name, base, overrides)
    recipes = chosen_recipes(name, base, overrides, applied)
    recipe = {key: value for r in recipes for key, value in r.settings.items()}
    recipe = _unset_only(recipe, base, overrides)
    applied = {k: v for k, v in applied.items() if k not in recipe}  # the recipe wins over them
    merged = apply_overrides(base, {**applied, **recipe, **overrides})
    run_config = RunConfig.from_dict(merged, model_config_class)
    run_config.applied_defaults = applied
    if recipe:
        run_config.applied_recipe = {
            "name": " + ".join(r.name for r in recipes),
            "settings": recipe,
        }
    if preset:
        run_config.applied_preset = {"name": preset, "settings": chosen}
    return run_config


def preset_settings(family: str, preset: str, context: DefaultsContext) -> dict[str, Any]:
    """The dotted settings of ``family``'s ``preset``, or an error naming the ones it has."""
    presets = model_config_class(family).presets(context)
    if preset not in presets:
        have = ", ".join(presets) if presets else "none"
        raise ConfigError(f"{family} has no preset {preset!r} (its presets: {have})")
    return dict(presets[preset])


def describe_preset(config: RunConfig) -> str:
    """``preset quick: steps 300, image_size 32, ...`` for the first line and --dry-run."""
    if not config.applied_preset:
        return ""
    return f"preset {config.applied_preset['name']}: {_listed(config.applied_preset['settings'])}"


def describe_defaults(config: RunConfig, device: str) -> str:
    """One line naming the family defaults a new run took, e.g. "fastgan's defaults for a cpu:
    image_size 128, width 16, batch_size 8 (set any of them to change it)"; empty if none.
    A --preset comes first, then the objective's recipe: "preset quick: steps 300, ...; recipe
    of wgan-gp (Gulrajani et al. 2017, Algorithm 1): lr_g 0.0001, ...; mlp's defaults ..."."""
    parts = [describe_preset(config)]
    if config.applied_recipe:
        settings = _listed(config.applied_recipe["settings"])
        parts.append(f"recipe of {config.applied_recipe['name']}: {settings}")
    if config.applied_defaults:
        defaults = _listed(config.applied_defaults)
        parts.append(f"{config.model.name}'s defaults for a {device}: {defaults}")
    said = "; ".join(p for p in parts if p)
    if config.applied_recipe or config.applied_defaults:
        said += " (set any of them to change it)"
    return said


def _listed(settings: dict[str, Any]) -> str:
    """``{"train.lr_g": 1e-4, "model.width": 64}`` -> ``lr_g 0.0001, width 64``."""
    return ", ".join(f"{key.split('.')[-1]} {value}" for key, value in settings.items())


def default_family(source: str) -> str:
    """The family a run gets when none is named: the MLP GAN for 2-D points, the few-shot
    FastGAN for a folder of the user's images, DCGAN for the built-in image datasets."""
    if is_point_source(source):
        return "mlp"
    folder = Path(source)
    if folder.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in folder.rglob("*")):
        return "fastgan"
    return "dcgan"


def family_defaults(name: str, base: dict, overrides: dict[str, Any]) -> dict[str, Any]:
    """The family's ``run_defaults`` (e.g. CycleGAN's batch of 1 and linear decay, the VAE's
    Adam 1e-3) for the settings that the config and the overrides leave unset."""
    context = _context(base, overrides)
    return _unset_only(model_config_class(name).run_defaults(context), base, overrides)


def chosen_recipes(
    name: str, base: dict, overrides: dict[str, Any], family: dict[str, Any]
) -> list[Recipe]:
    """The recipes (losses/recipes.py) of the objective a new run chooses where it differs from
    the family's own: its loss, its packing. ``family`` holds the family defaults that apply."""
    objective = next((f for f in fields(model_config_class(name)) if f.name == "objective"), None)
    if objective is None or objective.default_factory is MISSING:
        return []  # a family without an adversarial objective
    prefix = "model.objective."
    own = {**asdict(objective.default_factory()), **_under(prefix, family)}
    chosen = {key: _setting(prefix + key, base, overrides) for key in ("loss", "pack")}
    batch = family.get("train.batch_size", TrainConfig.batch_size)  # the one packing scales
    points = is_point_source(_context(base, overrides).source)
    chosen = {k: v for k, v in chosen.items() if v is not None}
    return objective_recipes(chosen, own, int(batch), points)


def _under(prefix: str, dotted: dict[str, Any]) -> dict[str, Any]:
    return {k.removeprefix(prefix): v for k, v in dotted.items() if k.startswith(prefix)}


def _context(base: dict, overrides: dict[str, Any]) -> DefaultsContext:
    """What a family's defaults and presets may look at: the data source and the device."""
    device = str(_setting("train.device", base, overrides) or TrainConfig.device)
    return DefaultsContext(
        source=str(_setting("data.source", base, overrides) or DataConfig.source),
        device=device_type(device),
    )


def _setting(dotted: str, base: dict, overrides: dict[str, Any]) -> Any:
    """The value of ``dotted`` set by ``overrides`` or the nested ``base`` config, else None."""
    if dotted in overrides:
        return overrides[dotted]
    node: Any = base
    for key in dotted.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _unset_only(defaults: dict[str, Any], base: dict, overrides: dict[str, Any]) -> dict[str, Any]:
    """The dotted ``defaults`` that neither the nested ``base`` config nor ``overrides`` set."""
    return {k: v for k, v in defaults.items() if _setting(k, base, overrides) is None}


def read_run_config(run_dir: Path) -> dict:
    """A run folder's saved config, with the model options it predates filled in."""
    config = Run(Path(run_dir)).read_config()
    model = config.get("model")
    if isinstance(model, dict) and model.get("name") in MODELS.names():
        config["model"] = model_config_class(model["name"]).complete_saved(model)
    return config


def new_run_dir(config: RunConfig, root: Path = Path("runs")) -> Path:
    """``runs/00001-dcgan-art``: the next free number, the model and the data's name."""
    if config.run_dir:
        return Path(config.run_dir)
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := re.match(r"(\d{5})-", p.name))]
    data_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(config.data.source).name or "data")
    return root / f"{max(numbers, default=0) + 1:05d}-{config.model.name}-{data_name}"


def check_steps(value: Any) -> int:
    try:
        steps = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"--steps must be a whole number, got {value!r}") from None
    return steps
