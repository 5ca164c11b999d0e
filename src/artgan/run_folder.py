"""A run folder and the names of everything in it (DESIGN 13). Nothing else builds these paths.

    <run>/config.json            the run's config (RunConfig.to_dict())
    <run>/data.json              what the run trained on: source, shape, manifest, counts
    <run>/checkpoints/LATEST     the name of the newest complete checkpoint
    <run>/checkpoints/<step>/    model.safetensors + meta.json-like config.json, training state
    <run>/samples/               previews from a fixed seed
    <run>/log.jsonl              losses, one line a step
    <run>/loss_curve.png         the losses plotted
    <run>/tensorboard/           the same, for TensorBoard (when installed and asked for)
    <run>/metrics.json           what `artgan eval` measured, appended
    <run>/MODEL_CARD.md          the model card
    <run>/feedback.jsonl         what people said about samples (the studio)
    <run>/.artgan.lock           the writer's lock (Run.lock, run_lock.py)

A checkpoint folder also holds a ``config.json``: the model's metadata (family, config,
artgan version), which is not the run's config. :attr:`Run.checkpoint_meta_file` names it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .cache import file_sha256
from .config import DataConfig, from_dict
from .errors import CheckpointError, ConfigError
from .run_lock import LOCK_FILE, RunLock, is_locked

RUN_CONFIG_FILE = "config.json"
CHECKPOINT_META_FILE = "config.json"  # inside a checkpoint folder: the model's metadata
WEIGHTS_FILE = "model.safetensors"
TRAINING_STATE_FILE = "training_state.pt"
EMA_WEIGHTS_FILE = "ema.safetensors"


def step_name(step: int) -> str:
    """A checkpoint folder's name, and a preview's stem: step-00000200."""
    return f"step-{step:08d}"


def weights_sha256(checkpoint: Path) -> str:
    """Fingerprint of the weights a sample came from (the EMA file when present)."""
    path = checkpoint / EMA_WEIGHTS_FILE
    return file_sha256(path if path.is_file() else checkpoint / WEIGHTS_FILE)


@dataclass(frozen=True)
class Checkpoint:
    """Where a loaded model came from: its checkpoint folder and that folder's metadata
    (family, config, step, run id, data info). ``artgan.load`` sets it as ``model.origin``."""

    folder: Path
    meta: dict

    @property
    def run(self) -> Run:
        return Run.of(self.folder)

    @property
    def step(self) -> int:
        return int(self.meta.get("step", 0))

    @property
    def data(self) -> dict:
        """What the run trained on: source, shape, manifest hash (see data/consent.py)."""
        data = self.meta.get("data")
        return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class Run:
    root: Path

    # --- the layout -------------------------------------------------------------------------
    @property
    def config_file(self) -> Path:
        return self.root / RUN_CONFIG_FILE

    @property
    def data_file(self) -> Path:
        return self.root / "data.json"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def latest_file(self) -> Path:
        return self.checkpoints / "LATEST"

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def log_file(self) -> Path:
        return self.root / "log.jsonl"

    @property
    def loss_curve(self) -> Path:
        return self.root / "loss_curve.png"

    @property
    def metrics_file(self) -> Path:
        return self.root / "metrics.json"

    @property
    def model_card(self) -> Path:
        return self.root / "MODEL_CARD.md"

    @property
    def feedback_file(self) -> Path:
        return self.root / "feedback.jsonl"

    @property
    def lock_file(self) -> Path:
        return self.root / LOCK_FILE

    def checkpoint_folder(self, step: int) -> Path:
        return self.checkpoints / step_name(step)

    def checkpoint_folders(self) -> list[Path]:
        """The complete checkpoint folders, oldest first."""
        return sorted(p for p in self.checkpoints.glob("step-*") if p.is_dir())

    @property
    def tensorboard(self) -> Path:
        return self.root / "tensorboard"

    # --- the writer's lock ------------------------------------------------------------------
    def lock(self) -> RunLock:
        """The run folder's lock: one writer at a time (``with run.lock():``, or
        ``run.lock().acquire()`` ... ``.release()``); see run_lock.py."""
        return RunLock(self.root)

    def is_locked(self) -> bool:
        """Whether a live process holds the lock (creates nothing)."""
        return is_locked(self.root)

    # --- finding a run ----------------------------------------------------------------------
    @classmethod
    def of(cls, path: str | Path) -> Run:
        """The run a path belongs to: a run folder, or one of its checkpoint folders (a
        checkpoint folder copied out on its own is its own run, without a run config)."""
        path = Path(path).expanduser()
        if path.parent.name == "checkpoints" and (path / CHECKPOINT_META_FILE).is_file():
            return cls(path.parent.parent)
        return cls(path)

    # --- reading it -------------------------------------------------------------------------
    def read_config(self) -> dict:
        """The run's config; an error when the folder is not a run."""
        if not self.config_file.is_file():
            raise CheckpointError(f"{self.root} is not an artgan run folder (no {RUN_CONFIG_FILE})")
        try:
            data = json.loads(self.config_file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise CheckpointError(f"{self.config_file} is corrupted: {error}") from None
        if not isinstance(data, dict):
            raise CheckpointError(f"{self.config_file} is corrupted: not a mapping")
        return data

    def saved_config(self) -> dict:
        """The run's config, or {} for a lone checkpoint or a damaged config."""
        try:
            return self.read_config()
        except CheckpointError:
            return {}

    def saved_data(self) -> dict:
        """The run config's data section, or {}."""
        data = self.saved_config().get("data")
        return dict(data) if isinstance(data, dict) else {}

    def training_folders(self) -> list[Path]:
        """The folders the run trained on (data.source, and data.source_b for two domains),
        resolved; built-in datasets and files are not folders and are left out."""
        saved = self.saved_data()
        sources = [saved.get("source"), saved.get("source_b")]
        try:  # a lone checkpoint has no run config: its metadata names the source
            sources.append(json.loads(self.data_file.read_text(encoding="utf-8")).get("source"))
        except (OSError, ValueError, AttributeError):
            pass
        folders = {Path(str(s)).expanduser().resolve() for s in sources if s}
        return sorted(f for f in folders if f.is_dir())

    def refuse_output_inside_data(self, out: str | Path) -> None:
        """An error when ``out`` lies in a folder the run trained on: generated files there
        would become training data of the next run on that folder, and could be mistaken for
        the originals."""
        target = Path(out).expanduser().resolve()
        for folder in self.training_folders():
            if target == folder or folder in target.parents:
                raise ConfigError(
                    f"--out {out} is inside {folder}, the training data of {self.root}: "
                    "generated files there would be mixed into the data the next run trains "
                    "on; write them outside it (e.g. --out generated/)"
                )

    def data_config(
        self,
        source: str | None,
        meta: dict,
        channels: int | None = None,
        every_item: bool = False,
    ) -> DataConfig:
        """The data the run trained on (its config), with ``source`` swapped in when given, for
        measuring or reconstructing, in the model's colour mode (``channels``, for images),
        centre-cropped and unflipped. The run's ``limit`` holds for its own source (the items
        it trained on) unless ``every_item``. ``meta`` (the checkpoint's metadata) names the
        source when the run config is missing."""
        saved = self.saved_data()
        saved.setdefault("source", (meta.get("data") or {}).get("source", ""))
        if source and source != saved["source"]:
            saved.update(source=source, limit=0)
        if not saved["source"]:
            raise ConfigError(f"{self.root} does not say what data it was trained on; pass --data")
        if every_item:
            saved["limit"] = 0
        if channels is not None:  # images: the model's colour mode, whole and unflipped
            saved.update(color="grey" if channels == 1 else "rgb", crop="center", flip=False)
        return from_dict(DataConfig, saved, prefix="data")
