"""Two-domain data: unpaired domains (cyclegan), side-by-side and name-matched pairs (pix2pix)."""

import numpy as np
import pytest
import torch
from PIL import Image

from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.errors import DataError


def _save(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def _solid(value, h=12, w=12):
    return np.full((h, w, 3), value, np.uint8)


def test_side_by_side_files_split_into_a_and_b(tmp_path):
    for i in range(3):  # A half dark (i * 10), B half bright (200 + i * 10)
        _save(tmp_path / f"{i}.png", np.concatenate([_solid(i * 10), _solid(200 + i * 10)], 1))
    data = load_dataset(DataConfig(source=str(tmp_path), pairing="paired"), 8)
    assert len(data) == 3 and data.spec.shape == (3, 8, 8)
    batch = data.get(torch.arange(3))
    # A and B of each item come from the same file: B - A is the 200-level offset.
    diff = (batch.x_b - batch.x).mean(dim=(1, 2, 3)) * 127.5
    torch.testing.assert_close(diff, torch.full((3,), 200.0), atol=1.0, rtol=0)


def test_matched_folders_pair_by_name_and_count_files_without_partner(tmp_path):
    for name, value in (("x/001", 10), ("002", 20), ("003", 30)):
        _save(tmp_path / "a" / f"{name}.png", _solid(value))
        _save(tmp_path / "b" / f"{name}.jpg", _solid(value + 100))
    _save(tmp_path / "a" / "lonely.png", _solid(0))
    config = DataConfig(source=str(tmp_path / "a"), source_b=str(tmp_path / "b"), pairing="paired")
    with pytest.warns(UserWarning, match="1 file"):
        data = load_dataset(config, 8)
    assert len(data) == 3 and data.report.skipped == 1
    batch = data.get(torch.arange(3))
    diff = (batch.x_b - batch.x).mean(dim=(1, 2, 3)) * 127.5
    torch.testing.assert_close(diff, torch.full((3,), 100.0), atol=2.0, rtol=0)


def test_folders_with_no_matching_names_are_a_clear_error(tmp_path):
    _save(tmp_path / "a" / "1.png", _solid(0))
    _save(tmp_path / "b" / "2.png", _solid(0))
    config = DataConfig(source=str(tmp_path / "a"), source_b=str(tmp_path / "b"), pairing="paired")
    with pytest.raises(DataError, match="same name"):
        load_dataset(config, 8)


def test_random_crop_and_flip_move_both_images_of_a_pair_together(tmp_path):
    ramp = np.tile(np.arange(0, 240, 10, dtype=np.uint8)[None, :, None], (24, 1, 3))  # (24, 24, 3)
    _save(tmp_path / "p.png", np.concatenate([ramp, ramp], 1))
    config = DataConfig(source=str(tmp_path), pairing="paired", crop="random", flip=True)
    data = load_dataset(config, 16)
    for k in range(5):
        batch = data.get(torch.zeros(4, dtype=torch.long), torch.Generator().manual_seed(k))
        assert torch.equal(batch.x, batch.x_b)


def test_unpaired_domains_from_built_in_classes():
    config = DataConfig(source="art:mondrian", source_b="art:rothko", pairing="unpaired", size=20)
    data = load_dataset(config, 16)
    assert len(data.x) == 4 and len(data.x_b) == 4 and len(data) == 4
    batch = data.get(torch.arange(4), torch.Generator().manual_seed(0))
    assert batch.x.shape == batch.x_b.shape == (4, 3, 16, 16)
    with pytest.raises(DataError, match="no class 'monet'"):
        load_dataset(DataConfig(source="art:monet", source_b="art", pairing="unpaired"), 16)


def test_unpaired_needs_two_sources_and_source_b_needs_a_two_domain_model():
    with pytest.raises(DataError, match="--data-b"):
        load_dataset(DataConfig(source="art", pairing="unpaired"), 16)
    with pytest.raises(DataError, match="cyclegan"):
        load_dataset(DataConfig(source="art", source_b="art"), 16)
