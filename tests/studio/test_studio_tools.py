"""The Edit, Restyle, Upscale and Inpaint tabs through gradio_client: each result is the
library's, and each saved file comes from the one output point."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image, ImageFile

from artgan.errors import DataError
from artgan.provenance.verify import verify_file
from artgan.studio.app import editor_files
from tests.conftest import tiny_run_config

from .conftest import gradio_client, train_without_preview

AppError = gradio_client.exceptions.AppError
handle_file = gradio_client.handle_file


@pytest.fixture(scope="module")
def tools(runs):
    """One-step runs of an inpainter, an upscaler and a translator beside runs/tiny."""
    for family in ("inpaint", "srresnet", "cyclegan"):
        config = tiny_run_config(family, steps=1, run_dir=str(runs / family))
        if family != "cyclegan":
            config["data"] = {"source": "art", "size": 16}
        train_without_preview(config)
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


def test_an_oversize_image_in_the_brush_box_is_refused_before_it_is_decoded(
    client, tools, tmp_path, monkeypatch
):
    """gr.ImageEditor decodes its images while Gradio preprocesses them; the Inpaint event
    takes them raw, so the --max-megapixels check (from the header) comes first."""
    decoded = []
    load = ImageFile.ImageFile.load

    def counted_load(image):
        decoded.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counted_load)
    Image.new("RGB", (300, 300), "white").save(tmp_path / "big.png")  # 0.09 MP > 0.05
    Image.new("RGBA", (300, 300)).save(tmp_path / "layer.png")
    editor = {
        "background": handle_file(str(tmp_path / "big.png")),
        "layers": [handle_file(str(tmp_path / "layer.png"))],
        "composite": None,
    }
    with pytest.raises(AppError, match="more than --max-megapixels 0.05"):
        client.predict("inpaint", editor, api_name="/inpaint")
    assert (300, 300) not in decoded


def test_the_pages_brush_box_images_are_bounded_as_uploads(studio, tmp_path):
    """From the page, the editor's canvas posts its images as bytes under an id: they are
    written undecoded into the upload folder, checked like any upload, then removed."""
    Image.new("RGB", (300, 300), "white").save(tmp_path / "big.png")
    Image.new("RGBA", (16, 16)).save(tmp_path / "layer.png")
    big, layer = ((tmp_path / n).read_bytes() for n in ("big.png", "layer.png"))
    blobs = {"page-1": SimpleNamespace(background=big, layers=[layer, None], composite=None)}
    with editor_files({"id": "page-1"}, blobs) as editor:
        background = Path(editor["background"])
        assert background.read_bytes() == big and len(editor["layers"]) == 1
        with pytest.raises(DataError, match="more than --max-megapixels 0.05"):
            studio.folders.upload_image(background)
        assert studio.folders.upload_image(editor["layers"][0])  # a small one passes
    assert not background.exists() and "page-1" not in blobs
