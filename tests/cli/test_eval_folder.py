"""``artgan eval --samples DIR --data REF``: a folder of images from any tool, scored like a run
(same metrics, loader and floor), with one-line errors for bad input."""

import numpy as np
import pytest
from PIL import Image

from artgan.cli.main import main


def write_images(folder, count, seed, shift=0):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        pixels = rng.integers(0, 128, size=(24, 32, 3)) + shift  # not square: centre-cropped
        Image.fromarray(pixels.astype(np.uint8)).save(folder / f"{i:03d}.png")
    return folder


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path / "cache"))
    samples = write_images(tmp_path / "samples", 8, seed=1, shift=100)
    (samples / "broken.png").write_bytes(b"not a png")  # skipped, counted, said
    reference = write_images(tmp_path / "reference", 16, seed=2)
    return samples, reference


def test_eval_scores_a_samples_folder_against_a_reference_folder(folders, capsys):
    samples, reference = folders
    args = ["eval", "--samples", str(samples), "--data", str(reference), "--n", "8"]
    with pytest.warns(UserWarning, match="broken.png"):  # the loader's own warning names it
        assert main(args) == 0
    out = capsys.readouterr().out
    assert "floor (real vs real)" in out and "efficientnet-lite0" in out
    for row in ("FID", "KID x 1000", "precision", "coverage"):
        assert row in out
    assert "generated 8, reference 8, held_out 8" in out
    assert "skipped unreadable files: samples 1" in out
    assert "KID ± is the jackknife standard error" in out
    assert "± 0 " not in out and not out.rstrip().endswith("± 0")


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda s, r: ["--samples", str(s / "missing"), "--data", str(r)], "samples folder not"),
        (lambda s, r: ["--samples", str(s)], "--samples needs --data"),
        (lambda s, r: ["--samples", str(s), "--data", str(r / "nowhere")], "nowhere"),
        (lambda s, r: [str(r), "--samples", str(s), "--data", str(r)], "not both"),
        (lambda s, r: ["--samples", str(s), "--data", str(r), "--metrics", "fid,nll"], "nll"),
        (lambda s, r: [], "--samples DIR --data REF"),
    ],
)
def test_eval_samples_errors_are_one_line_and_exit_2(folders, capsys, make_args, message):
    samples, reference = folders
    assert main(["eval", *make_args(samples, reference)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_eval_samples_refuses_an_empty_folder(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    reference = write_images(tmp_path / "reference", 16, seed=2)
    assert main(["eval", "--samples", str(empty), "--data", str(reference)]) == 2
    err = capsys.readouterr().err.strip()
    assert "no readable image" in err and len(err.splitlines()) == 1
