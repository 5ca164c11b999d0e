"""Training logs: one JSON line per logged step, a loss-curve PNG, optional TensorBoard."""

from __future__ import annotations

import json
from pathlib import Path

from .atomic import atomic_write_bytes


class TrainingLog:
    def __init__(self, run_dir: Path, enabled: bool, tensorboard: bool):
        self.path = run_dir / "log.jsonl"
        self.enabled = enabled
        self.writer = None
        if enabled and tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(str(run_dir / "tensorboard"))
            except ImportError:  # tensorboard is optional
                self.writer = None

    def truncate_after(self, step: int) -> None:
        """On resume, forget lines logged after the checkpoint (they will be redone)."""
        if not self.enabled or not self.path.is_file():
            return
        kept = [
            line
            for line in self.path.read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line).get("step", 0) <= step
        ]
        self.path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")

    def write(self, step: int, values: dict[str, float]) -> None:
        if not self.enabled:
            return
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"step": step, **values}) + "\n")
        if self.writer is not None:
            for key, value in values.items():
                self.writer.add_scalar(key, value, step)

    def read(self) -> list[dict]:
        if not self.path.is_file():
            return []
        return [
            json.loads(line)
            for line in self.path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


LOSS_KEYS_SKIPPED = ("lr", "img_per_s", "step")


def plot_loss_curve(entries: list[dict], path: Path) -> Path | None:
    """Plot every loss in ``entries`` against step (a smoothed line over the raw points)."""
    if not entries:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import io

    import matplotlib.pyplot as plt
    import numpy as np

    keys = sorted(
        {k for e in entries for k in e if k not in LOSS_KEYS_SKIPPED and not k.startswith("lr_")}
    )
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    for key in keys:
        points = [(e["step"], e[key]) for e in entries if key in e]
        steps, values = (np.array(v, dtype=float) for v in zip(*points))
        window = max(1, len(values) // 50)
        smooth = np.convolve(values, np.ones(window) / window, mode="valid")
        line = ax.plot(steps[window - 1 :], smooth, label=key)[0]
        ax.plot(steps, values, alpha=0.2, color=line.get_color(), linewidth=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return path
