"""Outputs a person can see: previews, demo sheets and GIFs at least 512 px wide; --display-size
enlarges a grid (nearest or Lanczos), never the saved samples."""

import numpy as np
import pytest
from PIL import Image

import artgan
from artgan.cli.main import main
from artgan.sample import DISPLAY_WIDTH, enlarge_for_display, interpolation_frames
from tests.conftest import tiny_run_config


def test_nearest_enlarges_by_a_whole_factor_and_lanczos_to_the_width():
    sheet = np.random.default_rng(0).integers(0, 255, (138, 274, 3), dtype=np.uint8)
    crisp = enlarge_for_display(sheet)
    assert crisp.shape == (276, 548, 3)
    assert np.array_equal(crisp[::2, ::2], sheet)  # every pixel a 2x2 square
    smooth = enlarge_for_display(sheet, 512, "lanczos")
    assert smooth.shape == (258, 512, 3)
    grey = enlarge_for_display(sheet[:, :, :1], 600, "lanczos")
    assert grey.shape == (302, 600, 1)  # 138 * 600 / 274, rounded
    wide = np.zeros((10, 700, 3), np.uint8)
    assert enlarge_for_display(wide) is wide


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("display") / "run"
    return artgan.train(tiny_run_config(steps=2, run_dir=str(path), sample_every=1))


def test_training_previews_are_at_least_512_px_wide(run):
    previews = sorted((run / "samples").glob("step-*.png"))
    assert previews
    for preview in previews:
        assert Image.open(preview).width >= DISPLAY_WIDTH


def test_interpolation_frames_are_at_least_512_px_wide(run):
    model = artgan.load(run)
    frames = interpolation_frames(model, steps=3, keyframes=2, n=2, seed=0, truncation=0.0)
    assert all(frame.shape[1] >= DISPLAY_WIDTH for frame in frames)


def test_sample_display_size_enlarges_the_grid_only(run, tmp_path, capsys):
    plain, big, smooth = tmp_path / "plain.png", tmp_path / "big.png", tmp_path / "smooth.png"
    argv = ["sample", str(run), "--n", "4", "--seed", "1"]
    assert main([*argv, "--out", str(plain)]) == 0
    assert main([*argv, "--out", str(big), "--display-size", "600"]) == 0
    assert (
        main([*argv, "--out", str(smooth), "--display-size", "600", "--display-filter", "lanczos"])
        == 0
    )
    assert Image.open(plain).width == 2 * 32 + 3 * 2  # the samples' own size
    assert Image.open(big).width == 9 * Image.open(plain).width  # nearest: 70 px x 9 >= 600
    assert Image.open(smooth).width == 600
    assert main([*argv, "--out", str(tmp_path / "folder"), "--display-size", "600"]) == 2
    assert "samples written one a file keep their own size" in capsys.readouterr().err
