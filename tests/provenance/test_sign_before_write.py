"""Nothing unsigned: a signing key that fails is an error that names it, and no file is written
or replaced; records never hold NaN or infinity; the same seed gives the same pixels."""

import time

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("c2pa")

from artgan.errors import ArtganError, ConfigError  # noqa: E402
from artgan.provenance import GenerationRecord, write_image, write_points, write_text  # noqa: E402
from artgan.provenance.keys import generate_chain  # noqa: E402
from artgan.provenance.verify import verify_file  # noqa: E402
from tests.provenance.test_output import RECORD, painting  # noqa: E402


def files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def outputs(tmp_path):
    """A folder holding signed outputs of each kind, written with the working key."""
    out = tmp_path / "out"
    write_image(painting(), out / "a.png", RECORD)
    write_text("a poem\n", out / "a.txt", RECORD)
    write_points(np.zeros((4, 2), np.float32), out / "a.npy", RECORD)
    return out


def _write_all(out, record=RECORD):
    yield from (
        lambda: write_image(painting(seed=1), out / "a.png", record),
        lambda: write_text("another poem\n", out / "a.txt", record),
        lambda: write_points(np.ones((4, 2), np.float32), out / "a.npy", record),
        lambda: write_image(painting(seed=1), out / "new.png", record),
    )


def _keys(tmp_path, chain: bytes, key: bytes):
    cert, private = tmp_path / "chain.pem", tmp_path / "signer.key"
    cert.write_bytes(chain)
    private.write_bytes(key)
    return cert, private


def _garbage(tmp_path, monkeypatch):
    chain, _, _ = generate_chain()
    cert, key = _keys(tmp_path, chain, b"-----BEGIN PRIVATE KEY-----\ngarbage\n")
    monkeypatch.setenv("ARTGAN_SIGNING_CERT", str(cert))
    monkeypatch.setenv("ARTGAN_SIGNING_KEY", str(key))
    return "signer.key is not a readable PEM private key"


def _missing(tmp_path, monkeypatch):
    chain, _, _ = generate_chain()
    monkeypatch.setenv("ARTGAN_SIGNING_CERT", str(_keys(tmp_path, chain, b"")[0]))
    monkeypatch.setenv("ARTGAN_SIGNING_KEY", str(tmp_path / "gone.key"))
    return "private key not found"


def _foreign(tmp_path, monkeypatch):
    chain, _, _ = generate_chain()
    _, key, _ = generate_chain()
    cert, private = _keys(tmp_path, chain, key)
    monkeypatch.setenv("ARTGAN_SIGNING_CERT", str(cert))
    monkeypatch.setenv("ARTGAN_SIGNING_KEY", str(private))
    return "does not belong"


def _incomplete_local(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "keys").mkdir(parents=True)
    (home / "keys" / "chain.pem").write_bytes(generate_chain()[0])
    monkeypatch.setenv("ARTGAN_HOME", str(home))
    return "incomplete"


def _key_folder_is_a_file(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "keys").write_text("not a folder")
    monkeypatch.setenv("ARTGAN_HOME", str(home))
    return "is a file, not a folder"


def _home_not_creatable(tmp_path, monkeypatch):
    (tmp_path / "blocker").write_text("a file")
    monkeypatch.setenv("ARTGAN_HOME", str(tmp_path / "blocker" / "home"))
    return "cannot be made"


@pytest.mark.parametrize(
    "fault",
    [_garbage, _missing, _foreign, _incomplete_local, _key_folder_is_a_file, _home_not_creatable],
)
def test_a_failing_key_writes_nothing_and_names_the_problem(outputs, tmp_path, monkeypatch, fault):
    before = files(outputs)
    (tmp_path / "fault").mkdir()
    expected = fault(tmp_path / "fault", monkeypatch)
    for write in _write_all(outputs):
        with pytest.raises(ConfigError, match=expected):
            write()
    assert files(outputs) == before  # nothing replaced, nothing new, no temporary files
    assert verify_file(outputs / "a.png").status == "valid"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_records_never_hold_nan_or_infinity(outputs, value):
    before = files(outputs)
    with pytest.raises(ConfigError, match="truncation is"):
        GenerationRecord(params={"truncation": value})
    with pytest.raises(ConfigError, match="finite"):
        RECORD.with_params(blend={"monet": value})
    assert files(outputs) == before


def test_an_unwritable_output_folder_is_one_clear_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ArtganError, match="is a file, not a folder"):
        write_image(painting(), tmp_path / "file" / "a.png", RECORD)


def test_same_seed_same_pixels(tmp_path):
    """Two identical `artgan sample` commands, a second apart, write identical pixels (the
    watermark payload leaves the creation time out; the signed manifest keeps it)."""
    import artgan
    from artgan.cli.main import main
    from artgan.provenance.output import read_record
    from tests.conftest import tiny_run_config

    run = artgan.train(tiny_run_config(steps=1, run_dir=str(tmp_path / "run")))
    paths = [tmp_path / "a.png", tmp_path / "b.png"]
    for path in paths:
        assert main(["sample", str(run), "--n", "16", "--seed", "7", "--out", str(path)]) == 0
        time.sleep(1.1)
    records = [read_record(p) for p in paths]
    assert records[0]["watermark"].startswith("embedded")
    assert records[0]["created"] != records[1]["created"]
    a, b = (np.asarray(Image.open(p)) for p in paths)
    assert np.array_equal(a, b)
