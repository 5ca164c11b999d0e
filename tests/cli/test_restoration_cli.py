"""``artgan upscale``, ``artgan inpaint`` and ``artgan create`` (the ArtGAN flow) end to end on
tiny runs, and their one-line errors."""

import numpy as np
import pytest
from PIL import Image

import artgan
from artgan.cli.main import main
from artgan.provenance.output import read_record
from tests.conftest import tiny_run_config


def _save(path, array):
    Image.fromarray(array).save(path)
    return path


def _pixels(path):
    return np.asarray(Image.open(path))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("restore")
    runs = {}
    for family in ("srresnet", "inpaint", "lama", "dcgan", "cyclegan"):
        config = tiny_run_config(family, steps=2, run_dir=str(root / family))
        if family in ("srresnet", "inpaint", "lama"):
            config["data"] = {"source": "art", "size": 40}  # RGB paintings
        runs[family] = artgan.train(config)
    return runs


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err  # one line, no traceback
    return err


def test_upscale_enlarges_any_size_and_records_the_model(runs, tmp_path):
    rng = np.random.default_rng(0)
    image = _save(tmp_path / "small.png", rng.integers(0, 256, (21, 34, 3), dtype=np.uint8))
    tiled, whole = tmp_path / "tiled.png", tmp_path / "whole.png"
    args = ["upscale", str(runs["srresnet"]), str(image)]
    assert main([*args, "--out", str(tiled), "--tile", "16", "--overlap", "4"]) == 0
    assert main([*args, "--out", str(whole)]) == 0  # one tile holds it all
    assert Image.open(tiled).size == (68, 42)
    # Feathered seams: tiles of 16 px with 4 px overlap land within a few levels of one pass.
    difference = np.abs(_pixels(tiled).astype(int) - _pixels(whole).astype(int))
    assert difference.mean() < 2.0 and difference.max() <= 32, (difference.mean(), difference.max())
    record = read_record(tiled)
    assert record["model_family"] == "srresnet" and record["params"]["scale"] == 2


def test_upscale_errors_are_one_line(runs, tmp_path, capsys):
    image = _save(tmp_path / "p.png", np.zeros((20, 20, 3), np.uint8))
    out = ["--out", str(tmp_path / "o.png")]
    assert main(["upscale", str(runs["inpaint"]), str(image), *out]) == 2
    assert "super-resolution" in _error(capsys)
    assert main(["upscale", str(runs["srresnet"]), str(image), "--max-megapixels", "0.001", *out])
    assert "--max-megapixels" in _error(capsys)
    assert main(
        ["upscale", str(runs["srresnet"]), str(image), "--tile", "16", "--overlap", "8", *out]
    )
    assert "--tile" in _error(capsys)
    not_image = tmp_path / "notes.png"
    not_image.write_text("hello")
    assert main(["upscale", str(runs["srresnet"]), str(not_image), *out]) == 2
    assert "not an image" in _error(capsys)
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("family", ["inpaint", "lama"])
def test_inpaint_fills_the_hole_and_keeps_the_rest_exactly(runs, tmp_path, family):
    rng = np.random.default_rng(1)
    picture = rng.integers(0, 256, (32, 40, 3), dtype=np.uint8)
    damaged = _save(tmp_path / "damaged.png", picture)
    mask = np.zeros((32, 40), np.uint8)
    mask[8:20, 10:30] = 255
    mask_path = _save(tmp_path / "mask.png", mask)
    out = tmp_path / "restored.png"
    assert (
        main(
            [
                "inpaint",
                str(runs[family]),
                str(damaged),
                "--mask",
                str(mask_path),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    restored = _pixels(out)
    assert restored.shape == picture.shape
    hole = mask > 127
    assert np.array_equal(restored[~hole], picture[~hole])
    assert not np.array_equal(restored[hole], picture[hole])  # the hole was redrawn
    record = read_record(out)
    assert record["model_family"] == family
    assert record["params"]["hole_fraction"] == pytest.approx(hole.mean(), abs=1e-4)


def test_inpaint_errors_are_one_line(runs, tmp_path, capsys):
    image = _save(tmp_path / "i.png", np.zeros((32, 32, 3), np.uint8))
    small_mask = _save(tmp_path / "m.png", np.zeros((16, 16), np.uint8))
    out = ["--out", str(tmp_path / "o.png")]
    assert main(["inpaint", str(runs["inpaint"]), str(image), "--mask", str(small_mask), *out]) == 2
    assert "16" in _error(capsys)
    good_mask = _save(tmp_path / "g.png", np.zeros((32, 32), np.uint8))
    assert main(["inpaint", str(runs["srresnet"]), str(image), "--mask", str(good_mask), *out]) == 2
    assert "needs a run of inpaint or lama" in _error(capsys)
    assert not (tmp_path / "o.png").exists()


def test_create_generates_restyles_and_upscales_with_one_record_per_image(runs, tmp_path):
    out = tmp_path / "art"
    args = ["create", str(runs["dcgan"]), "--n", "3", "--seed", "4", "--out", str(out)]
    assert (
        main([*args, "--stylize", str(runs["cyclegan"]), "--upscale", str(runs["srresnet"])]) == 0
    )
    files = sorted(out.glob("*.png"))
    assert [f.name for f in files] == ["0000.png", "0001.png", "0002.png"]
    assert Image.open(files[0]).size == (64, 64)  # 32 px generated, x2 upscaled
    assert Image.open(files[0]).mode == "RGB"  # a grey generator, RGB restyler and upscaler
    record = read_record(files[1])
    stages = [(s["stage"], s["model_family"]) for s in record["params"]["pipeline"]]
    assert stages == [("generate", "dcgan"), ("stylize", "cyclegan"), ("upscale", "srresnet")]
    assert record["params"]["index"] == 1 and record["seed"] == 4
    # Generation alone gives the same first stage: same seed, same pictures before restyling.
    plain = tmp_path / "plain"
    assert main(["create", str(runs["dcgan"]), "--n", "3", "--seed", "4", "--out", str(plain)]) == 0
    assert Image.open(plain / "0000.png").size == (32, 32)


def test_create_errors_are_one_line(runs, tmp_path, capsys):
    out = ["--out", str(tmp_path / "art")]
    assert main(["create", str(runs["srresnet"]), *out]) == 2
    assert "do not generate" in _error(capsys)
    assert main(["create", str(runs["dcgan"]), "--class", "3", *out]) == 2
    assert "conditional" in _error(capsys)
    assert main(["create", str(runs["dcgan"]), "--upscale", str(runs["cyclegan"]), *out]) == 2
    assert "super-resolution" in _error(capsys)
    assert main(["create", str(runs["dcgan"]), "--stylize", str(runs["srresnet"]), *out]) == 2
    _error(capsys)
    assert not (tmp_path / "art").exists()
