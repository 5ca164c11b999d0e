"""Evaluation results on disk and on screen: ``metrics.json`` in the run folder (a JSON list,
one entry appended per evaluation; ``Run.metrics_file``) and the table ``artgan eval`` prints
and the model card shows. Below training and metrics, so both read it."""

from __future__ import annotations

import json
from pathlib import Path

from .config import write_json
from .errors import CheckpointError
from .run_folder import Run


def read_metrics(run_dir: str | Path) -> list[dict]:
    """Every evaluation recorded for the run (oldest first); [] when there is none."""
    path = Run(Path(run_dir)).metrics_file
    if not path.is_file():
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(
            f"{path} is unreadable ({error}); move it away to start anew"
        ) from None
    if not isinstance(entries, list):
        raise CheckpointError(f"{path} is not a list of evaluations; move it away to start anew")
    return entries


def append_metrics(run_dir: str | Path, entry: dict) -> Path:
    """Append ``entry`` to the run's metrics.json (written atomically)."""
    path = Run(Path(run_dir)).metrics_file
    write_json(path, [*read_metrics(run_dir), entry])
    return path


def _num(value: float, digits: int = 4) -> str:
    return f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value:.0f}"


def _mean_std(value: dict, scale: float = 1.0) -> str:
    mean, std = value["mean"] * scale, value["std"] * scale
    if std <= 1e-9 * max(1.0, abs(mean)):  # one subset held every sample: no spread to show
        std = 0.0
    return f"{_num(mean)} ± {_num(std, 2)}"


def _rows(metrics: dict) -> dict[str, str]:
    """Display name -> formatted value, in a fixed order."""
    rows: dict[str, str] = {}
    if "fid" in metrics:
        rows["FID"] = _num(metrics["fid"])
    if "kid" in metrics:
        rows["KID x 1000"] = _mean_std(metrics["kid"], 1000.0)
    for key in ("precision", "recall", "density", "coverage"):
        if key in metrics:
            rows[key] = f"{metrics[key]:.3f}"
    if "is" in metrics:
        rows["IS (this classifier)"] = _mean_std(metrics["is"])
    if "intra_fid" in metrics:
        rows["intra-FID (mean over classes)"] = _num(metrics["intra_fid"]["mean"])
    if "class_accuracy" in metrics:
        rows["class accuracy (asked-for class)"] = f"{metrics['class_accuracy']['accuracy']:.1%}"
    if "classes" in metrics:
        c = metrics["classes"]
        rows["classes found"] = f"{c['covered']}/{c['of']} (KL {c['kl']:.3f})"
    for space in ("features", "pixels"):
        m = metrics.get("memorization", {}).get(space)
        if m:
            rows[f"near-copies ({space})"] = f"{m['rate']:.2%}"
    if "nll" in metrics:
        m = metrics["nll"]
        rows[f"log-likelihood (IWAE k={m['k']})"] = f"{m['iwae_nats']:.2f} ± {m['stderr']:.2f} nats"
    if "bpc" in metrics:
        rows["bits per character"] = f"{metrics['bpc']:.4f}"
    if "fd" in metrics:
        rows["Fréchet distance (log-mel)"] = _num(metrics["fd"])
    if "accuracy" in metrics:  # classifier runs (metrics/classification.py)
        rows["accuracy"] = f"{metrics['accuracy']:.2%}"
        for name, value in metrics.get("per_class", {}).items():
            rows[f"  {name}"] = f"{value:.2%}"
    for key, name in SPEECH_SCORES.items():
        if key in metrics:
            rows[name] = f"{metrics[key]:.3f}"
    return rows


SPEECH_SCORES = {"pesq": "PESQ (wb)", "stoi": "STOI", "segsnr": "segSNR (dB)"}


def format_comparison(comparison: dict) -> list[str]:
    """Denoising: a block per SNR (and all), a row per method, a column per score."""
    lines = []
    for group, methods in comparison.items():
        names = list(next(iter(methods.values())))
        width = max(len(m) for m in methods) + 2
        header = "".join(f"{SPEECH_SCORES.get(n, n):>13}" for n in names)
        lines += ["", f"{'SNR ' + group:<{width}}{header}"]
        for method, scores in methods.items():
            lines.append(f"{method:<{width}}" + "".join(f"{scores[n]:>13.3f}" for n in names))
    return lines


def format_table(entry: dict) -> str:
    """The printed report: a header naming step, extractor and counts, then one row per
    score with the real-vs-real floor beside it."""
    n = entry.get("n", {})
    counts = ", ".join(f"{k} {v}" for k, v in n.items())
    extractor = entry.get("extractor")
    lines = [f"{entry['run']}  step {entry['step']}  ({entry['family']})"]
    data = entry.get("data", {})
    described = [f"data: {data.get('source', '?')}"]
    if data.get("reference"):
        described.append(f"reference: {data['reference']}")
    if entry.get("floor") and data.get("held_out"):
        described.append(f"floor: {data['held_out']} vs reference")
    elif data.get("held_out"):
        described.append(f"measured on: {data['held_out']}")
    lines.append("; ".join(described))
    if extractor:
        version = f" {extractor['version']}" if extractor.get("version") else ""
        lines.append(f"features: {extractor['name']}{version}")
    lines.append(f"samples: {counts}")
    if entry.get("comparison"):
        lines += format_comparison(entry["comparison"])
        lines += [f"note: {note}" for note in entry.get("notes", [])]
        if entry.get("metrics_file"):
            lines.append(f"appended to {entry['metrics_file']}")
        return "\n".join(lines)
    model_rows, floor_rows = _rows(entry["metrics"]), _rows(entry.get("floor", {}))
    width = max([len(k) for k in model_rows] + [6])
    value_width = max([len(v) for v in model_rows.values()] + [5])
    lines.append("")
    lines.append(f"{'metric':<{width}}  {'model':>{value_width}}  floor (real vs real)")
    for key, value in model_rows.items():
        lines.append(f"{key:<{width}}  {value:>{value_width}}  {floor_rows.get(key, 'n/a')}")
    memo = entry["metrics"].get("memorization")
    if memo:
        q = memo["features"]["quantile"]
        lines.append(
            f"(near-copy: closer to a training image than {1 - q:.0%} of held-out images are; "
            f"thresholds {memo['features']['threshold']:.4g} in features, "
            f"{memo['pixels']['threshold']:.3g} RMS levels in pixels)"
        )
        if memo.get("sheet"):
            lines.append(f"closest generated/training pairs: {memo['sheet']}")
    kid = entry["metrics"].get("kid")
    if isinstance(kid, dict) and kid.get("spread"):
        lines.append(f"(KID ± is the {kid['spread']})")
    lines += [f"note: {note}" for note in entry.get("notes", [])]
    if entry.get("metrics_file"):
        lines.append(f"appended to {entry['metrics_file']}")
    return "\n".join(lines)
