"""Memorization: nearest neighbours (known answers, blocked = brute force), the calibrated
threshold, a planted copy found, the pair sheet."""

import numpy as np
import pytest
import torch

from artgan.errors import DataError
from artgan.metrics import memorization as mem


def brute_force(q: torch.Tensor, r: torch.Tensor):
    d = torch.cdist(q.double(), r.double())  # (N, M)
    return d.min(dim=1)


def test_nearest_neighbours_known_answer():
    reference = torch.tensor([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]])
    query = torch.tensor([[0.1, 0.0], [3.0, 4.0], [9.0, 0.0], [6.0, 8.0]])
    nn = mem.nearest_neighbours(query, reference)
    assert nn.index.tolist() == [0, 1, 2, 1]
    np.testing.assert_allclose(nn.distance.numpy(), [0.1, 0.0, 1.0, 5.0], atol=1e-9)


@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8])
def test_blocked_search_equals_brute_force(monkeypatch, dtype):
    monkeypatch.setattr(mem, "BLOCK_ELEMENTS", 7 * 5)  # blocks of 5 rows of 7 values
    g = torch.Generator().manual_seed(0)
    q = (torch.rand(23, 7, generator=g) * 255).to(dtype)
    r = (torch.rand(31, 7, generator=g) * 255).to(dtype)
    nn = mem.nearest_neighbours(q, r)
    expected = brute_force(q, r)
    np.testing.assert_allclose(nn.distance.numpy(), expected.values.numpy(), rtol=1e-9)
    assert torch.equal(nn.index, expected.indices)


def test_threshold_is_the_held_out_quantile_of_nearest_distances():
    train = torch.zeros(5, 1)
    held_out = torch.arange(1, 101, dtype=torch.float64)[:, None]  # distances 1..100 to 0
    assert mem.calibrate_threshold(train, held_out, quantile=0.0) == 1.0
    assert mem.calibrate_threshold(train, held_out, quantile=0.5) == pytest.approx(50.5)


def test_a_planted_copy_is_found_and_rated():
    g = torch.Generator().manual_seed(1)
    train = torch.randn(200, 16, generator=g)
    held_out = torch.randn(100, 16, generator=g)
    fake = torch.randn(50, 16, generator=g)
    fake[7] = train[42]  # an exact copy
    fake[9] = train[3] + 1e-3  # a near copy
    report = mem.analyse(fake, train, held_out, quantile=0.01)
    assert report.nearest.index[7] == 42 and report.nearest.index[9] == 3
    assert report.nearest.distance[7] == pytest.approx(0.0, abs=1e-6)
    assert report.rate == pytest.approx(2 / 50)  # new Gaussian draws are never that close
    assert report.held_out_rate == pytest.approx(0.01)
    assert mem.closest_pairs(report, 2)[0][:2] == (7, 42)
    assert {p[0] for p in mem.closest_pairs(report, 2)} == {7, 9}


def test_pixel_rows_measure_rms_levels():
    a = torch.zeros(1, 1, 4, 4, dtype=torch.uint8)
    b = torch.full((1, 1, 4, 4), 10, dtype=torch.uint8)
    (ra, scale), (rb, _) = mem.pixel_rows(a), mem.pixel_rows(b)
    assert mem.nearest_neighbours(ra, rb).distance[0] / scale == pytest.approx(10.0)
    with pytest.raises(DataError, match="uint8"):
        mem.pixel_rows(a.float())


def test_pair_sheet_puts_generated_above_training():
    fake = torch.zeros(3, 1, 4, 4, dtype=torch.uint8)
    train = torch.full((5, 1, 4, 4), 255, dtype=torch.uint8)
    sheet = mem.pair_sheet(fake, train, [(0, 4, 0.0), (2, 1, 1.0), (1, 0, 2.0)], columns=2)
    # 2 pairs of rows (4 rows of tiles) by 2 columns, 2-pixel padding: (4 * 6 + 2, 2 * 6 + 2).
    assert sheet.shape == (26, 14, 1)
    assert sheet[2:6, 2:6].max() == 0  # first generated tile, black
    assert sheet[8:12, 2:6].min() == 255  # its training neighbour, white


def test_bad_inputs_are_one_line_errors():
    with pytest.raises(DataError, match="dimension"):
        mem.nearest_neighbours(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(DataError, match="2-D"):
        mem.nearest_neighbours(torch.zeros(3), torch.zeros(2, 3))
    with pytest.raises(DataError, match="NaN"):
        mem.nearest_neighbours(torch.full((1, 2), float("nan")), torch.zeros(2, 2))
    with pytest.raises(DataError, match="quantile"):
        mem.calibrate_threshold(torch.zeros(2, 2), torch.zeros(2, 2), quantile=1.5)
