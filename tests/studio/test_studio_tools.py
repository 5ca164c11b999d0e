"""The Edit, Restyle, Upscale and Inpaint tabs through gradio_client: each result is the
library's, and each saved file comes from the one output point."""

import numpy as np
import pytest
from PIL import Image

import artgan
from artgan.provenance.verify import verify_file
from tests.conftest import tiny_run_config

from .conftest import gradio_client

AppError = gradio_client.exceptions.AppError
handle_file = gradio_client.handle_file


@pytest.fixture(scope="module")
def tools(runs):
    """One-step runs of an inpainter, an upscaler and a translator beside runs/tiny."""
    for family in ("inpaint", "srresnet", "cyclegan"):
        config = tiny_run_config(family, steps=1, run_dir=str(runs / family))
        if family != "cyclegan":
            config["data"] = {"source": "art", "size": 16}
        artgan.train(config)
    return runs


def picture(path, size=(16, 16), seed=0):
    pixels = np.random.default_rng(seed).integers(0, 256, (*size[::-1], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return pixels


def signed(path) -> dict:
    report = verify_file(path)
    assert report.status == "valid", report
    return report.record


def test_edit_moves_a_sent_sample_along_sefa_directions(client, runs):
    client.predict("tiny", 3, 4, 0, [], "", True, api_name="/generate")
    sent = client.predict(1, api_name="/send_to_edit")
    assert sent[1] == "editing seed 3 #1"
    unedited = client.predict(0, 0, 0, 0, 0, 0, api_name="/edit")
    moved = client.predict(4, 0, 0, 0, 0, 0, api_name="/edit")
    same, other = (np.asarray(Image.open(p)) for p in (unedited, moved))
    assert np.array_equal(same, np.asarray(Image.open(sent[2])))
    assert not np.array_equal(same, other)
    saved = client.predict("moved", 4, 0, 0, 0, 0, 0, api_name="/edit_save")
    record = signed(runs / "tiny" / "studio" / "moved.png")
    assert record["params"]["moves"] == {"sefa 0": 4.0}
    assert open(saved, "rb").read() == (runs / "tiny" / "studio" / "moved.png").read_bytes()
    with pytest.raises(AppError, match="greater than maximum"):  # the slider refuses it
        client.predict(99, 0, 0, 0, 0, 0, api_name="/edit")


def test_an_uploaded_image_is_inverted_for_editing(client, tmp_path):
    picture(tmp_path / "photo.png", (32, 32))
    source, image, *sliders = client.predict(
        "tiny", handle_file(str(tmp_path / "photo.png")), 0, api_name="/invert"
    )
    assert source.startswith("editing inverted photo.png") and "PSNR" in source
    assert np.asarray(Image.open(image)).shape[:2] == (32, 32) and sliders == [0.0] * 6


def test_restyle_upscale_and_inpaint_write_signed_results(client, tools, tmp_path):
    pixels = picture(tmp_path / "in.png")
    upload = handle_file(str(tmp_path / "in.png"))

    styled, file = client.predict("cyclegan", upload, "a2b", api_name="/restyle")
    assert np.asarray(Image.open(styled)).shape[:2] == (16, 16)
    assert signed(file)["params"]["command"] == "stylize"

    big, file = client.predict("srresnet", upload, api_name="/upscale")
    assert np.asarray(Image.open(big)).shape[:2] == (32, 32)  # scale 2
    assert signed(file)["params"]["scale"] == 2

    layer = np.zeros((16, 16, 4), np.uint8)
    layer[4:8, 4:8] = (255, 0, 255, 255)  # the brush stroke: a 4x4 hole
    Image.fromarray(layer).save(tmp_path / "layer.png")
    editor = {
        "background": upload,
        "layers": [handle_file(str(tmp_path / "layer.png"))],
        "composite": None,
    }
    filled, file = client.predict("inpaint", editor, api_name="/inpaint")
    out = np.asarray(Image.open(filled).convert("RGB"))
    hole = np.zeros((16, 16), bool)
    hole[4:8, 4:8] = True
    assert np.array_equal(out[~hole], pixels[~hole])  # known pixels kept exactly
    assert signed(file)["params"]["hole_fraction"] == 0.0625

    with pytest.raises(AppError, match="cyclegan|pix2pix|cannot use"):
        client.predict("tiny", upload, "a2b", api_name="/restyle")  # not a translator
    no_brush = {"background": upload, "layers": [], "composite": None}
    with pytest.raises(AppError, match="paint the holes"):
        client.predict("inpaint", no_brush, api_name="/inpaint")
