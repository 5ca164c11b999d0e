"""What the trainer writes every ``sample_every`` steps: a preview from a fixed seed, so a user
can watch a run improve. Each output kind writes its own (output_kinds.py)."""

from __future__ import annotations

from pathlib import Path

from ..output_kinds import PREVIEW_SEED, kind_of
from ..provenance import GenerationRecord
from ..run_folder import step_name

__all__ = ["PREVIEW_SEED", "write_preview"]


def write_preview(model, dataset, folder: Path, step: int, record: GenerationRecord) -> Path:
    """Write the preview of ``model`` at ``step`` into ``folder`` (a run's ``Run.samples``);
    returns the file."""
    return kind_of(model).preview(model, dataset, folder / step_name(step), record)
