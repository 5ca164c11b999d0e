"""The runs the studio lists, what each can do (from its saved config, no weights read), and
the loaded models, kept while they are in use.

A run is listed by the tab that can use it: Create and Edit take image runs that draw latents
(``LatentGenerator``), Restyle takes ``Translator`` runs, Upscale ``Upscaler`` runs, Inpaint
``Inpainter`` runs. Capabilities are the declared types of the family (DESIGN 11).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArtganError, ConfigError
from ..models import model_class
from ..models.capabilities import LatentGenerator
from ..run_folder import Run
from ..training.checkpoint import load_model, resolve_checkpoint
from .folders import StudioFolders

MODELS_KEPT = 4  # loaded models kept in memory (a model of a 64 px run is a few MB)


@dataclass(frozen=True)
class RunInfo:
    name: str  # relative to the runs folder ("." for the folder itself)
    folder: Path
    family: str
    kind: str  # image, points, text, audio
    trained: bool  # holds a checkpoint to load

    def can(self, capability: type) -> bool:
        return issubclass(model_class(self.family), capability)


def describe_run(folder: Path, name: str) -> RunInfo | None:
    """What the run in ``folder`` is, or None where it is not a readable run."""
    try:
        model = Run(folder).read_config().get("model") or {}
        family = model_class(str(model.get("name", "")))
    except ArtganError:
        return None
    try:
        resolve_checkpoint(folder)
        trained = True
    except ArtganError:
        trained = False
    return RunInfo(name, folder, family.name, family.kind_from_config(model), trained)


def list_runs(folders: StudioFolders) -> list[RunInfo]:
    """The runs directly inside the runs folder (or the folder itself when it is a run),
    newest name last; unreadable folders are left out."""
    root = folders.runs.resolve()
    found = describe_run(root, ".")
    if found is not None:
        return [found]
    runs = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if folder.resolve().parent != root:  # a link out of the runs folder is not listed
            continue
        info = describe_run(folder, folder.name)
        if info is not None:
            runs.append(info)
    return runs


def run_choices(folders: StudioFolders, capability: type, kind: str | None = "image") -> list[str]:
    """Names of the trained runs that declare ``capability`` (and make ``kind``)."""
    return [
        r.name
        for r in list_runs(folders)
        if r.trained and r.can(capability) and (kind is None or r.kind == kind)
    ]


class ModelCache:
    """Loaded models by checkpoint folder, the most recently used kept. A run that trained
    further (a new ``LATEST``) is loaded again."""

    def __init__(self, device: str = "cpu", size: int = MODELS_KEPT):
        self.device, self.size = device, size
        self._models: OrderedDict[Path, object] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, run: Path, capability: type | None = None, what: str = "this tab"):
        checkpoint = resolve_checkpoint(run)
        with self._lock:
            model = self._models.pop(checkpoint, None)
            if model is None:
                model = load_model(checkpoint, device=self.device)
            self._models[checkpoint] = model
            while len(self._models) > self.size:
                self._models.popitem(last=False)
        if capability is not None and not isinstance(model, capability):
            raise ConfigError(f"{run.name} holds a {model.name} model, which {what} cannot use")
        return model


def latent_image_model(cache: ModelCache, run: Path):
    """A model that draws images from latents, or a clear error."""
    model = cache.load(run, LatentGenerator, "Create and Edit (image runs that draw latents)")
    if model.output_kind != "image":
        raise ConfigError(f"{run.name} makes {model.output_kind}, not images")
    return model
