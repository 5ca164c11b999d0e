"""The one output point marks and signs every kind of generated file: images (watermark +
embedded manifest), GIFs, WAV, text and points (sidecar manifests); too-small images say so."""

import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("c2pa")

from artgan.provenance import (  # noqa: E402
    GenerationRecord,
    marking,
    write_audio,
    write_gif,
    write_image,
    write_points,
    write_text,
)
from artgan.provenance.keys import keys_dir  # noqa: E402
from artgan.provenance.output import read_record  # noqa: E402
from artgan.provenance.verify import verify_file  # noqa: E402
from artgan.provenance.watermark import detect, payload_for_record  # noqa: E402
from tests.provenance.test_c2pa import png_with_edited_pixel  # noqa: E402

RECORD = GenerationRecord(
    model_family="dcgan",
    run_id="00001-dcgan-art",
    weights_sha256="ab" * 32,
    seed=5,
    params={"command": "sample"},
    dataset_manifest_sha256="cd" * 32,
)


def painting(size: int = 160, seed: int = 0) -> np.ndarray:
    """A textured (H, W, 3) uint8 picture: smooth gradients plus noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size]
    base = np.stack([x * 255 / size, y * 255 / size, (x + y) * 127 / size], axis=-1)
    return np.clip(base + rng.normal(0, 25, base.shape), 0, 255).astype(np.uint8)


def test_tests_never_touch_the_users_home(artgan_home):
    assert Path(os.environ["ARTGAN_HOME"]) == artgan_home
    assert keys_dir().is_relative_to(artgan_home)
    assert not keys_dir().is_relative_to(Path.home() / ".config")


def test_large_image_is_watermarked_signed_and_verifies(tmp_path):
    path = write_image(painting(), tmp_path / "0000.png", RECORD)
    report = verify_file(path)
    assert report.status == "valid" and report.manifest == "embedded"
    assert report.record["watermark"].startswith("embedded")
    assert report.record["dataset_manifest_sha256"] == "cd" * 32
    assert report.record == read_record(path)  # metadata copy and signed copy agree
    assert report.watermark["found"] and report.watermark["matches_record"]
    assert report.watermark["payload"] == payload_for_record(report.record)
    assert report.watermark["confidence"] > 0.5


def test_small_image_is_signed_and_says_why_it_is_not_watermarked(tmp_path):
    path = write_image(painting(64), tmp_path / "small.png", RECORD)
    report = verify_file(path)
    assert report.status == "valid"
    assert report.record["watermark"].startswith("not watermarked: too small (64x64 px")
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), painting(64))


def test_edited_pixels_read_as_tampered(tmp_path):
    path = write_image(painting(), tmp_path / "0000.png", RECORD)
    path.write_bytes(png_with_edited_pixel(path.read_bytes()))
    assert verify_file(path).status == "tampered"


def test_stripped_manifest_is_absent_but_the_watermark_is_still_found(tmp_path):
    path = write_image(painting(), tmp_path / "0000.png", RECORD)
    payload = payload_for_record(verify_file(path).record)
    stripped = tmp_path / "stripped.png"
    Image.open(path).convert("RGB").save(stripped)  # metadata gone, pixels kept
    report = verify_file(stripped)
    assert report.status == "absent" and report.record is None
    assert report.watermark["found"] and report.watermark["payload"] == payload


def test_watermark_of_a_written_file_survives_jpeg_50_and_half_size(tmp_path):
    path = write_image(painting(256, seed=1), tmp_path / "big.png", RECORD)
    payload = payload_for_record(verify_file(path, watermark=False).record)
    pixels = Image.open(path).convert("RGB")
    buffer = io.BytesIO()
    pixels.save(buffer, format="JPEG", quality=50)
    assert detect(np.asarray(Image.open(buffer).convert("RGB"))).payload == payload
    half = pixels.resize((128, 128), Image.Resampling.BILINEAR)
    assert detect(np.asarray(half)).payload == payload


def test_jpeg_grey_and_webp_outputs_verify(tmp_path):
    for name, image in (
        ("a.jpg", painting()),
        ("b.png", painting()[..., 0]),
        ("c.webp", painting()),
    ):
        report = verify_file(write_image(image, tmp_path / name, RECORD))
        assert report.status == "valid", (name, report.problems)
        assert report.watermark["found"], name


def test_gif_frames_carry_the_watermark_and_the_manifest(tmp_path):
    frames = [painting(seed=k) for k in range(3)]
    report = verify_file(write_gif(frames, tmp_path / "walk.gif", RECORD))
    assert report.status == "valid"
    assert report.record["watermark"].startswith("embedded")
    assert report.watermark["found"] and report.watermark["matches_record"]


def test_wav_text_and_points_are_signed(tmp_path):
    wav = write_audio(np.sin(np.linspace(0, 300, 8000)) * 0.5, 16000, tmp_path / "a.wav", RECORD)
    text = write_text("a generated sonnet\n", tmp_path / "poem.txt", RECORD)
    points = write_points(np.zeros((5, 2)), tmp_path / "p.npy", RECORD)
    for path, where, kind in ((wav, "embedded", "audio"), (text, "sidecar", "text")):
        report = verify_file(path)
        assert (report.status, report.manifest) == ("valid", where)
        assert (
            report.record["watermark"] == f"not watermarked: {kind} (the watermark is for images)"
        )
    assert (tmp_path / "poem.txt.c2pa").is_file() and (tmp_path / "p.npy.c2pa").is_file()
    assert verify_file(points).status == "valid"
    text.write_text("an edited sonnet\n")
    assert verify_file(text).status == "tampered"


def test_without_c2pa_python_files_are_written_unsigned_with_one_warning(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "c2pa", None)  # import c2pa -> ImportError
    monkeypatch.setattr(marking, "_warned_unsigned", False)
    with pytest.warns(UserWarning, match="not signed"):
        write_text("x\n", tmp_path / "a.txt", RECORD)
    write_text("y\n", tmp_path / "b.txt", RECORD)  # no second warning (pytest would not fail)
    assert not (tmp_path / "a.txt.c2pa").exists() and read_record(tmp_path / "a.txt")


def sidecars(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(name + "."))


def test_a_sound_text_or_point_file_has_at_most_one_sidecar_holding_its_record(tmp_path):
    # issue 16 item 8: the signed manifest carries the record, so no second JSON sidecar
    wav = write_audio(np.zeros(800), 16000, tmp_path / "a.wav", RECORD)
    text = write_text("a line\n", tmp_path / "poem.txt", RECORD)
    npy = write_points(np.zeros((5, 2)), tmp_path / "p.npy", RECORD)
    csv = write_points(np.zeros((5, 2)), tmp_path / "p.csv", RECORD)
    assert sidecars(tmp_path, "a.wav") == []  # the manifest is inside the WAV
    assert sidecars(tmp_path, "poem.txt") == ["poem.txt.c2pa"]
    assert sidecars(tmp_path, "p.npy") == ["p.npy.c2pa"]
    assert sidecars(tmp_path, "p.csv") == ["p.csv.c2pa"]
    for path in (wav, text, npy, csv):
        assert read_record(path)["seed"] == RECORD.seed  # read back from the signed manifest


def test_unsigned_files_keep_their_record_in_one_plain_sidecar(tmp_path, monkeypatch):
    signed = write_text("old\n", tmp_path / "a.txt", RECORD)
    monkeypatch.setitem(sys.modules, "c2pa", None)  # a broken install: nothing can be signed
    monkeypatch.setattr(marking, "_warned_unsigned", True)
    write_text("new\n", signed, RECORD)
    write_audio(np.zeros(800), 16000, tmp_path / "b.wav", RECORD)
    # the old manifest described other bytes, so it goes; the record stays readable
    assert sidecars(tmp_path, "a.txt") == ["a.txt.artgan.json"]
    assert sidecars(tmp_path, "b.wav") == ["b.wav.artgan.json"]
    assert read_record(signed)["seed"] == RECORD.seed
