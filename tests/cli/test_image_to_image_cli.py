"""``artgan train --model cyclegan/pix2pix``, ``artgan stylize`` and ``artgan style-transfer``
end to end on tiny runs, and their one-line errors."""

import numpy as np
import pytest
from PIL import Image

from artgan.cli.main import main
from artgan.provenance.output import read_record

QUIET = ["--train.progress", "false", "--train.tensorboard", "false", "--batch-size", "4"]
TINY_CYCLEGAN = ["--model.image_size", "16", "--model.width", "4", "--model.blocks", "1"]
TINY_CYCLEGAN += ["--model.d_width", "4", "--model.d_layers", "2", "--data.size", "20"]


def _save(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return path


@pytest.fixture(scope="module")
def cyclegan_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("cli") / "cg"
    args = ["train", "--model", "cyclegan", "--data-a", "art:mondrian", "--data-b", "art:rothko"]
    assert main([*args, *TINY_CYCLEGAN, *QUIET, "--steps", "2", "--run-dir", str(run)]) == 0
    assert (run / "samples" / "step-00000002.png").is_file()
    return run


def test_stylize_writes_an_image_of_the_input_size_with_provenance(cyclegan_run, tmp_path):
    photo = _save(tmp_path / "photo.png", np.full((21, 34, 3), 90, np.uint8))
    for direction in ("a2b", "b2a"):
        out = tmp_path / f"{direction}.png"
        args = ["stylize", str(cyclegan_run), str(photo), "--direction", direction]
        assert main([*args, "--out", str(out)]) == 0
        assert Image.open(out).size == (34, 21)
        record = read_record(out)
        assert record["model_family"] == "cyclegan"
        assert record["params"]["direction"] == direction


def test_pix2pix_trains_on_side_by_side_pairs_and_stylizes(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for i in range(4):
        a = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
        _save(tmp_path / "pairs" / f"{i}.png", np.concatenate([a, 255 - a], axis=1))
    run = tmp_path / "p2p"
    tiny = ["--model.image_size", "16", "--model.depth", "3", "--model.width", "4"]
    tiny += ["--model.d_width", "4", "--model.d_layers", "2"]
    args = ["train", "--model", "pix2pix", "--data", str(tmp_path / "pairs"), *tiny, *QUIET]
    assert main([*args, "--steps", "2", "--run-dir", str(run)]) == 0
    photo = _save(tmp_path / "in.png", np.zeros((11, 13, 3), np.uint8))
    assert main(["stylize", str(run), str(photo), "--out", str(tmp_path / "o.png")]) == 0
    assert Image.open(tmp_path / "o.png").size == (13, 11)
    capsys.readouterr()
    code = main(["stylize", str(run), str(photo), "--direction", "b2a", "--out", "x.png"])
    assert code == 2 and "a2b only" in capsys.readouterr().err


def test_stylize_errors_are_one_line(cyclegan_run, tmp_path, capsys):
    not_image = tmp_path / "notes.png"
    not_image.write_text("hello")
    code = main(["stylize", str(cyclegan_run), str(not_image), "--out", str(tmp_path / "o.png")])
    assert code == 2 and "not an image" in capsys.readouterr().err
    photo = _save(tmp_path / "p.png", np.zeros((8, 8, 3), np.uint8))
    code = main(["stylize", str(tmp_path), str(photo), "--out", str(tmp_path / "o.png")])
    assert code == 2 and "checkpoint" in capsys.readouterr().err


def test_data_b_without_a_two_domain_model_is_an_error(tmp_path, capsys):
    args = ["train", "--model", "dcgan", "--data", "art", "--data-b", "art", "--steps", "1"]
    assert main([*args, "--run-dir", str(tmp_path / "x")]) == 2
    assert "cyclegan" in capsys.readouterr().err


def test_style_transfer_command(tmp_path):
    rng = np.random.default_rng(1)
    content = _save(tmp_path / "c.png", rng.integers(0, 256, (30, 41, 3), dtype=np.uint8))
    style = _save(tmp_path / "s.jpg", rng.integers(0, 256, (20, 20, 3), dtype=np.uint8))
    out = tmp_path / "r.png"
    args = ["style-transfer", str(content), str(style), "--out", str(out)]
    assert main([*args, "--size", "24", "--steps", "3", "--style-weight", "50"]) == 0
    assert Image.open(out).size == (41, 30)
    record = read_record(out)
    assert record["model_family"] == "style-transfer"
    assert record["params"]["style_weight"] == 50
