"""Image folders: formats, colour modes, bad files, labels, crops, splits and streaming (when
the memory-map cache has no room; the memory map itself: test_uint8_store.py)."""

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from artgan.config import DataConfig
from artgan.data import load_dataset, uint8_store
from artgan.data.dataset import BatchStream
from artgan.data.folder import find_images, load_image_folder
from artgan.data.streaming import StreamingImageFolder
from artgan.errors import DataError


def save(path: Path, image: Image.Image, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **options)
    return path


def solid(color, mode: str = "RGB", size=(24, 20)) -> Image.Image:
    return Image.new(mode, size, color)


def noise(seed: int, size: int = 24) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size, size + 4, 3), dtype=np.uint8))


def load(root: Path, image_size: int = 16, **options):
    return load_dataset(DataConfig(source=str(root), **options), image_size)


def centre_pixels(data, root: Path) -> dict[str, np.ndarray]:
    """name -> the RGB value at the centre of that file's decoded image."""
    c = data.x.shape[-1] // 2
    return {
        f.relative_to(root).as_posix(): data.x[i, :, c, c].numpy().astype(int)
        for i, f in enumerate(find_images(root))
    }


def test_every_format_and_colour_mode(tmp_path):
    save(tmp_path / "a.png", solid((255, 0, 0)))
    save(tmp_path / "b.JPG", solid((0, 255, 0)), quality=95)
    save(tmp_path / "c.jpeg", solid((0, 0, 255)), quality=95)
    save(tmp_path / "d.WebP", solid((255, 255, 0)), lossless=True)
    save(tmp_path / "e.bmp", solid((0, 255, 255)))
    frames = [solid((255, 0, 0), "P"), solid((0, 0, 255), "P")]  # red, then blue
    save(tmp_path / "f.gif", frames[0], save_all=True, append_images=frames[1:], duration=100)
    save(tmp_path / "g.tif", solid((255, 0, 255)))
    save(tmp_path / "h.tiff", solid(32768, "I;16"))  # 16-bit: half scale -> 128
    save(tmp_path / "i.png", Image.fromarray(np.full((20, 24), 65535, np.uint16)))
    palette = solid(0, "P")
    palette.putpalette([10, 120, 200] * 256)
    save(tmp_path / "j.png", palette)
    save(tmp_path / "k.png", solid((0, 0), "LA"))  # fully transparent -> white
    save(tmp_path / "l.png", solid((0, 0, 0, 128), "RGBA"))  # half-transparent black on white
    save(tmp_path / "m.tif", solid((255, 0, 0, 0), "CMYK"))  # pure cyan ink
    save(tmp_path / "n.jpg", solid((0, 0, 0, 0), "CMYK"), quality=95)  # no ink: white
    save(tmp_path / "o.png", solid(1, "1"))  # bilevel white
    save(tmp_path / "deep" / "er" / "p.png", solid((7, 8, 9)))  # found recursively
    (tmp_path / "notes.txt").write_text("not an image suffix: ignored, not counted")
    data = load(tmp_path)
    expected = {
        "a.png": (255, 0, 0),
        "b.JPG": (0, 255, 0),
        "c.jpeg": (0, 0, 255),
        "d.WebP": (255, 255, 0),
        "e.bmp": (0, 255, 255),
        "f.gif": (255, 0, 0),
        "g.tif": (255, 0, 255),
        "h.tiff": (128, 128, 128),
        "i.png": (255, 255, 255),
        "j.png": (10, 120, 200),
        "k.png": (255, 255, 255),
        "l.png": (127, 127, 127),
        "m.tif": (0, 255, 255),
        "n.jpg": (255, 255, 255),
        "o.png": (255, 255, 255),
        "deep/er/p.png": (7, 8, 9),
    }
    pixels = centre_pixels(data, tmp_path)
    assert set(pixels) == set(expected)
    for name, value in expected.items():
        tolerance = 6 if name.lower().endswith(("jpg", "jpeg")) else 1
        assert np.abs(pixels[name] - value).max() <= tolerance, name
    assert data.x.shape == (16, 3, 16, 16) and data.y is None and data.class_names == []
    assert data.report.count == 16 and data.report.skipped == 0


def test_grey_and_resize_with_centre_crop(tmp_path):
    wide = np.zeros((20, 60, 3), np.uint8)
    wide[:, 20:40] = (255, 0, 0)  # the centre third is red, the sides black
    save(tmp_path / "wide.png", Image.fromarray(wide))
    data = load(tmp_path, image_size=8, color="grey")
    assert data.x.shape == (1, 1, 8, 8)
    # Red's luma edge to edge, so the black sides were cut (Lanczos reads a pixel past the box).
    assert (data.x[0, 0].int() - 76).abs().max() <= 5


def test_exif_orientation_is_applied(tmp_path):
    image = np.zeros((32, 32, 3), np.uint8)
    image[:16] = (255, 0, 0)  # stored: red on top, blue below
    image[16:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    save(tmp_path / "phone.jpg", Image.fromarray(image), exif=exif, quality=95)
    x = load(tmp_path, image_size=16).x[0].int()
    assert x[0, 8, 14] > 200 and x[2, 8, 14] < 60  # red is on the right when upright
    assert x[2, 8, 1] > 200 and x[0, 8, 1] < 60


def test_bad_files_are_skipped_counted_and_named_once(tmp_path):
    save(tmp_path / "good1.png", noise(1))
    save(tmp_path / "good2.jpg", noise(2))
    data = save(tmp_path / "whole.png", noise(3, 64)).read_bytes()
    (tmp_path / "truncated.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.jpg").write_text("this is not a jpeg")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "whole.png").unlink()
    with pytest.warns(UserWarning, match="skipped 3 unreadable") as caught:
        data = load(tmp_path)
    assert len([w for w in caught if "unreadable" in str(w.message)]) == 1
    assert len(data) == 2 and data.report.count == 2 and data.report.skipped == 3
    named = " ".join(data.report.skipped_examples)
    assert all(name in named for name in ("truncated.png", "text.jpg", "empty.png"))


def test_folders_without_readable_images_and_missing_paths(tmp_path):
    with pytest.raises(DataError, match="no images"):
        load(tmp_path)
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(DataError, match="no images"):
        load(tmp_path)
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "junk.jpg").write_bytes(b"\x00" * 100)
    with pytest.raises(DataError, match="no readable image"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load(tmp_path)
    with pytest.raises(DataError, match="nowhere"):
        load(tmp_path / "nowhere")
    with pytest.raises(DataError, match="not found"):
        load_image_folder(tmp_path / "nowhere", DataConfig(), 16)


def test_first_level_subfolders_are_labels(tmp_path):
    save(tmp_path / "dogs" / "1.png", solid((0, 0, 200)))
    save(tmp_path / "cats" / "1.png", solid((200, 0, 0)))
    save(tmp_path / "cats" / "old" / "2.png", solid((201, 0, 0)))
    save(tmp_path / "empty_class" / "readme.txt", solid((0, 0, 0)), format="PNG")
    data = load(tmp_path)
    assert data.class_names == ["cats", "dogs"] and data.spec.num_classes == 2
    red = data.x[:, 0, 8, 8] > 100
    assert data.y[red].tolist() == [0, 0] and data.y[~red].tolist() == [1]

    save(tmp_path / "loose.png", solid((9, 9, 9)))  # an image at the top: no labels
    assert load(tmp_path).y is None and load(tmp_path).class_names == []
    single = tmp_path / "cats"  # one subfolder ("old") plus top-level files: no labels
    assert load(single).y is None


def test_random_crop_stores_larger_and_crops_per_batch(tmp_path):
    for i in range(4):
        save(tmp_path / f"{i}.png", noise(i, 40))
    data = load(tmp_path, image_size=16, crop="random", flip=True)
    assert data.x.shape[-1] == 18 and data.spec.shape == (3, 16, 16)
    batch = data.get(torch.arange(4), torch.Generator().manual_seed(0))
    assert batch.x.shape == (4, 3, 16, 16) and batch.x.min() >= -1 and batch.x.max() <= 1


def _folder_of_ids(root: Path, n: int) -> None:
    for i in range(n):  # the red channel of each image is its id
        save(root / ("a" if i % 2 else "b") / f"{i:03d}.png", solid((i * 4, 50, 50)))


def test_held_out_split_is_disjoint_stable_and_complete(tmp_path):
    _folder_of_ids(tmp_path, 60)

    def ids(**options):
        return set((load(tmp_path, 8, **options).x[:, 0, 4, 4] // 4).tolist())

    train, test = ids(held_out_fraction=0.25), ids(held_out_fraction=0.25, split="test")
    assert train.isdisjoint(test) and train | test == set(range(60))
    assert 5 <= len(test) <= 25
    assert ids(held_out_fraction=0.25, split="test") == test
    test_data = load(tmp_path, 8, held_out_fraction=0.25, split="test")
    assert test_data.class_names == ["a", "b"]  # the same labels on both sides
    with pytest.raises(DataError, match="held_out_fraction"):
        load(tmp_path, 8, split="test")


def test_limit_keeps_a_nested_mixed_subset(tmp_path):
    _folder_of_ids(tmp_path, 40)
    small, larger = load(tmp_path, 8, limit=6), load(tmp_path, 8, limit=12)
    assert len(small) == 6 and len(larger) == 12
    assert set(small.x[:, 0, 4, 4].tolist()) <= set(larger.x[:, 0, 4, 4].tolist())
    assert set(small.y.tolist()) == {0, 1}  # not just the first class folder


@pytest.fixture
def no_room_for_a_store(monkeypatch):
    """The memory-map cache has no room: folders over the memory limit stream instead."""
    monkeypatch.setattr(uint8_store, "FREE_SPACE_MARGIN", 2**62)


def test_streaming_gives_the_same_batches_as_in_memory(tmp_path, no_room_for_a_store):
    for i in range(10):
        save(tmp_path / ("x" if i < 5 else "y") / f"{i}.png", noise(i, 30))
    options = dict(image_size=16, crop="random", flip=True)
    memory = load(tmp_path, **options)
    stream = load(tmp_path, in_memory_limit_mb=0, **options)
    assert isinstance(stream, StreamingImageFolder)
    assert any("not cached as a memory map" in note for note in stream.report.notes)
    assert len(stream) == len(memory) and stream.spec == memory.spec and stream.kind == "image"
    assert stream.class_names == memory.class_names
    indices = torch.tensor([3, 0, 9, 9, 5])
    stream.prefetch(torch.tensor([1, 2]))  # a batch fetched ahead is used when asked for
    for k, batch_indices in enumerate([indices, torch.tensor([1, 2])]):
        a = memory.get(batch_indices, torch.Generator().manual_seed(k))
        b = stream.get(batch_indices, torch.Generator().manual_seed(k))
        assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert stream.to("cpu") is stream


def test_batch_stream_decodes_ahead_and_matches_in_memory(tmp_path, no_room_for_a_store):
    for i in range(10):
        save(tmp_path / f"{i}.png", noise(i, 30))
    options = dict(image_size=16, crop="random", flip=True)
    memory, stream = load(tmp_path, **options), load(tmp_path, in_memory_limit_mb=0, **options)
    from_memory, from_files = BatchStream(memory, 4, seed=3), BatchStream(stream, 4, seed=3)
    for k in range(5):  # more than an epoch
        a, b = from_memory.next(), from_files.next()
        assert torch.equal(a.x, b.x)
        ahead = {tuple(from_files.order.indices(k + j).tolist()) for j in (1, 2)}
        assert ahead <= set(stream._pending)  # the next two batches are already decoding


def test_streaming_counts_bad_files_and_keeps_the_batch_size(tmp_path, no_room_for_a_store):
    for i in range(3):
        save(tmp_path / f"{i}.png", noise(i))
    data = save(tmp_path / "z.png", noise(9, 64)).read_bytes()
    (tmp_path / "z.png").write_bytes(data[: len(data) // 2])  # header fine, data cut short
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.warns(UserWarning, match="empty.png"):
        stream = load(tmp_path, in_memory_limit_mb=0)
    assert len(stream) == 4 and stream.report.skipped == 1  # the empty file, from its header
    with pytest.warns(UserWarning, match="z.png"):
        batch = stream.get(torch.tensor([3, 0]))  # z.png is index 3 of the 4 kept
    assert batch.x.shape == (2, 3, 16, 16) and torch.equal(batch.x[0], batch.x[1])
    assert stream.report.skipped == 2 and stream.report.count == 3
    assert any("z.png" in example for example in stream.report.skipped_examples)
