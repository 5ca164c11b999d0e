"""Training logs: one JSON line per logged step, a loss-curve PNG, optional TensorBoard.

Reading is tolerant: a line that is not a JSON object (the torn last line a power cut leaves) is
skipped and counted, never a crash. The truncation a resume does writes a new file and renames
it, so a kill during it leaves the old log or the new one, never a shorter one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .atomic import atomic_write_bytes, atomic_write_text


def read_log(path: Path) -> tuple[list[dict], int]:
    """The entries of a ``log.jsonl`` and how many damaged lines were skipped."""
    path = Path(path)
    if not path.is_file():
        return [], 0
    entries, skipped = [], 0
    for line in path.read_bytes().decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if isinstance(entry, dict) and isinstance(entry.get("step", 0), int):
            entries.append(entry)
        else:
            skipped += 1
    return entries, skipped


class TrainingLog:
    def __init__(self, run_dir: Path, enabled: bool, tensorboard: bool):
        self.path = run_dir / "log.jsonl"
        self.enabled = enabled
        self.skipped = 0  # damaged lines the last read() left out
        self.writer = None
        if enabled and tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(str(run_dir / "tensorboard"))
            except ImportError:  # tensorboard is optional
                self.writer = None

    def truncate_after(self, step: int) -> None:
        """On resume, forget lines logged after the checkpoint (they will be redone), and any
        torn line (said once); a new file is written and renamed over the old one."""
        if not self.enabled or not self.path.is_file():
            return
        entries, skipped = read_log(self.path)
        if skipped:
            print(
                f"artgan: {self.path}: skipped {skipped} damaged line(s) (an interrupted write)",
                file=sys.stderr,
            )
        kept = [entry for entry in entries if entry.get("step", 0) <= step]
        atomic_write_text(self.path, "".join(json.dumps(entry) + "\n" for entry in kept))

    def write(self, step: int, values: dict[str, float]) -> None:
        if not self.enabled:
            return
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"step": step, **values}) + "\n")
        if self.writer is not None:
            for key, value in values.items():
                self.writer.add_scalar(key, value, step)

    def read(self) -> list[dict]:
        """The logged entries; ``self.skipped`` counts damaged lines left out."""
        entries, self.skipped = read_log(self.path)
        return entries

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
    # ADA's augmentation strength p and overfitting signal r_t are not losses: own axis, dashed.
    ada_ax = ax.twinx() if any(k.startswith("ada_") for k in keys) else None
    for i, key in enumerate(keys):
        target = ada_ax if key.startswith("ada_") else ax
        style = "--" if target is ada_ax else "-"
        points = [(e["step"], e[key]) for e in entries if key in e]
        steps, values = (np.array(v, dtype=float) for v in zip(*points))
        window = max(1, len(values) // 50)
        smooth = np.convolve(values, np.ones(window) / window, mode="valid")
        color = f"C{i % 10}"
        target.plot(steps[window - 1 :], smooth, style, label=key, color=color)
        target.plot(steps, values, style, alpha=0.2, color=color, linewidth=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if ada_ax is not None:
        ada_ax.set_ylabel("ADA p, r_t (dashed)")
        ada_ax.set_ylim(-1.05, 1.05)
        more = ada_ax.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return path
