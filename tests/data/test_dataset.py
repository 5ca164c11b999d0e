"""The resumable batch order, per-batch crop/flip, and resizing (data/dataset.py)."""

import pytest
import torch

from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.data.dataset import (
    BatchOrder,
    BatchStream,
    DataReport,
    InMemoryDataset,
    random_crop,
    random_flip,
    resize_images,
)
from artgan.errors import DataError


def test_batch_order_is_a_pure_function_of_seed_and_counter():
    a, b = BatchOrder(50, 8, seed=3), BatchOrder(50, 8, seed=3)
    forward = [a.global_indices(k).tolist() for k in range(20)]
    backward = [b.global_indices(k).tolist() for k in reversed(range(20))][::-1]
    assert forward == backward  # any counter can be asked for first: exact resume
    assert forward != [BatchOrder(50, 8, seed=4).global_indices(k).tolist() for k in range(20)]


def test_every_epoch_is_a_permutation():
    order = BatchOrder(12, 4, seed=0)
    stream = torch.cat([order.global_indices(k) for k in range(9)])  # three epochs
    for epoch in stream.view(3, 12):
        assert sorted(epoch.tolist()) == list(range(12))
    assert not torch.equal(stream[:12], stream[12:24])  # reshuffled each epoch
    tail = BatchOrder(10, 4, seed=0)  # batches straddle the epoch boundary
    assert sorted(torch.cat([tail.global_indices(k) for k in range(5)]).tolist()) == sorted(
        list(range(10)) * 2
    )


@pytest.mark.parametrize("world", [2, 4])
def test_rank_slices_partition_the_global_batch(world):
    ranks = [BatchOrder(37, 8, seed=1, rank=r, world=world) for r in range(world)]
    for k in range(10):
        glob = ranks[0].global_indices(k)
        slices = [order.indices(k) for order in ranks]
        assert sum(len(s) for s in slices) == 8
        assert sorted(torch.cat(slices).tolist()) == sorted(glob.tolist())
        assert all(torch.equal(s, glob[r::world]) for r, s in enumerate(slices))
    generators = [order.augment_generator(0).initial_seed() for order in ranks]
    assert len(set(generators)) == world  # each rank draws its own crops and flips


def test_batch_order_rejects_empty_data():
    with pytest.raises(ValueError):
        BatchOrder(0, 4, seed=0)


def test_stream_resumes_exactly():
    x = torch.randint(0, 256, (20, 3, 10, 10), dtype=torch.uint8)
    data = InMemoryDataset(x, torch.arange(20), flip=True, crop_size=8)
    first = BatchStream(data, 6, seed=5)
    batches = [first.next() for _ in range(7)]
    resumed = BatchStream(data, 6, seed=5, position=4)
    for expected in batches[4:]:
        got = resumed.next()
        assert torch.equal(got.x, expected.x) and torch.equal(got.y, expected.y)


def test_get_scales_images_to_plus_minus_one():
    x = torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1).expand(2, 1, 4, 4)
    batch = InMemoryDataset(x.contiguous()).get(torch.tensor([1, 0]))
    assert batch.x[:, 0, 0, 0].tolist() == [1.0, -1.0] and batch.y is None
    points = InMemoryDataset(torch.randn(5, 2))
    assert points.kind == "points" and points.spec.shape == (2,)
    assert torch.equal(points.get(torch.tensor([2])).x, points.x[2:3])


def test_random_crop_takes_windows_of_the_image():
    x = torch.arange(2 * 6 * 6, dtype=torch.float32).view(2, 1, 6, 6)
    crops = random_crop(x, 4, torch.Generator().manual_seed(0))
    assert crops.shape == (2, 1, 4, 4)
    for image, crop in zip(x, crops):
        windows = [image[:, t : t + 4, l : l + 4] for t in range(3) for l in range(3)]
        assert any(torch.equal(crop, w) for w in windows)


def test_random_flip_flips_some_items_horizontally():
    x = torch.arange(16 * 3, dtype=torch.float32).view(16, 1, 1, 3)
    flipped = random_flip(x, torch.Generator().manual_seed(0))
    same = [torch.equal(a, b) for a, b in zip(x, flipped)]
    mirrored = [torch.equal(a.flip(-1), b) for a, b in zip(x, flipped)]
    assert all(s or m for s, m in zip(same, mirrored)) and any(same) and any(mirrored)


def test_resize_images():
    x = torch.full((3, 1, 8, 8), 77, dtype=torch.uint8)
    assert resize_images(x, 8) is x
    y = resize_images(x, 5)
    assert y.shape == (3, 1, 5, 5) and y.dtype == torch.uint8 and (y == 77).all()


def test_report_and_unknown_sources():
    report = DataReport(name="x", count=3, skipped=1, skipped_examples=["a.png"])
    assert report.to_dict()["skipped_examples"] == ["a.png"]
    with pytest.raises(DataError, match="built-in datasets: .*art"):
        load_dataset(DataConfig(source="no-such-dataset"))
