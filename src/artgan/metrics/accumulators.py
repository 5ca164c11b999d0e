"""Streaming accumulators, so evaluation never has to hold every feature at once.

``GaussianStats`` keeps the sufficient statistics of a Gaussian fit (count, sum, sum of outer
products, all float64): batches are added as they come, partial results from several processes
merge by plain addition (one ``torch.distributed.all_reduce``), and the mean and covariance come
out at the end for the Fréchet distance (Heusel et al. 2017).

``FeatureBank`` keeps a bounded, uniformly drawn sample of a feature stream (reservoir sampling,
Vitter 1985, algorithm R) for the k-NN metrics, which need the features themselves.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist

from ..errors import DataError
from .functional import frechet_distance


def _as_rows(
    features, dim: int | None, device: torch.device, dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    t = features if isinstance(features, torch.Tensor) else torch.from_numpy(np.asarray(features))
    if t.ndim != 2 or (dim is not None and t.shape[1] != dim):
        want = f"(N, {dim})" if dim is not None else "(N, D)"
        raise DataError(f"features must have shape {want}, got {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise DataError("features contain NaN or infinite values; check the images they came from")
    return t.detach().to(device=device, dtype=dtype)


class GaussianStats:
    """Running count, sum (D,) and sum of outer products (D, D) of feature rows, in float64.

    The covariance comes from raw sums, cov = (S - n mu mu^T) / (n - 1). In float64 this loses
    nothing measurable for network features (values of order 1-10, up to millions of rows), and
    unlike a running-mean update it stays a plain sum that all-reduce can combine.
    """

    def __init__(self, dim: int, device: str | torch.device = "cpu"):
        if dim < 1:
            raise DataError(f"feature dimension must be positive, got {dim}")
        self.dim = dim
        self.device = torch.device(device)
        self.count = 0
        self.sum = torch.zeros(dim, dtype=torch.float64, device=self.device)
        self.outer = torch.zeros(dim, dim, dtype=torch.float64, device=self.device)

    def update(self, features) -> GaussianStats:
        x = _as_rows(features, self.dim, self.device)  # (N, D)
        self.count += len(x)
        self.sum += x.sum(dim=0)
        self.outer += x.T @ x
        return self

    def merge(self, other: GaussianStats) -> GaussianStats:
        if other.dim != self.dim:
            raise DataError(f"cannot merge statistics of dimension {other.dim} into {self.dim}")
        self.count += other.count
        self.sum += other.sum.to(self.device)
        self.outer += other.outer.to(self.device)
        return self

    def all_reduce(self, group=None) -> GaussianStats:
        """Sum the statistics of every process in place (torch.distributed must be initialised;
        with NCCL, build the stats on each rank's GPU)."""
        # One flat buffer (count, sum, outer) so the whole exchange is a single collective.
        flat = torch.cat(
            [
                torch.tensor([float(self.count)], dtype=torch.float64, device=self.device),
                self.sum,
                self.outer.flatten(),
            ]
        )
        dist.all_reduce(flat, op=dist.ReduceOp.SUM, group=group)
        self.count = int(round(flat[0].item()))  # exact: float64 holds integers below 2^53
        self.sum.copy_(flat[1 : 1 + self.dim])
        self.outer.copy_(flat[1 + self.dim :].view(self.dim, self.dim))  # (D, D)
        return self

    def _need(self, n: int) -> None:
        if self.count < n:
            raise DataError(f"Gaussian statistics need at least {n} samples, have {self.count}")

    @property
    def mean(self) -> np.ndarray:
        """(D,) float64."""
        self._need(1)
        return (self.sum / self.count).cpu().numpy()

    @property
    def cov(self) -> np.ndarray:
        """(D, D) float64 unbiased covariance (divides by n - 1, like numpy.cov)."""
        self._need(2)
        mu = self.sum / self.count
        cov = (self.outer - self.count * torch.outer(mu, mu)) / (self.count - 1)
        return cov.cpu().numpy()

    def frechet_distance(self, other: GaussianStats) -> float:
        return frechet_distance(self.mean, self.cov, other.mean, other.cov)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Tensors to save (e.g. with safetensors) and reload with ``from_state_dict``."""
        return {
            "count": torch.tensor([self.count], dtype=torch.int64),
            "sum": self.sum.cpu(),
            "outer": self.outer.cpu(),
        }

    @classmethod
    def from_state_dict(
        cls, state: dict[str, torch.Tensor], device: str | torch.device = "cpu"
    ) -> GaussianStats:
        try:
            dim = state["sum"].shape[0]
            stats = cls(dim, device)
            stats.count = int(state["count"].reshape(-1)[0])
            stats.sum.copy_(state["sum"])
            stats.outer.copy_(state["outer"].reshape(dim, dim))
        except (KeyError, IndexError, RuntimeError) as err:
            raise DataError(f"not saved Gaussian statistics ({err}); recompute them") from None
        return stats


class FeatureBank:
    """A uniform random sample of at most ``capacity`` rows from a stream of feature batches.

    Until the bank is full it holds every row in arrival order. After that row t (0-based)
    replaces a random slot with probability capacity / (t + 1), so every row seen so far is kept
    with equal probability whatever order the stream has (e.g. a dataset sorted by class).
    ``dropped`` counts the rows not kept, to be reported with any metric computed from the bank.
    """

    def __init__(self, capacity: int, seed: int = 0):
        if capacity < 1:
            raise DataError(f"feature bank capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self.seen = 0
        self._rows: torch.Tensor | None = None  # (capacity, D) float32 on the CPU
        self._rng = np.random.default_rng(seed)

    def update(self, features) -> FeatureBank:
        dim = None if self._rows is None else self._rows.shape[1]
        x = _as_rows(features, dim, torch.device("cpu"), torch.float32)
        if self._rows is None:
            self._rows = torch.empty(self.capacity, x.shape[1], dtype=torch.float32)
        fill = min(len(x), max(0, self.capacity - self.seen))
        self._rows[self.seen : self.seen + fill] = x[:fill]
        rest = x[fill:]
        if len(rest):
            # Algorithm R, vectorised: row t draws a slot uniformly from [0, t].
            t = np.arange(self.seen + fill, self.seen + len(x))
            slots = self._rng.integers(0, t + 1)
            keep = slots < self.capacity
            # Where several rows of this batch hit one slot, the last one wins, as it would
            # sequentially.
            rows_kept, slots_kept = np.flatnonzero(keep), slots[keep]
            _, last = np.unique(slots_kept[::-1], return_index=True)
            chosen = len(slots_kept) - 1 - last
            self._rows[torch.from_numpy(slots_kept[chosen])] = rest[
                torch.from_numpy(rows_kept[chosen])
            ]
        self.seen += len(x)
        return self

    @property
    def features(self) -> torch.Tensor:
        """(min(seen, capacity), D) float32."""
        if self._rows is None:
            raise DataError("the feature bank is empty")
        return self._rows[: min(self.seen, self.capacity)]

    @property
    def dropped(self) -> int:
        return max(0, self.seen - self.capacity)
