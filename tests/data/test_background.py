"""Transparent images are composited on data.background: white by default, black or #rrggbb."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artgan.config import DataConfig, background_rgb
from artgan.data import load_dataset
from artgan.errors import ConfigError
from artgan.training.run import build_run_config


def transparent_folder(root: Path) -> Path:
    root.mkdir(parents=True)
    Image.new("RGBA", (20, 20), (255, 0, 0, 0)).save(root / "a_clear.png")  # fully transparent
    Image.new("RGBA", (20, 20), (255, 0, 0, 102)).save(root / "b_red_40.png")  # 40 % red
    Image.new("LA", (20, 20), (0, 0)).save(root / "c_grey_clear.png")
    palette = Image.new("P", (20, 20), 1)
    palette.putpalette([0, 255, 0] + [0, 0, 255] * 255)
    palette.save(root / "d_palette_clear.png", transparency=1)  # index 1 (blue) is transparent
    Image.new("RGB", (20, 20), (9, 99, 199)).save(root / "e_opaque.png")
    return root


def centres(root: Path, **options) -> list[tuple[int, ...]]:
    data = load_dataset(DataConfig(source=str(root), **options), 8)
    x = data.x if hasattr(data, "x") else data.store.array  # in memory, or the memory map
    return [tuple(int(v) for v in x[i, :, 4, 4]) for i in range(len(data))]


@pytest.mark.parametrize(
    "background, rgb",
    [("white", (255, 255, 255)), ("black", (0, 0, 0)), ("#3366CC", (51, 102, 204))],
)
def test_transparency_is_composited_on_the_background(tmp_path, background, rgb):
    root = transparent_folder(tmp_path / "f")
    options = {} if background == "white" else {"background": background}  # white: default
    clear, red_40, grey_clear, palette_clear, opaque = centres(root, **options)
    assert clear == grey_clear == palette_clear == rgb
    expected = [0.4 * 255 + 0.6 * rgb[0], 0.6 * rgb[1], 0.6 * rgb[2]]
    assert np.allclose(red_40, expected, atol=1.5)
    assert opaque == (9, 99, 199)  # opaque images do not change


def test_the_background_applies_to_grey_data_and_the_memory_map(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path / "cache"))
    root = transparent_folder(tmp_path / "f")
    assert centres(root, color="grey", background="black")[0] == (0,)
    mapped = centres(root, background="#3366cc", in_memory_limit_mb=0)
    assert mapped == centres(root, background="#3366cc") and mapped[0] == (51, 102, 204)


@pytest.mark.parametrize("bad", ["pink", "#12345", "#gggggg", "", "rgb(1,2,3)"])
def test_a_bad_background_is_one_clear_error(bad):
    with pytest.raises(ConfigError) as error:
        DataConfig(background=bad)
    message = str(error.value)
    assert "data.background" in message and "#rrggbb" in message and "\n" not in message
    with pytest.raises(ConfigError, match="data.background"):
        build_run_config({}, {"data.background": bad})  # as --data.background gives it


def test_background_names_and_hex():
    assert background_rgb("White") == (255, 255, 255) and background_rgb("black") == (0, 0, 0)
    assert background_rgb("#ff8000") == (255, 128, 0)


def test_paired_and_unpaired_two_domain_data_use_the_background_too(tmp_path):
    pairs = tmp_path / "pairs"
    pairs.mkdir()
    side_by_side = Image.new("RGBA", (40, 20), (0, 0, 0, 0))  # A | B, both transparent
    side_by_side.save(pairs / "p.png")
    paired = load_dataset(DataConfig(source=str(pairs), pairing="paired", background="black"), 8)
    assert paired.x.max() == 0 and paired.x_b.max() == 0
    assert load_dataset(DataConfig(source=str(pairs), pairing="paired"), 8).x.min() == 255
    root = transparent_folder(tmp_path / "f")
    options = dict(source=str(root), source_b=str(root), pairing="unpaired", background="#3366cc")
    unpaired = load_dataset(DataConfig(**options), 8)
    assert tuple(unpaired.x[0, :, 4, 4].tolist()) == (51, 102, 204)
