"""Fashion-MNIST from IDX files: the reader, its checks, and where the files are looked for."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from artgan.config import DataConfig
from artgan.data import fashion_mnist, load_dataset
from artgan.errors import DataError


def write_idx(path: Path, array: np.ndarray, compress: bool = True, magic: bytes | None = None):
    header = magic or bytes([0, 0, 0x08, array.ndim])
    body = header + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(body) if compress else body)


@pytest.fixture
def idx_folder(tmp_path, monkeypatch):
    """Train: 6 images 4x4 whose pixels equal 10 * their index; test: 3 raw (uncompressed)."""
    train = np.stack([np.full((4, 4), 10 * i) for i in range(6)])
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", train)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.array([9, 0, 0, 3, 1, 2]))
    write_idx(tmp_path / "t10k-images-idx3-ubyte", train[:3] + 1, compress=False)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([5, 6, 7]), compress=False)
    monkeypatch.setenv(fashion_mnist.ENV_VAR, str(tmp_path))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "absent")
    return tmp_path


def load(image_size=None, **options):
    return load_dataset(DataConfig(source="fashion-mnist", **options), image_size)


def test_reads_gzipped_and_raw_idx(idx_folder):
    assert load().x.shape == (6, 1, 28, 28)  # resized to the real 28 px by default
    train = load(4)
    assert train.x.shape == (6, 1, 4, 4) and train.x.dtype == torch.uint8
    assert train.x[:, 0, 0, 0].tolist() == [0, 10, 20, 30, 40, 50]
    assert train.y.tolist() == [9, 0, 0, 3, 1, 2] and train.y.dtype == torch.int64
    assert train.class_names[0] == "T-shirt/top" and train.class_names[9] == "Ankle boot"
    test = load(4, split="test")
    assert test.x[:, 0, 0, 0].tolist() == [1, 11, 21] and test.y.tolist() == [5, 6, 7]


def test_resize_colour_and_limit(idx_folder):
    data = load(8, color="rgb", limit=4)
    assert data.x.shape == (4, 3, 8, 8)
    assert data.x[2].unique().tolist() == [20]  # a flat image stays flat when resized
    assert load(color="auto").x.shape[1] == 1


@pytest.mark.parametrize("damage", ["magic", "truncated", "not_gzip"])
def test_corrupt_files_are_data_errors(idx_folder, damage):
    path = idx_folder / "train-images-idx3-ubyte.gz"
    images = np.zeros((6, 4, 4))
    if damage == "magic":
        write_idx(path, images, magic=bytes([0, 0, 0x0D, 3]))  # floats, not unsigned bytes
    elif damage == "truncated":
        body = gzip.decompress(path.read_bytes())
        path.write_bytes(gzip.compress(body[:-5]))
    else:
        path.write_bytes(b"\x1f\x8b" + b"garbage" * 5)
    with pytest.raises(DataError, match="train-images"):
        load()


def test_image_and_label_counts_must_agree(idx_folder):
    write_idx(idx_folder / "train-labels-idx1-ubyte.gz", np.array([1, 2]))
    with pytest.raises(DataError, match="6 images but 2 labels"):
        load()


def test_absent_files_say_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv(fashion_mnist.ENV_VAR, str(tmp_path))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "absent")
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist") as error:
        load()
    assert fashion_mnist.ENV_VAR in str(error.value)


@pytest.mark.skipif(not fashion_mnist.DEBIAN_DIR.is_dir(), reason="dataset-fashion-mnist absent")
def test_real_debian_files(monkeypatch):
    monkeypatch.delenv(fashion_mnist.ENV_VAR, raising=False)
    train = load()
    assert train.x.shape == (60000, 1, 28, 28)
    assert train.y[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]  # the published order
    assert torch.bincount(train.y).tolist() == [6000] * 10
    assert len(load(split="test", limit=100)) == 100
