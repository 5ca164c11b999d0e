"""The originality guard: a calibrated near-copy threshold, planted copies rejected and
redrawn, and the guard's verdict in every file's record."""

import numpy as np
import pytest
import torch

from artgan.errors import DataError
from artgan.originality import (
    MAX_ROUNDS,
    REDRAW_SEED_STRIDE,
    calibrate,
    guard_params,
    guarded_sample,
)


def images(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 1, 8, 8), generator=g, dtype=torch.uint8)


@pytest.fixture
def guard():
    train, held = images(40, 0), images(20, 1)
    return calibrate(train, held, quantile=0.05, held_out_kind="test")


def test_threshold_is_the_held_out_quantile_in_rms_levels(guard):
    train, held = images(40, 0), images(20, 1)
    d = torch.cdist(held.flatten(1).double(), train.flatten(1).double()).min(dim=1).values
    expected = np.quantile(d.numpy(), 0.05) / 8.0  # 64 pixels: RMS = distance / sqrt(64)
    assert guard.threshold == pytest.approx(expected)
    distance, index = guard.distances(train[[3, 7]])
    assert torch.equal(index, torch.tensor([3, 7])) and torch.all(distance == 0)


def test_planted_copies_are_rejected_and_redrawn(guard):
    calls = []

    def draw(seed: int) -> torch.Tensor:
        calls.append(seed)
        batch = images(4, 100 + seed)
        if seed == 7:  # the first draw plants two training images, one slightly edited
            batch[1] = guard.train[5]
            batch[3] = guard.train[9].clamp(max=250) + 2
        return batch

    slots, rejected = guarded_sample(draw, 4, 7, guard)
    assert rejected == 2 and calls == [7, 7 + REDRAW_SEED_STRIDE]
    assert [s.redraws for s in slots] == [0, 1, 0, 1]
    assert all(s.distance > guard.threshold for s in slots)
    assert torch.equal(slots[1].image, images(4, 100 + 7 + REDRAW_SEED_STRIDE)[1])
    params = guard_params(guard, slots[1])["originality_guard"]
    assert params["ran"] and params["redraws"] == 1 and params["distance"] > params["threshold"]
    assert params["drawn_with_seed"] == 7 + REDRAW_SEED_STRIDE and params["batch_index"] == 1


def test_a_model_that_only_copies_gives_up_after_the_last_round(guard):
    slots, rejected = guarded_sample(lambda seed: guard.train[:3].clone(), 3, 0, guard)
    assert slots == [None, None, None] and rejected == 3 * (MAX_ROUNDS + 1)


def test_shape_mismatch_is_a_clear_error(guard):
    with pytest.raises(DataError, match="differ in shape"):
        guard.distances(torch.zeros((1, 3, 8, 8), dtype=torch.uint8))
