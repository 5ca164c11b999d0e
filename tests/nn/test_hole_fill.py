"""The batched torch hole fills against the exact sparse harmonic solve of metrics."""

import numpy as np
import torch

from artgan.data.masks import box_mask, stroke_mask
from artgan.metrics.restoration import harmonic_fill as exact_harmonic_fill
from artgan.nn.hole_fill import harmonic_fill


def test_harmonic_fill_matches_the_sparse_solve_and_keeps_known_pixels():
    rng = np.random.default_rng(0)
    image = (np.add.outer(np.arange(48), np.arange(40)) * 2.5 % 256).astype(np.uint8)
    image = np.stack([image, image[::-1], 255 - image], -1)  # (H, W, 3)
    image = (image.astype(float) + rng.normal(0, 20, image.shape)).clip(0, 255).astype(np.uint8)
    for mask in (box_mask(48, 40, rng, 0.4, 0.5), stroke_mask(48, 40, rng)):
        x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 127.5 - 1
        m = torch.from_numpy(mask.astype(np.float32))[None, None]
        out = harmonic_fill(x, m)
        assert torch.equal(out[m.expand_as(x) == 0], x[m.expand_as(x) == 0])
        ours = ((out[0].permute(1, 2, 0) + 1) * 127.5).numpy()
        exact = exact_harmonic_fill(image, mask).astype(float)
        assert np.abs(ours - exact)[mask].max() < 2.0  # within rounding of the exact solve
