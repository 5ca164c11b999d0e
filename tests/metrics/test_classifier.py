"""The classifier:<dataset> extractor: trained once on labelled data, cached by content, reused
offline, stable features, softmax for the IS-style score; clear errors for unlabelled data."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from artgan.errors import ConfigError, DataError
from artgan.metrics import get_extractor
from artgan.metrics.extractors import classifier
from artgan.registry import FEATURES


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(classifier, "STEPS", 40)
    monkeypatch.setattr(classifier, "BATCH", 32)
    return tmp_path / "cache"


def shapes_folder(root, n=12, offset=0):
    """Two classes: dark squares and bright discs on grey, 16 px."""
    rng = np.random.default_rng(offset)
    yy, xx = np.mgrid[:16, :16]
    for k in range(n):
        for name in ("squares", "discs"):
            image = np.full((16, 16, 3), 128, np.uint8)
            c = rng.integers(5, 11, size=2)
            if name == "squares":
                image[c[0] - 3 : c[0] + 3, c[1] - 3 : c[1] + 3] = 20
            else:
                image[(yy - c[0]) ** 2 + (xx - c[1]) ** 2 < 12] = 240
            (root / name).mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(root / name / f"{k + offset}.png")
    return root


def test_registered_and_needs_a_dataset():
    assert "classifier" in FEATURES.names()
    with pytest.raises(ConfigError, match="classifier:<dataset>"):
        get_extractor("classifier")


def test_trains_once_then_loads_from_the_cache(cache, monkeypatch, capsys):
    first = get_extractor("classifier:digits")
    assert "training classifier:digits" in capsys.readouterr().err
    folder = first.folder
    assert folder.parent == cache / "classifiers"
    meta = json.loads((folder / "classifier.json").read_text())
    assert meta["class_names"] == [str(i) for i in range(10)]
    assert meta["channels"] == 1 and meta["steps"] == 40
    assert first.accuracy > 0.5  # 40 steps already beat chance (0.1) by far

    def no_training(*args, **kwargs):
        raise AssertionError("the cached classifier should have been reused")

    monkeypatch.setattr(classifier, "train_classifier", no_training)
    second = get_extractor("classifier:digits")
    assert second.version == first.version and second.folder == folder
    assert capsys.readouterr().err == ""

    # Stable features: same images, same numbers, whatever the batching; grey or RGB input.
    x = torch.randint(0, 256, (5, 1, 32, 32), dtype=torch.uint8)
    a = first(x)
    second.batch_size = 2
    torch.testing.assert_close(second(x), a)
    torch.testing.assert_close(second(x.expand(-1, 3, -1, -1)), a, atol=1e-4, rtol=1e-4)
    assert a.shape == (5, classifier.FEATURE_DIM)
    p = first.probabilities(torch.randint(0, 256, (4, 1, 64, 64), dtype=torch.uint8))
    assert p.shape == (4, 10)
    torch.testing.assert_close(p.sum(1), torch.ones(4))


def test_folder_classes_and_content_keyed_cache(cache, tmp_path):
    root = shapes_folder(tmp_path / "shapes")
    extractor = get_extractor(f"classifier:{root}")
    assert extractor.class_names == ["discs", "squares"] and extractor.channels == 3
    assert extractor.name == f"classifier:{root}"
    shapes_folder(root, n=2, offset=100)  # new images: new data, new classifier
    again = get_extractor(f"classifier:{root}", verbose=False)
    assert again.folder != extractor.folder
    assert len(list((cache / "classifiers").iterdir())) == 2


def test_unlabelled_or_corrupt_cache(cache, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(flat / "a.png")
    with pytest.raises(DataError, match="labelled"):
        get_extractor(f"classifier:{flat}")
    root = shapes_folder(tmp_path / "shapes", n=4)
    extractor = get_extractor(f"classifier:{root}", verbose=False)
    (extractor.folder / "model.safetensors").write_bytes(b"not weights")
    rebuilt = get_extractor(f"classifier:{root}", verbose=False)  # retrained, not a crash
    assert rebuilt.folder == extractor.folder
    assert rebuilt(torch.zeros(1, 3, 32, 32, dtype=torch.uint8)).shape == (1, 128)
