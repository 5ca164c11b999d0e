"""Plots and diagrams are signed and recorded, never watermarked: their flat areas stay flat."""

import numpy as np
from PIL import Image

import artgan
from artgan.cli.main import main
from artgan.provenance.output import NOT_ART, read_record
from tests.conftest import tiny_run_config


def test_scatter_plots_are_signed_not_watermarked(tmp_path):
    run = artgan.train(tiny_run_config("mlp", steps=2, run_dir=str(tmp_path / "run")))
    out = tmp_path / "points.npy"
    assert main(["sample", str(run), "--n", "500", "--out", str(out)]) == 0
    plot = out.with_suffix(".png")
    record = read_record(plot)
    assert record["watermark"] == NOT_ART and record["params"]["kind"] == "scatter"
    pixels = np.asarray(Image.open(plot).convert("RGB"))
    corner = pixels[:20, :20]  # the figure's white margin
    assert corner.min() == 255, "a watermark pattern shows on the plot's flat margin"
    preview = next((run / "samples").glob("step-*.png"))  # the training preview: a scatter too
    assert read_record(preview)["watermark"] == NOT_ART
