"""Hostile data files: a points file of NaN or of the wrong width, and limits that make no
sense, are one clear error."""

import numpy as np
import pytest

from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.errors import ArtganError, DataError


def test_an_all_nan_points_file_is_a_clear_error(tmp_path):
    np.save(tmp_path / "nan.npy", np.full((10, 2), np.nan))
    with pytest.raises(DataError, match="0 usable point.*10 of 10 rows"):
        load_dataset(DataConfig(source=str(tmp_path / "nan.npy")))


def test_a_three_column_points_file_is_refused(tmp_path):
    (tmp_path / "p.csv").write_text("1,2,3\n4,5,6\n7,8,9\n")
    with pytest.raises(DataError, match="3 columns"):
        load_dataset(DataConfig(source=str(tmp_path / "p.csv")))


@pytest.mark.parametrize("limit", [-1.0, 0.0, float("nan")])
def test_max_megapixels_must_be_positive(limit):
    from artgan.upscale import upscale_image

    class Model:
        scale = 2

    with pytest.raises(ArtganError, match="above 0"):
        upscale_image(Model(), np.zeros((8, 8, 3), np.uint8), 32, 4, limit)


def test_small_megapixel_limit_says_the_real_size():
    from artgan.upscale import upscale_image

    class Model:
        scale = 2

    with pytest.raises(ArtganError, match="0.0041 megapixels, more than --max-megapixels 0.001"):
        upscale_image(Model(), np.zeros((32, 32, 3), np.uint8), 32, 4, 0.001)


def test_a_file_name_that_is_not_utf8_trains(tmp_path):
    import os

    from PIL import Image

    folder = tmp_path / "pictures"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), np.uint8)).save(folder / f"{i}.png")
    os.rename(folder / "0.png", os.path.join(os.fsencode(folder), b"caf\xe9.png"))
    data = load_dataset(DataConfig(source=str(folder)), 32)
    assert len(data) == 4
