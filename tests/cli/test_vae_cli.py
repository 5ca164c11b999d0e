"""``artgan train/sample/reconstruct/traverse`` end to end on tiny VAE and VAE-GAN runs."""

import numpy as np
import pytest
import torch
from PIL import Image

from artgan.cli.main import main
from artgan.cli.traverse import parse_dims, traversal_latents
from artgan.errors import ArtganError
from artgan.models.dcgan import DCGAN, DCGANConfig
from artgan.provenance.output import read_record
from artgan.training.checkpoint import model_meta, save_checkpoint

TINY = [
    "--data",
    "digits",
    "--model.width",
    "4",
    "--model.z_dim",
    "8",
    "--batch-size",
    "8",
    "--train.progress",
    "false",
    "--train.tensorboard",
    "false",
    "--steps",
    "3",
]
TILE = 32 + 2  # a 32 px image and the grid's 2 px padding


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("vae") / "run"
    assert main(["train", "--model", "vae", *TINY, "--run-dir", str(path)]) == 0
    return path


def test_vae_run_samples_deterministically(vae_run, tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    for out in (a, b):
        assert main(["sample", str(vae_run), "--n", "4", "--seed", "2", "--out", str(out)]) == 0
    assert np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)))
    assert read_record(a)["model_family"] == "vae"


def test_reconstruct_writes_originals_over_reconstructions(vae_run, tmp_path, capsys):
    out = tmp_path / "recon.png"
    assert (
        main(
            [
                "reconstruct",
                str(vae_run),
                "--n",
                "6",
                "--columns",
                "4",
                "--seed",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "digits (test)" in capsys.readouterr().out
    sheet = np.asarray(Image.open(out))
    assert sheet.shape[:2] == (4 * TILE + 2, 4 * TILE + 2)  # two pairs of rows, 4 columns
    # The first row holds the chosen test images themselves.
    from artgan.config import DataConfig
    from artgan.data import load_dataset

    record = read_record(out)
    assert record["params"]["command"] == "reconstruct" and len(record["params"]["indices"]) == 6
    test = load_dataset(DataConfig(source="digits", split="test", color="grey"), 32)
    first = test.x[record["params"]["indices"][0], 0].numpy()
    # The sheet is >= 128 px, so it carries the invisible watermark (about 40 dB PSNR): the
    # pixels match to within a few grey levels.
    assert np.abs(sheet[2 : 2 + 32, 2 : 2 + 32].astype(int) - first).mean() < 3
    assert sheet[3 * TILE + 2 :, 2 * TILE + 2 :].mean() > 250  # short last row: blank (white)
    assert record["watermark"].startswith("embedded")


def test_traverse_writes_a_row_per_dimension(vae_run, tmp_path):
    out = tmp_path / "trav.png"
    assert main(["traverse", str(vae_run), "--dim", "0..2", "--steps", "5", "--out", str(out)]) == 0
    sheet = np.asarray(Image.open(out))
    assert sheet.shape[:2] == (3 * TILE + 2, 5 * TILE + 2)
    record = read_record(out)
    assert record["params"]["dims"] == [0, 1, 2] and record["params"]["range"] == 3.0
    # Rows differ along the sweep (the decoder reads the latent), columns from -3 to 3.
    assert not np.array_equal(sheet[2:34, 2:34], sheet[2:34, 4 * TILE + 2 : 4 * TILE + 34])
    default = tmp_path / "default.png"
    assert main(["traverse", str(vae_run), "--base", "random", "--out", str(default)]) == 0
    assert np.asarray(Image.open(default)).shape[:2] == (8 * TILE + 2, 7 * TILE + 2)


def test_interpolate_works_unchanged_on_a_vae(vae_run, tmp_path):
    out = tmp_path / "walk.gif"
    assert main(["interpolate", str(vae_run), "--steps", "4", "--n", "2", "--out", str(out)]) == 0
    assert Image.open(out).n_frames == 4


def test_traversal_latents_sweep_one_dimension_per_row():
    base = torch.arange(4.0)
    z = traversal_latents(base, [1, 3], torch.tensor([-1.0, 1.0]))
    assert z.tolist() == [[0, -1, 2, 3], [0, 1, 2, 3], [0, 1, 2, -1], [0, 1, 2, 1]]
    assert parse_dims("0..2,5", 8) == [0, 1, 2, 5]
    with pytest.raises(ArtganError, match="latent dimensions 0..7"):
        parse_dims("6..8", 8)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["traverse", "RUN", "--dim", "x", "--out", "t.png"], "use a range like 0..7"),
        (["traverse", "RUN", "--dim", "9", "--out", "t.png"], "latent dimensions 0..7"),
        (["reconstruct", "RUN", "--n", "999", "--out", "r.png"], "more than the 360 images"),
        (["reconstruct", "RUN", "--data", "/no/such", "--out", "r.png"], "no built-in dataset"),
    ],
)
def test_user_errors_are_one_line(vae_run, argv, message, capsys):
    argv = [str(vae_run) if a == "RUN" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_reconstruct_needs_an_encoder(tmp_path, capsys):
    model = DCGAN(DCGANConfig(image_size=32, channels=1, width=4, z_dim=8))
    meta = model_meta(model, {"source": "digits"}, step=1, run_id="g")
    save_checkpoint(tmp_path, 1, model, {}, {"step": 1}, meta, keep=1)
    assert main(["reconstruct", str(tmp_path), "--out", str(tmp_path / "r.png")]) == 2
    assert "needs a model with an encoder" in capsys.readouterr().err


def test_vaegan_trains_and_reconstructs_end_to_end(tmp_path):
    run = tmp_path / "vg"
    assert (
        main(["train", "--model", "vaegan", *TINY, "--image-size", "32", "--run-dir", str(run)])
        == 0
    )
    out = tmp_path / "recon.png"
    assert main(["reconstruct", str(run), "--n", "2", "--out", str(out)]) == 0
    assert np.asarray(Image.open(out)).shape[:2] == (2 * TILE + 2, 2 * TILE + 2)
