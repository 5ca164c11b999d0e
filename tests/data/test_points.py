"""2-D mixtures (ring8, grid25) and user point files."""

import math

import numpy as np
import pytest
import torch

from artgan.config import DataConfig
from artgan.data import is_point_source, load_dataset
from artgan.data.points import grid25_means, mixture_points, ring8_means
from artgan.errors import DataError


def test_mixture_means():
    ring = ring8_means()
    assert ring.shape == (8, 2) and np.allclose(np.linalg.norm(ring, axis=1), 1.0)
    assert np.allclose(ring[2], [0.0, 1.0]) and np.allclose(ring[1], [math.sqrt(0.5)] * 2)
    grid = grid25_means()
    assert grid.shape == (25, 2) and sorted(set(grid[:, 0])) == [-4, -2, 0, 2, 4]
    assert len({tuple(m) for m in grid}) == 25


@pytest.mark.parametrize(
    "name, means, std", [("ring8", ring8_means(), 0.01), ("grid25", grid25_means(), 0.05)]
)
def test_mixture_samples(name, means, std):
    points, labels = mixture_points(name, 20_000, seed=0)
    offsets = points - means[labels]
    assert abs(offsets.std() - std) < 0.05 * std and abs(offsets.mean()) < 0.05 * std
    assert np.bincount(labels, minlength=len(means)).min() > 0.8 * 20_000 / len(means)


def test_mixture_datasets_are_deterministic_and_split():
    a = load_dataset(DataConfig(source="ring8", size=100, seed=2))
    assert a.kind == "points" and a.x.shape == (100, 2) and a.spec.shape == (2,)
    assert torch.equal(a.x, load_dataset(DataConfig(source="ring8", size=100, seed=2)).x)
    test = load_dataset(DataConfig(source="ring8", size=100, seed=2, split="test"))
    assert not torch.equal(a.x, test.x)
    assert len(load_dataset(DataConfig(source="grid25"))) == 100_000  # the default size
    assert is_point_source("ring8") and is_point_source("x/y.CSV")
    assert not is_point_source("art")


def test_npy_and_csv_files(tmp_path):
    array = np.arange(12, dtype=np.float64).reshape(6, 2)
    np.save(tmp_path / "p.npy", array)
    (tmp_path / "p.csv").write_text("\n".join(f"{a},{b}" for a, b in array))
    (tmp_path / "h.csv").write_text("x,y\n" + "\n".join(f"{a},{b}" for a, b in array))
    for name in ("p.npy", "p.csv", "h.csv"):
        data = load_dataset(DataConfig(source=str(tmp_path / name)))
        assert data.x.dtype == torch.float32 and np.array_equal(data.x.numpy(), array), name
        assert data.report.skipped == 0 and data.y is None
    assert len(load_dataset(DataConfig(source=str(tmp_path / "p.npy"), limit=4))) == 4


def test_rows_with_nan_are_skipped_and_counted(tmp_path):
    (tmp_path / "p.csv").write_text("1,2\nnan,3\n4,5\n6,inf\n7,8\n")
    data = load_dataset(DataConfig(source=str(tmp_path / "p.csv")))
    assert data.x.tolist() == [[1, 2], [4, 5], [7, 8]]
    assert data.report.skipped == 2 and "2 rows" in data.report.notes[0]


def test_bad_point_files_are_data_errors(tmp_path):
    (tmp_path / "words.csv").write_text("a,b\nc,d\ne,f\n")
    np.save(tmp_path / "flat.npy", np.arange(5.0))
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, None]), allow_pickle=True)
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    for name in ("words.csv", "flat.npy", "objects.npy", "junk.npy"):
        with pytest.raises(DataError, match=name):
            load_dataset(DataConfig(source=str(tmp_path / name)))
