"""Bounded decoding: a small file claiming a huge size is refused from its header, cheaply,
wherever an image enters (single inputs, training folders, verify); the limit can be raised."""

import struct
import subprocess
import sys
import warnings
import zlib

import pytest
from PIL import Image, ImageFile

from artgan.cli.main import main
from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.data.consent import scan_folder
from artgan.data.folder import try_decode
from artgan.data.image_file import read_image
from artgan.data.image_limits import PIXEL_LIMIT_ENV, max_image_pixels
from artgan.data.streaming import header_error
from artgan.errors import ConfigError, DataError
from artgan.models.fastgan import typical_short_side
from artgan.provenance.output import read_record


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(path, side: int, complete: bool = True):
    """A greyscale PNG of side x side black pixels: a few hundred KB on disk. ``complete=False``
    writes the header and a stub of the data only (enough for a header check)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\0" * (side + 1)  # filter byte + pixels
    parts = []
    for _ in range(side if complete else 1):
        parts.append(compressor.compress(row))
    parts.append(compressor.flush())
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    return bomb_png(tmp_path_factory.mktemp("bomb") / "bomb.png", 13000)


def test_a_13000_px_png_is_refused_from_its_header(bomb, monkeypatch):
    assert bomb.stat().st_size < 1_000_000

    def no_decoding(self, *args, **kwargs):
        raise AssertionError("the pixels were decoded; only the header should be read")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(DataError, match="13000x13000 px is more than the 64,000,000-pixel limit"):
        read_image(bomb)
    reason = try_decode(bomb, 32, "rgb")[1]  # a training folder skips and counts it
    assert "pixel limit" in reason and "pixel limit" in header_error(bomb)


def test_a_30000_px_bomb_is_a_data_error_not_pillows(tmp_path):
    path = bomb_png(tmp_path / "big.png", 30000, complete=False)
    with pytest.raises(DataError, match="too large to decode"):
        read_image(path)


def test_verify_on_a_bomb_stays_small(bomb):
    # A fresh parent measures the peak memory of this one child (this process's own children
    # counter would hold the peak of every subprocess the suite started before). Decoding the
    # 169 MP bomb took 7.5 GB before the header check; the check needs only the header.
    measure = (
        "import resource, subprocess, sys; "
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "sys.stderr.write(done.stderr); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, done.returncode)"
    )
    result = subprocess.run(
        [sys.executable, "-c", measure, sys.executable, "-m", "artgan", "verify", str(bomb)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    peak_mb, returncode = map(int, result.stdout.split()[-2:])
    assert returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert peak_mb < 1500, peak_mb


def test_the_limit_can_be_raised_and_is_checked(bomb, monkeypatch):
    monkeypatch.setenv(PIXEL_LIMIT_ENV, "200_000_000")
    assert max_image_pixels() == 200_000_000
    assert "pixel limit" not in header_error(bomb)
    monkeypatch.setenv(PIXEL_LIMIT_ENV, "lots")
    with pytest.raises(ConfigError, match=PIXEL_LIMIT_ENV):
        max_image_pixels()


PILLOW_DEFAULT_LIMIT = 1024 * 1024 * 1024 // 4 // 3  # Pillow warns above it, refuses above 2x


@pytest.fixture
def bomb_folder(tmp_path, bomb, monkeypatch):
    """Two ordinary images, a 13000 px bomb (169 MP: in the band where Pillow only warns) and
    a 30000 px one (where Pillow refuses), with Pillow's limit at its default."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", PILLOW_DEFAULT_LIMIT)
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(2):
        Image.new("RGB", (16, 16), (40 * i, 90, 200)).save(folder / f"{i}.png")
    (folder / "warned.png").write_bytes(bomb.read_bytes())
    bomb_png(folder / "refused.png", 30000, complete=False)
    return folder


def pillow_warnings(caught) -> list:
    return [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


@pytest.mark.parametrize("streamed", [False, True])
def test_no_raw_pillow_bomb_warning_escapes_a_training_folder(bomb_folder, streamed):
    """artgan skips and counts both bombs in its own words; Pillow's warning stays silent."""
    options = {"in_memory_limit_mb": 0} if streamed else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = load_dataset(DataConfig(source=str(bomb_folder), **options), 16)
        assert typical_short_side(str(bomb_folder)) == 16  # FastGAN's look at the headers
        assert scan_folder(bomb_folder).files  # the consent scan
    assert not pillow_warnings(caught), [str(w.message) for w in caught]
    assert len(dataset) == 2 and dataset.report.skipped == 2
    said = " ".join(str(w.message) for w in caught)
    assert "skipped 2" in said and "pixel limit" in said


def test_no_raw_pillow_bomb_warning_escapes_a_single_image(bomb_folder, capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(DataError, match="pixel limit"):
            read_image(bomb_folder / "warned.png")
        assert read_record(bomb_folder / "warned.png") is None
        assert read_record(bomb_folder / "refused.png") is None
        main(["verify", str(bomb_folder / "warned.png")])
    assert not pillow_warnings(caught), [str(w.message) for w in caught]
    assert "decompression bomb" not in capsys.readouterr().err.lower()
