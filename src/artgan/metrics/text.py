"""``artgan eval`` for text models: bits per character on the held-out part of a run's data.
The measure itself (streams, carried state) is models/text_bpc.py, re-exported here."""

from __future__ import annotations

import dataclasses

from ..config import DataConfig
from ..data import load_dataset
from ..models.text_bpc import IGNORE, bits_per_character, held_out_bpc, remap

__all__ = ["IGNORE", "bits_per_character", "evaluate_bpc", "held_out_bpc", "remap"]


def evaluate_bpc(model, data: DataConfig) -> dict:
    """Held-out BPC of ``model`` on the held-out part of ``data`` (e.g. the run's own data
    section): what ``artgan eval`` reports for a text model."""
    dataset = load_dataset(dataclasses.replace(data, split="train"), model.config.seq_len)
    return {**held_out_bpc(model, dataset), "data": data.source}
