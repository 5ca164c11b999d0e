"""Adversarial images through the one output point: one PNG per image whose generation record
says it is adversarial (attack, eps, target, true, original and new label), a sheet of clean /
adversarial / perturbation rows, and ``attack.json`` with the figures."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ..provenance import GenerationRecord, write_image
from ..sample import grid_pixels, to_uint8
from ..training.atomic import atomic_write_text
from .run import AttackResult
from .targets import LabelledImages, Target

SHEET_COLUMNS = 12  # images a row of the sheet


def attack_record(target: Target, images: LabelledImages, result: AttackResult, **extra):
    """The record shared by every file of one attack."""
    params = {
        "command": "attack",
        **result.settings.record_params(),
        "target": target.source,
        "data": images.source,
        "split": images.split,
        **extra,
    }
    fields = {k: v for k, v in target.record_fields.items() if k != "step"}
    step = int(target.record_fields.get("step", 0))
    return GenerationRecord(**fields, step=step, params=params)


def sheet_rows(result: AttackResult, count: int = 2 * SHEET_COLUMNS) -> torch.Tensor:
    """(3 rows a group) x SHEET_COLUMNS tiles: clean, adversarial, and the perturbation scaled
    so that +-eps fills the range (mid grey: unchanged)."""
    n = min(count, result.n)
    clean, adv = result.clean[:n], result.adversarial[:n]
    delta = ((adv - clean) / (2 * result.settings.eps)).clamp(-1, 1)  # (n, C, H, W)
    rows = []
    for start in range(0, n, SHEET_COLUMNS):
        part = slice(start, min(start + SHEET_COLUMNS, n))
        pad = SHEET_COLUMNS - (part.stop - part.start)
        for tiles in (clean[part], adv[part], delta[part]):
            rows.append(torch.cat([tiles, torch.ones(pad, *tiles.shape[1:])]))  # white filler
    return torch.cat(rows)


def write_attack(
    out: Path,
    target: Target,
    images: LabelledImages,
    result: AttackResult,
    generator_fields: dict | None = None,
) -> dict:
    """Write the adversarial images, the sheet and attack.json into ``out``; the summary."""
    out.mkdir(parents=True, exist_ok=True)
    names = images.class_names
    record = attack_record(target, images, result, **(generator_fields or {}))
    pixels = to_uint8(result.adversarial)  # (N, H, W, C)
    width = max(4, len(str(result.n - 1)))
    for i in range(result.n):
        true, before = int(result.labels[i]), int(result.clean_predictions[i])
        after = int(result.adversarial_predictions[i])
        labels = {
            "index": i,
            "true_label": names[true],
            "original_label": names[before],
            "new_label": names[after],
            "fooled": before == true and after != true,
        }
        write_image(pixels[i], out / f"{i:0{width}d}.png", record.with_params(**labels))
    sheet = grid_pixels(sheet_rows(result), columns=SHEET_COLUMNS)
    write_image(
        sheet, out / "sheet.png", record.with_params(sheet="clean/adversarial/perturbation")
    )
    summary = {
        "target": target.source,
        "data": images.source,
        "split": images.split,
        **result.summary(),
        **(generator_fields or {}),
    }
    atomic_write_text(out / "attack.json", json.dumps(summary, indent=2) + "\n")
    return summary
