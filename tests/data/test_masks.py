"""Inpainting masks: random boxes, free-form strokes, and mask files (white = hole)."""

import numpy as np
import pytest
from PIL import Image

from artgan.data.masks import box_mask, load_mask, random_masks, stroke_mask
from artgan.errors import ConfigError, DataError


def test_box_mask_is_one_rectangle_within_its_size_range():
    for seed in range(20):
        mask = box_mask(40, 60, np.random.default_rng(seed), 0.2, 0.5)
        rows, cols = np.where(mask)
        h, w = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert mask.sum() == h * w  # a filled rectangle
        assert 8 <= h <= 20 and 12 <= w <= 30


def test_stroke_mask_is_deterministic_and_partial():
    a = stroke_mask(64, 64, np.random.default_rng(3))
    b = stroke_mask(64, 64, np.random.default_rng(3))
    c = stroke_mask(64, 64, np.random.default_rng(4))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert 0.005 < a.mean() < 0.9


def test_random_masks_shape_values_and_kinds():
    masks = random_masks(6, 32, np.random.default_rng(0))
    assert masks.shape == (6, 1, 32, 32)
    assert set(masks.unique().tolist()) <= {0.0, 1.0}
    assert (masks.flatten(1).sum(1) > 0).all()
    boxes = random_masks(4, 32, np.random.default_rng(0), ("box",))
    for m in boxes[:, 0].numpy().astype(bool):
        rows, cols = np.where(m)
        assert m.sum() == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)
    with pytest.raises(ConfigError, match="unknown mask kind"):
        random_masks(1, 32, np.random.default_rng(0), ("blob",))


def test_load_mask_white_is_hole_in_any_mode(tmp_path):
    array = np.zeros((10, 14), np.uint8)
    array[2:5, 3:9] = 255
    Image.fromarray(array).save(tmp_path / "grey.png")
    Image.fromarray(np.stack([array] * 3, -1)).save(tmp_path / "rgb.png")
    Image.fromarray(array > 0).save(tmp_path / "bits.png")  # mode 1
    for name in ("grey.png", "rgb.png", "bits.png"):
        mask = load_mask(tmp_path / name, 10, 14)
        assert mask.dtype == bool and mask.sum() == 18 and mask[2:5, 3:9].all()


def test_load_mask_errors(tmp_path):
    Image.fromarray(np.full((10, 14), 255, np.uint8)).save(tmp_path / "m.png")
    with pytest.raises(DataError, match="is 14x10 but the image is 20x10"):
        load_mask(tmp_path / "m.png", 10, 20)
    Image.fromarray(np.zeros((10, 14), np.uint8)).save(tmp_path / "empty.png")
    with pytest.raises(DataError, match="no white pixels"):
        load_mask(tmp_path / "empty.png", 10, 14)
    (tmp_path / "bad.png").write_text("not an image")
    with pytest.raises(DataError, match="not an image"):
        load_mask(tmp_path / "bad.png", 10, 14)
    with pytest.raises(DataError, match="not found"):
        load_mask(tmp_path / "missing.png", 10, 14)


def test_wide_masks_are_larger_than_boxes_and_strokes():
    rng = np.random.default_rng(0)
    coverage = {
        kind: random_masks(64, 64, rng, (kind,)).mean().item() for kind in ("box", "stroke", "wide")
    }
    assert coverage["wide"] > 1.5 * max(coverage["box"], coverage["stroke"]), coverage
