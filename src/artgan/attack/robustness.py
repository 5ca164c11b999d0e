"""The robustness report: a classifier's accuracy on clean images and under each attack at each
epsilon, with the attack's success rate and cost, as rows of a table (JSON and Markdown)."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from ..models.capabilities import Classifier, Perturber
from .run import AttackSettings, run_attack


def robustness_rows(
    classifier: Classifier,
    x: torch.Tensor,
    y: torch.Tensor,
    methods: Iterable[str],
    eps_values: Iterable[float],
    perturbers: dict[float, Perturber] | None = None,
    batch_size: int = 128,
    **pgd,
) -> list[dict]:
    """One row per (method, eps): ``run_attack``'s summary. ``perturbers``: the AdvGAN run to
    use at each eps (rows for advgan at an eps without one are left out). ``pgd``: steps,
    step_size, random_start, seed."""
    rows = []
    for method in methods:
        for eps in eps_values:
            perturber = (perturbers or {}).get(eps)
            if method == "advgan" and perturber is None:
                continue
            settings = AttackSettings(method, eps, **pgd)
            result = run_attack(classifier, x, y, settings, perturber, batch_size)
            rows.append(result.summary())
    return rows


def markdown_table(rows: list[dict], title: str = "") -> str:
    """| attack | eps | accuracy | success | images / CPU s |, with the clean accuracy first."""
    lines = [f"### {title}", ""] if title else []
    if rows:
        lines.append(
            f"Clean accuracy: {rows[0]['clean_accuracy']:.1%} on {rows[0]['images']} images"
        )
        lines.append("")
    lines += ["| attack | eps | accuracy under attack | success rate | images / CPU s |"]
    lines += ["|---|---|---|---|---|"]
    for row in rows:
        name = f"PGD-{row['steps']}" if row["attack"] == "pgd" else row["attack"].upper()
        name = "AdvGAN" if row["attack"] == "advgan" else name
        success = "n/a" if row["success_rate"] is None else f"{row['success_rate']:.1%}"
        lines.append(
            f"| {name} | {row['eps']:g} | {row['accuracy']:.1%} | {success} | "
            f"{row['images_per_cpu_second']:.0f} |"
        )
    return "\n".join(lines) + "\n"
