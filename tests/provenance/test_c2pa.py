"""Signed C2PA Content Credentials: sign -> verify valid; edits read as tampered; stripped
manifests as absent; detached sidecars for text; the ``artgan verify`` command."""

import io
import json
import stat
import struct
import wave
import zlib

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("c2pa")

from artgan.cli.main import main  # noqa: E402
from artgan.errors import DataError  # noqa: E402
from artgan.provenance import keys  # noqa: E402
from artgan.provenance.c2pa_sign import (  # noqa: E402
    TRAINED_ALGORITHMIC_MEDIA,
    sidecar_path,
    sign_file,
    sign_output,
    sign_sidecar,
)
from artgan.provenance.record import GenerationRecord  # noqa: E402
from artgan.provenance.verify import verify_file  # noqa: E402

RECORD = GenerationRecord(
    model_family="dcgan",
    run_id="00007-dcgan-art",
    weights_sha256="ab" * 32,
    step=1200,
    seed=42,
    params={"index": 3, "truncation": 0.7},
    dataset_manifest_sha256="cd" * 32,
).to_dict()


@pytest.fixture
def identity(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTGAN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ARTGAN_SIGNING_CERT", raising=False)
    monkeypatch.delenv("ARTGAN_SIGNING_KEY", raising=False)
    return keys.ensure_signing_identity()


def picture(size: int = 64) -> Image.Image:
    y, x = np.mgrid[0:size, 0:size]
    rgb = np.stack([x * 4, y * 4, (x + y) * 2], axis=-1) % 256  # (H, W, 3)
    return Image.fromarray(rgb.astype(np.uint8))


def write_picture(path):
    image = picture()
    image.save(path, quality=95) if path.suffix == ".jpg" else image.save(path)
    return path


def write_wav(path, seconds: float = 0.25, rate: int = 8000):
    t = np.arange(int(seconds * rate)) / rate
    samples = (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def check(path, status, **kwargs):
    report = verify_file(path, watermark=False, **kwargs)
    assert report.status == status, report.problems
    return report


# ----------------------------------------------------------------------------- embedded


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".gif"])
def test_signed_image_verifies_with_its_record(identity, tmp_path, suffix):
    path = write_picture(tmp_path / f"sample{suffix}")
    before = np.asarray(Image.open(path).convert("RGB"))
    assert sign_file(path, RECORD, identity) == path
    report = check(path, "valid")
    assert report.manifest == "embedded"
    assert report.record == RECORD
    assert report.signer == "artgan local signer (artgan)"
    assert report.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
    assert report.claim_generator == f"artgan {RECORD['artgan_version']}"
    assert report.trust.startswith("trusted")  # the local CA is a trust anchor here
    assert report.problems == []
    # Signing adds metadata only: the pixels are untouched and the file still opens.
    np.testing.assert_array_equal(np.asarray(Image.open(path).convert("RGB")), before)


def test_signed_wav_verifies(identity, tmp_path):
    path = write_wav(tmp_path / "tune.wav")
    sign_file(path, RECORD, identity)
    assert check(path, "valid").record == RECORD
    with wave.open(str(path)) as signed:
        assert signed.getnframes() == 2000


def test_other_users_see_an_intact_but_untrusted_signer(identity, tmp_path, monkeypatch):
    path = write_picture(tmp_path / "sample.png")
    sign_file(path, RECORD, identity)
    monkeypatch.setenv("ARTGAN_HOME", str(tmp_path / "someone-else"))
    report = check(path, "valid")
    assert report.trust.startswith("untrusted signer")
    assert report.problems == []  # signingCredential.untrusted alone is not a problem
    trusted = check(path, "valid", trust_anchors=identity.paths.ca.read_bytes())
    assert trusted.trust.startswith("trusted")


def png_with_edited_pixel(data: bytes) -> bytes:
    """Change one pixel inside the IDAT stream, keeping every other chunk (the manifest too)
    and writing correct chunk CRCs, as an editor that preserves metadata would."""
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunks.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    raw = bytearray(zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT")))
    raw[1] ^= 0xFF  # red of pixel (0, 0); byte 0 is the row's filter type
    out, idat_done = bytearray(data[:8]), False
    for kind, body in chunks:
        if kind == b"IDAT":
            if idat_done:
                continue
            body, idat_done = zlib.compress(bytes(raw)), True
        out += (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )
    return bytes(out)


def test_edited_png_pixels_read_as_tampered(identity, tmp_path):
    path = write_picture(tmp_path / "sample.png")
    sign_file(path, RECORD, identity)
    path.write_bytes(png_with_edited_pixel(path.read_bytes()))
    assert Image.open(path).getpixel((0, 0))[0] == 255  # the edit really changed a pixel
    report = check(path, "tampered")
    assert any(p.startswith("assertion.dataHash.mismatch") for p in report.problems)
    assert report.record == RECORD  # the signed claim itself is still readable


@pytest.mark.parametrize("suffix", [".jpg", ".wav"])
def test_edited_jpeg_and_wav_data_read_as_tampered(identity, tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    write_wav(path) if suffix == ".wav" else write_picture(path)
    sign_file(path, RECORD, identity)
    data = bytearray(path.read_bytes())
    # A sample in the WAV data chunk; in JPEG the scan data near the end (the manifest is in
    # APP11 segments at the start).
    data[data.index(b"data") + 100 if suffix == ".wav" else -101] ^= 0x01
    path.write_bytes(bytes(data))
    report = check(path, "tampered")
    assert any(p.startswith("assertion.dataHash.mismatch") for p in report.problems)


def test_damaged_manifest_reads_as_tampered(identity, tmp_path):
    path = write_picture(tmp_path / "sample.png")
    sign_file(path, RECORD, identity)
    data = bytearray(path.read_bytes())
    data[data.index(b"caBX") + 200] ^= 0xFF  # inside the manifest store
    path.write_bytes(bytes(data))
    assert check(path, "tampered").problems


def test_reencoded_image_reads_as_absent(identity, tmp_path):
    path = write_picture(tmp_path / "sample.png")
    sign_file(path, RECORD, identity)
    stripped = tmp_path / "stripped.png"
    Image.open(path).save(stripped)  # Pillow drops the caBX chunk
    report = check(stripped, "absent")
    assert report.record is None and report.signer is None


def test_unsigned_and_unparsable_files_are_absent(identity, tmp_path):
    check(write_picture(tmp_path / "plain.png"), "absent")
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"not a png at all")
    assert "not a readable image/png" in check(garbage, "absent").problems[0]
    with pytest.raises(DataError, match="no file"):
        verify_file(tmp_path / "missing.png")


def test_signing_keeps_permissions_and_leaves_no_temporary_files(identity, tmp_path):
    path = write_picture(tmp_path / "sample.png")
    path.chmod(0o644)
    sign_file(path, RECORD, identity)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "sample.png"]
    sign_file(path, RECORD, identity)  # signing again replaces the manifest
    assert check(path, "valid").record == RECORD


def test_ingredient_is_recorded(identity, tmp_path):
    source = write_picture(tmp_path / "photo.jpg")
    out = write_picture(tmp_path / "restyled.png")
    sign_file(out, RECORD, identity, ingredient=source)
    assert check(out, "valid").ingredients == ["photo.jpg"]


def test_embedding_needs_a_supported_format(identity, tmp_path):
    path = tmp_path / "tune.abc"
    path.write_text("X:1\n")
    with pytest.raises(DataError, match="cannot embed"):
        sign_file(path, RECORD, identity)


# ----------------------------------------------------------------------------- sidecars


def test_text_sidecar_verifies_and_edits_read_as_tampered(identity, tmp_path):
    path = tmp_path / "tune.abc"
    path.write_text("X:1\nT:generated\nK:G\nGABc d2e2|\n")
    side = sign_sidecar(path, RECORD, identity)
    assert side == sidecar_path(path) == tmp_path / "tune.abc.c2pa"
    report = check(path, "valid")
    assert report.manifest == "sidecar" and report.record == RECORD
    assert check(side, "valid").path == str(path)  # given the sidecar, checks its file
    path.write_text("X:1\nT:generated\nK:G\nGABd d2e2|\n")
    report = check(path, "tampered")
    assert any(p.startswith("assertion.dataHash.mismatch") for p in report.problems)
    side.write_bytes(side.read_bytes()[:100])
    assert check(path, "tampered").problems[0].startswith("sidecar tune.abc.c2pa is damaged")
    side.unlink()
    check(path, "absent")


def test_sign_output_embeds_where_it_can(identity, tmp_path):
    image = write_picture(tmp_path / "a.png")
    points = tmp_path / "points.npy"
    np.save(points, np.zeros((4, 2), np.float32))
    assert sign_output(image, RECORD, identity) == image
    assert sign_output(points, RECORD, identity) == tmp_path / "points.npy.c2pa"
    assert check(points, "valid").manifest == "sidecar"


def test_bring_your_own_certificate_signs(tmp_path, monkeypatch):
    own = keys.create_signing_identity(tmp_path / "own", common_name="Jane Doe")
    monkeypatch.setenv("ARTGAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ARTGAN_SIGNING_CERT", str(own.paths.cert_chain))
    monkeypatch.setenv("ARTGAN_SIGNING_KEY", str(own.paths.private_key))
    path = write_picture(tmp_path / "sample.png")
    sign_file(path, RECORD, keys.ensure_signing_identity())
    report = check(path, "valid", trust_anchors=own.paths.ca.read_bytes())
    assert report.signer == "Jane Doe (artgan)" and report.trust.startswith("trusted")


# ----------------------------------------------------------------------------- command line


def test_verify_command_exit_codes_and_json(identity, tmp_path, capsys):
    good = write_picture(tmp_path / "good.png")
    sign_file(good, RECORD, identity)
    assert main(["verify", str(good), "--no-watermark"]) == 0
    out = capsys.readouterr().out
    assert "manifest valid (embedded)" in out and "00007-dcgan-art" in out
    plain = write_picture(tmp_path / "plain.png")
    assert main(["verify", str(good), str(plain), "--json", "--no-watermark"]) == 1
    reports = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in reports] == ["valid", "absent"]
    assert reports[0]["record"]["seed"] == 42
    (tmp_path / "bad.pem").write_text("not a certificate")
    assert main(["verify", str(good), "--trust", str(tmp_path / "bad.pem")]) == 2
    assert "PEM certificates" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "missing.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("artgan: error: no such file") and err.count("\n") == 1


def test_verify_reports_the_watermark_check_on_images(identity, tmp_path):
    pytest.importorskip("artgan.provenance.watermark")
    path = write_picture(tmp_path / "good.png")
    sign_file(path, RECORD, identity)
    mark = verify_file(path).watermark
    assert mark is not None and mark["found"] is False  # nothing embedded a watermark here
    assert set(mark) >= {"found", "payload", "bits", "confidence"}
    audio = write_wav(tmp_path / "tune.wav")
    assert verify_file(audio).watermark is None  # images only


def test_manifest_adds_no_thumbnail(identity, tmp_path):
    # The library's default thumbnail of a noisy 256 px image would be larger than the image.
    path = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256, 3), np.uint8)).save(path)
    size = path.stat().st_size
    sign_file(path, RECORD, identity)
    assert path.stat().st_size - size < 16_000  # manifest only, no embedded thumbnail
    check(path, "valid")
    buffer = io.BytesIO(path.read_bytes())
    assert Image.open(buffer).size == (256, 256)
