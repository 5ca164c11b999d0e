"""Training logs: one JSON line per logged step, a loss-curve PNG, optional TensorBoard.

Reading is tolerant: a line that is not a JSON object (the torn last line a power cut leaves) is
skipped and counted, never a crash. The truncation a resume does writes a new file and renames
it, so a kill during it leaves the old log or the new one, never a shorter one.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from ..provenance import GenerationRecord, write_diagram
from ..run_folder import Run
from .atomic import atomic_write_bytes, atomic_write_text


def read_log(path: Path) -> tuple[list[dict], int]:
    """The entries of a training log (``Run.log_file``) and how many damaged lines were skipped."""
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


_TOLD = set()  # what this process has said once already


def say_tensorboard_missing() -> None:
    """Once a process: TensorBoard was asked for (the default) and is not installed."""
    if "tensorboard" not in _TOLD:
        _TOLD.add("tensorboard")
        print(
            "artgan: TensorBoard is not installed, so losses go to log.jsonl and loss_curve.png "
            "only (pip install tensorboard for live curves; --train.tensorboard false to not ask)",
            file=sys.stderr,
        )


class TrainingLog:
    def __init__(self, run_dir: Path, enabled: bool, tensorboard: bool):
        run = Run(Path(run_dir))
        self.path = run.log_file
        self.enabled = enabled
        self.skipped = 0  # damaged lines the last read() left out
        self.writer = None
        if enabled and tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(str(run.tensorboard))
            except ImportError:  # tensorboard is optional
                self.writer = None
                say_tensorboard_missing()

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


# Logged but not plotted: rates, timings, the learning-rate factor.
LOSS_KEYS_SKIPPED = ("lr", "img_per_s", "step", "data_s", "step_s", "cpu_s")
D_OUTPUT_PREFIXES = ("d_real", "d_fake")  # D's mean output on real and fake batches (logits)


def loss_curve_panels(entries: list[dict]) -> dict[str, list[tuple[str, str]]]:
    """What the loss curve draws, as (key, legend label) lines per panel: ``losses``;
    ``outputs``, D's real/fake outputs (not losses: a panel of their own); ``ada``, ADA's p and
    r_t (dashed, on their own axis beside the outputs). A component loss equal at every step to
    its phase's total (``d_adv`` when it is D's only term) is one line: ``D_loss (= d_adv)``."""
    keys = sorted(
        {k for e in entries for k in e if k not in LOSS_KEYS_SKIPPED and not k.startswith("lr_")}
    )
    outputs = [k for k in keys if k.startswith(D_OUTPUT_PREFIXES)]
    ada = [k for k in keys if k.startswith("ada_")]
    losses = sorted(
        (k for k in keys if k not in outputs and k not in ada),
        key=lambda k: (not k.endswith("_loss"), k),  # phase totals first
    )
    twins: dict[str, list[str]] = {}  # a line kept -> the keys it stands for too
    for key in losses:
        kept = next((k for k in twins if _same_series(entries, k, key)), None)
        twins.setdefault(kept or key, []).extend([key] if kept else [])
    labels = {k: f"{k} (= {', '.join(same)})" if same else k for k, same in twins.items()}
    return {
        "losses": list(labels.items()),
        "outputs": [(k, k) for k in outputs],
        "ada": [(k, k) for k in ada],
    }


def _same_series(entries: list[dict], a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are logged at the same steps with the same values."""
    pairs = [(e.get(a), e.get(b)) for e in entries if a in e or b in e]
    return all(
        x is not None and y is not None and abs(x - y) <= 1e-6 * (1 + abs(x)) for x, y in pairs
    )


def plot_loss_curve(
    entries: list[dict], path: Path, record: GenerationRecord | None = None
) -> Path | None:
    """Plot the losses against step (a smoothed line over the raw points) in one panel, and D's
    real/fake outputs (with ADA's p and r_t on their own axis) in a second one. With a
    ``record`` the plot is signed through the output point (a diagram: never watermarked)."""
    if not entries:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = loss_curve_panels(entries)
    second = bool(panels["outputs"] or panels["ada"])
    fig, axes = plt.subplots(
        2 if second else 1,
        1,
        figsize=(8, 7 if second else 4.5),
        dpi=100,
        sharex=True,
        squeeze=False,
    )
    ax = axes[0][0]
    colours = iter(f"C{i % 10}" for i in range(1000))
    for key, label in panels["losses"]:
        _draw(ax, entries, key, label, "-", next(colours))
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if second:
        out_ax = axes[1][0]
        for key, label in panels["outputs"]:
            _draw(out_ax, entries, key, label, "-", next(colours))
        out_ax.set_ylabel("D output (mean logit)")
        out_ax.grid(alpha=0.3)
        handles, labels = out_ax.get_legend_handles_labels()
        # ADA's augmentation strength p and overfitting signal r_t: own axis, dashed.
        if panels["ada"]:
            ada_ax = out_ax.twinx()
            for key, label in panels["ada"]:
                _draw(ada_ax, entries, key, label, "--", next(colours))
            ada_ax.set_ylabel("ADA p, r_t (dashed)")
            ada_ax.set_ylim(-1.05, 1.05)
            more = ada_ax.get_legend_handles_labels()
            handles, labels = handles + more[0], labels + more[1]
        out_ax.legend(handles, labels, fontsize=8)
    axes[-1][0].set_xlabel("step")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    if record is not None:
        return write_diagram(Image.open(io.BytesIO(buffer.getvalue())), path, record)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def _draw(ax, entries: list[dict], key: str, label: str, style: str, colour: str) -> None:
    """One series: a smoothed line (labelled) over the faint raw points."""
    points = [(e["step"], e[key]) for e in entries if key in e]
    steps, values = (np.array(v, dtype=float) for v in zip(*points))
    window = max(1, len(values) // 50)
    smooth = np.convolve(values, np.ones(window) / window, mode="valid")
    ax.plot(steps[window - 1 :], smooth, style, label=label, color=colour)
    ax.plot(steps, values, style, alpha=0.2, color=colour, linewidth=0.8)
