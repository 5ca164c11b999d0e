"""Decoded images stay uint8 (in memory, or in a memory map in the artgan cache when they pass
data.in_memory_limit_mb); batches become float [-1, 1] on the training device, cropped and
flipped there with draws that are a pure function of (seed, batch counter)."""

import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import artgan
from artgan.config import DataConfig
from artgan.data import folder, load_dataset, uint8_store
from artgan.data.dataset import BatchStream, InMemoryDataset, image_batch
from artgan.data.uint8_store import MappedImageFolder
from tests.conftest import tiny_run_config


@pytest.fixture(autouse=True)
def cache(monkeypatch, tmp_path) -> Path:
    """A cache of this test's own."""
    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def make_folder(root: Path, n: int = 10, size: int = 30) -> Path:
    rng = np.random.default_rng(0)
    for i in range(n):
        path = root / ("x" if i % 2 else "y") / f"{i:02d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, (size, size + 3, 4), dtype=np.uint8)  # RGBA
        Image.fromarray(pixels, "RGBA").save(path)
    return root


def load(root: Path, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_dataset(DataConfig(source=str(root), **options), 16)


def old_batch(x: torch.Tensor, crop_size: int, flip: bool, generator) -> torch.Tensor:
    """How batches were made before: float first, then an index-gather crop and the flip."""
    x = x.float().div(127.5).sub(1.0)
    b, _, h, w = x.shape
    if crop_size and crop_size < w:
        top = torch.randint(0, h - crop_size + 1, (b,), generator=generator)
        left = torch.randint(0, w - crop_size + 1, (b,), generator=generator)
        rows, cols = top[:, None] + torch.arange(crop_size), left[:, None] + torch.arange(crop_size)
        x = x.permute(0, 2, 3, 1)[torch.arange(b)[:, None, None], rows[:, :, None], cols[:, None]]
        x = x.permute(0, 3, 1, 2)
    if flip:
        flips = torch.rand(b, generator=generator) < 0.5
        x = torch.where(flips[:, None, None, None], x.flip(-1), x)
    return x


@pytest.mark.parametrize("crop", ["center", "random"])
def test_images_are_held_as_uint8_and_batches_equal_the_old_float_conversion(tmp_path, crop):
    data = load(make_folder(tmp_path / "f"), crop=crop, flip=True)
    assert isinstance(data, InMemoryDataset) and data.x.dtype == torch.uint8
    for k in range(3):
        indices = torch.tensor([k, 9, 3, 3, 0])
        batch = data.get(indices, torch.Generator().manual_seed(k))
        again = torch.Generator().manual_seed(k)
        expected = old_batch(data.x[indices], data.crop_size, True, again)
        assert batch.x.dtype == torch.float32 and batch.x.shape == (5, 3, 16, 16)
        assert torch.equal(batch.x, expected)
        assert batch.x.min() >= -1 and batch.x.max() <= 1


def test_image_batch_moves_uint8_then_converts_on_the_device():
    x = torch.randint(0, 256, (4, 3, 18, 18), dtype=torch.uint8)
    a = image_batch(x, 16, True, torch.Generator().manual_seed(5), torch.device("cpu"))
    b = image_batch(x, 16, True, torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and a.shape == (4, 3, 16, 16)
    assert torch.equal(a, old_batch(x, 16, True, torch.Generator().manual_seed(5)))
    c = image_batch(x, 16, True, torch.Generator().manual_seed(6))
    assert not torch.equal(a, c)  # another seed, other windows and flips


def test_a_large_folder_is_decoded_once_into_a_memory_map_and_reused(tmp_path, cache, monkeypatch):
    root = make_folder(tmp_path / "f")
    options = dict(crop="random", flip=True)
    memory = load(root, **options)
    mapped = load(root, in_memory_limit_mb=0, **options)
    assert isinstance(mapped, MappedImageFolder) and mapped.decoded_now
    assert mapped.path.parent == cache / "decoded" and mapped.path.with_suffix(".json").is_file()
    stored = np.load(mapped.path, mmap_mode="r")
    assert stored.dtype == np.uint8 and stored.shape == (10, 3, 18, 18)  # (N, C, S, S)
    assert np.array_equal(stored, memory.x.numpy())
    assert "memory map" in " ".join(mapped.report.notes)
    assert not list(mapped.path.parent.glob("*.tmp"))

    # A second load maps the same file and decodes nothing.
    monkeypatch.setattr(folder, "decode", lambda *a, **k: pytest.fail("decoded again"))
    again = load(root, in_memory_limit_mb=0, **options)
    assert isinstance(again, MappedImageFolder) and not again.decoded_now
    assert again.path == mapped.path and "earlier run" in " ".join(again.report.notes)

    assert len(again) == len(memory) and again.spec == memory.spec
    assert again.class_names == memory.class_names == ["x", "y"]
    from_memory, from_map = BatchStream(memory, 4, seed=3), BatchStream(again, 4, seed=3)
    for _ in range(7):  # more than two epochs
        a, b = from_memory.next(), from_map.next()
        assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    # Resuming at a batch counter gives the same batch as running on to it.
    resumed = BatchStream(again, 4, seed=3, position=from_map.position - 1)
    assert torch.equal(resumed.next().x, b.x)


def test_a_changed_file_or_setting_makes_a_new_entry(tmp_path):
    root = make_folder(tmp_path / "f", n=4)
    first = load(root, in_memory_limit_mb=0)
    assert load(root, in_memory_limit_mb=0, background="black").path != first.path
    Image.new("RGB", (30, 30), (1, 2, 3)).save(root / "y" / "00.png")  # same name, new pixels
    changed = load(root, in_memory_limit_mb=0)
    assert changed.decoded_now and changed.path != first.path
    assert torch.equal(changed.get(torch.arange(4)).x, load(root).get(torch.arange(4)).x)


def test_a_killed_or_damaged_decode_is_never_used(tmp_path, monkeypatch):
    root = make_folder(tmp_path / "f", n=6)
    decode = folder.decode
    calls = []

    def dies_part_way(path, *args):
        calls.append(path)
        if len(calls) == 4:
            raise KeyboardInterrupt  # the run is stopped while decoding
        return decode(path, *args)

    monkeypatch.setattr(folder, "decode", dies_part_way)
    with pytest.raises(KeyboardInterrupt):
        load(root, in_memory_limit_mb=0)
    store = uint8_store.store_folder()
    assert list(store.iterdir()) == []  # no entry, and the temporary file is gone
    monkeypatch.setattr(folder, "decode", decode)

    good = load(root, in_memory_limit_mb=0)
    assert good.decoded_now
    # A kill after the rows were renamed but before the marker: the entry is decoded again.
    good.path.with_suffix(".json").unlink()
    good.path.write_bytes(good.path.read_bytes()[:100])  # and its data cut short
    stale = store / "old-run.tmp"
    stale.write_bytes(b"half")
    old = time.time() - 2 * uint8_store.TEMP_MAX_AGE_S
    os.utime(stale, (old, old))
    again = load(root, in_memory_limit_mb=0)
    assert again.decoded_now and not stale.exists()
    assert torch.equal(again.get(torch.arange(6)).x, load(root).get(torch.arange(6)).x)


def test_unreadable_files_are_counted_in_the_map_too(tmp_path):
    root = make_folder(tmp_path / "f", n=5)
    (root / "x" / "bad.png").write_bytes(b"not a png")
    for _ in range(2):  # decoded, then reused: counted and named both times
        with pytest.warns(UserWarning, match="bad.png"):
            data = load_dataset(DataConfig(source=str(root), in_memory_limit_mb=0), 16)
        assert len(data) == 5 and data.report.skipped == 1 and data.report.count == 5
        assert "bad.png" in data.report.skipped_examples[0]
        meta = json.loads(data.path.with_suffix(".json").read_text())
        assert list(meta["failures"].values()) and data.get(torch.arange(5)).x.shape[0] == 5


def test_reading_hands_pages_back(tmp_path, monkeypatch):
    """The map's pages are released after RESIDENT_LIMIT bytes (memory stays ~ a batch)."""
    data = load(make_folder(tmp_path / "f", n=6), in_memory_limit_mb=0)
    released = []
    monkeypatch.setattr(uint8_store, "RESIDENT_LIMIT", 3 * 16 * 16 * 3)
    monkeypatch.setattr(data.store, "_advise", lambda advice, start, n: released.append(n))
    for k in range(4):
        data.get(torch.tensor([k, k + 1]))
    assert released  # every second batch, here


def test_a_run_on_a_mapped_folder_resumes_exactly(tmp_path):
    root = make_folder(tmp_path / "f", n=12, size=40)

    def config(steps, run_dir):
        c = tiny_run_config("dcgan", steps=steps, run_dir=str(run_dir), lr_decay="none")
        c["data"] = {"source": str(root), "in_memory_limit_mb": 0, "crop": "random"}
        c["data"] |= {"flip": True, "color": "grey"}
        return c

    straight = artgan.train(config(6, tmp_path / "straight"))
    artgan.train(config(3, tmp_path / "resumed"))
    resumed = artgan.train(resume=tmp_path / "resumed", steps=6)
    info = json.loads((resumed / "data.json").read_text())
    assert "memory map" in " ".join(info["report"]["notes"])
    from tests.training.test_checkpoint_and_resume import _assert_same_weights

    _assert_same_weights(straight, resumed)


def test_mapped_batches_for_another_device_go_there_as_uint8(tmp_path):
    """On a GPU the rows go over as uint8 and are cropped, flipped and converted there ("meta"
    stands in for the GPU here: shapes and types, no values)."""
    data = load(make_folder(tmp_path / "f", n=4), in_memory_limit_mb=0, crop="random", flip=True)
    batch = data.to("meta").get(torch.tensor([0, 3, 1]), torch.Generator().manual_seed(0))
    assert batch.x.device.type == "meta" and batch.x.shape == (3, 3, 16, 16)
    assert batch.x.dtype == torch.float32
