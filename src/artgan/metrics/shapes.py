"""Scores of generated 3-D shapes against reference shapes (Achlioptas et al. 2018, "Learning
Representations and Generative Models for 3D Point Clouds"): point clouds sampled on the meshes'
surfaces, compared by the Chamfer distance.

- Chamfer distance of clouds A and B: the mean squared distance from each point of A to its
  nearest point of B, plus the same from B to A.
- Coverage (COV): the fraction of reference shapes that are the nearest (by Chamfer) of at least
  one generated shape. Higher is better; a generator that makes one shape covers one.
- Minimum matching distance (MMD): for each reference shape, the Chamfer distance to its nearest
  generated shape, averaged. Lower is better: the references are matched closely.
"""

from __future__ import annotations

import torch


def chamfer_matrix(generated: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """(G, R) Chamfer distances between clouds (G, P, 3) and (R, Q, 3)."""
    rows = []
    for cloud in generated:
        squared = torch.cdist(cloud[None].expand(len(reference), -1, -1), reference) ** 2
        # (R, P, Q): each generated point to each reference point, per reference shape
        rows.append(squared.min(dim=2).values.mean(dim=1) + squared.min(dim=1).values.mean(dim=1))
    return torch.stack(rows)


def coverage_and_mmd(distances: torch.Tensor) -> dict[str, float]:
    """COV and MMD from a (generated, reference) Chamfer matrix."""
    matched = distances.argmin(dim=1).unique()  # each generated shape's nearest reference
    return {
        "cov": len(matched) / distances.shape[1],
        "mmd": float(distances.min(dim=0).values.mean()),
    }
