"""Streaming statistics: GaussianStats equals the one-shot fit; FeatureBank samples uniformly."""

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from artgan.errors import DataError
from artgan.metrics import FeatureBank, GaussianStats, fid_from_features, gaussian_stats


def test_gaussian_stats_in_batches_and_merged_equal_the_one_shot_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 6)) * [1, 2, 3, 4, 5, 6] + 10.0  # offset mean: cancellation test
    mu, cov = gaussian_stats(x)
    streamed = GaussianStats(6)
    for batch in np.array_split(x, 7):
        streamed.update(batch)
    parts = [GaussianStats(6).update(p) for p in np.array_split(x, 3)]
    merged = parts[0].merge(parts[1]).merge(parts[2])
    for stats in (streamed, merged):
        assert stats.count == 1000
        np.testing.assert_allclose(stats.mean, mu, rtol=1e-12)
        np.testing.assert_allclose(stats.cov, cov, rtol=1e-9, atol=1e-12)


def test_fid_from_stats_equals_fid_from_features():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(400, 5)), rng.normal(size=(300, 5)) + 0.2
    sa, sb = GaussianStats(5).update(torch.from_numpy(a)), GaussianStats(5).update(b)
    assert sa.frechet_distance(sb) == pytest.approx(fid_from_features(a, b), rel=1e-9)


def test_gaussian_stats_round_trip_through_safetensors(tmp_path):
    stats = GaussianStats(4).update(np.random.default_rng(2).normal(size=(50, 4)))
    save_file(stats.state_dict(), tmp_path / "stats.safetensors")
    loaded = GaussianStats.from_state_dict(load_file(tmp_path / "stats.safetensors"))
    assert loaded.count == 50
    np.testing.assert_array_equal(loaded.cov, stats.cov)
    with pytest.raises(DataError, match="recompute"):
        GaussianStats.from_state_dict({"sum": torch.zeros(4)})


def test_gaussian_stats_reject_bad_input():
    stats = GaussianStats(3)
    with pytest.raises(DataError, match=r"\(N, 3\)"):
        stats.update(np.zeros((5, 4)))
    with pytest.raises(DataError, match="NaN"):
        stats.update(np.full((2, 3), np.nan))
    with pytest.raises(DataError, match="at least 2"):
        stats.update(np.zeros((1, 3))).cov  # noqa: B018


def _all_reduce_worker(rank: int, world: int, init_file: str, queue) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    x = torch.arange(rank * 20.0, rank * 20.0 + 20.0, dtype=torch.float64).view(10, 2) ** 1.5
    stats = GaussianStats(2).update(x).all_reduce()
    queue.put((rank, stats.count, stats.mean.tolist(), stats.cov.tolist()))
    dist.destroy_process_group()


@pytest.mark.slow
def test_all_reduce_across_two_processes_equals_the_pooled_fit(tmp_path):
    ctx = torch.multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_all_reduce_worker, args=(r, 2, str(tmp_path / "init"), queue))
        for r in range(2)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    pooled = (torch.arange(0.0, 40.0, dtype=torch.float64).view(20, 2) ** 1.5).numpy()
    mu, cov = gaussian_stats(pooled)
    for _, count, mean, c in results:
        assert count == 20
        np.testing.assert_allclose(mean, mu, rtol=1e-12)
        np.testing.assert_allclose(c, cov, rtol=1e-10)


def test_feature_bank_keeps_everything_until_full_then_counts_what_it_drops():
    bank = FeatureBank(capacity=100)
    bank.update(torch.arange(60.0).view(30, 2))
    assert bank.features.shape == (30, 2) and bank.dropped == 0
    assert torch.equal(bank.features, torch.arange(60.0).view(30, 2))
    bank.update(torch.arange(400.0).view(200, 2))
    assert bank.features.shape == (100, 2) and bank.seen == 230 and bank.dropped == 130


def test_feature_bank_is_a_uniform_sample_of_an_ordered_stream():
    # A stream sorted by value: a "keep the first rows" bank would only hold small values.
    n, capacity, trials = 1000, 100, 200
    counts = np.zeros(n)
    for seed in range(trials):
        bank = FeatureBank(capacity, seed=seed)
        for start in range(0, n, 64):
            bank.update(torch.arange(start, min(n, start + 64), dtype=torch.float32)[:, None])
        kept = bank.features[:, 0].long().numpy()
        assert len(np.unique(kept)) == capacity  # no row stored twice
        counts[kept] += 1
    # Each row is kept with probability capacity / n = 0.1; compare tenths of the stream.
    per_tenth = counts.reshape(10, -1).sum(axis=1) / (trials * capacity)
    np.testing.assert_allclose(per_tenth, 0.1, atol=0.01)  # ~5 standard errors
    assert FeatureBank(capacity, seed=3).update(torch.ones(5, 2)).features.shape == (5, 2)
