"""MODEL_CARD.md for every trained run, in the Hugging Face model-card layout (Mitchell et al.
2019, "Model Cards for Model Reporting"; the section names of huggingface_hub's template):
YAML metadata, then model details, uses (intended and out of scope), bias, risks and
limitations, how to get started, training details (data with licences and do-not-train
exclusions, procedure), evaluation (from metrics.json when the run has been evaluated),
ethical considerations and provenance. Everything is filled from the run folder: its
run config, data description, latest checkpoint, training log and metrics (run_folder.Run).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..atomic import atomic_write_text
from ..models import model_class
from ..output_kinds import OUTPUT_KINDS
from ..registry import MODELS
from ..run_folder import CHECKPOINT_META_FILE, Run
from ..run_metrics import format_table
from ..version import __version__
from .checkpoint import resolve_checkpoint, weights_sha256
from .logs import read_log

SHOWN_EXCLUDED = 20

# What artgan knows about its built-in datasets' origin and licence.
BUILTIN_DATA = {
    "digits": (
        "UCI Optical Recognition of Handwritten Digits (8x8, via scikit-learn)",
        "CC BY 4.0",
    ),
    "fashion-mnist": ("Fashion-MNIST (Zalando Research)", "MIT"),
    "art": ("procedural images drawn by artgan's own code (no third-party images)", "n/a"),
    "sonnets": ("Shakespeare's sonnets (public-domain text shipped with artgan)", "public domain"),
    "spoken_digits": ("spoken digits synthesised locally with espeak", "n/a"),
    "ring8": ("a synthetic mixture of 8 Gaussians on a ring", "n/a"),
    "grid25": ("a synthetic 5x5 grid of Gaussians", "n/a"),
}


def _code(language: str, text: str) -> str:
    return f"```{language}\n{text}\n```"


def _read_json(path: Path, default):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return default


def _paper(family: str) -> str:
    """The first paragraph of the model family's file docstring (it names the paper)."""
    try:
        module = sys.modules.get(MODELS.get(family).__module__)
    except Exception:  # noqa: BLE001  an unknown family only loses this line
        return ""
    doc = (getattr(module, "__doc__", None) or "").strip()
    return " ".join(doc.split("\n\n")[0].split())


def _final_losses(run_dir: Path) -> dict:
    entries, _ = read_log(Run(run_dir).log_file)
    if not entries:
        return {}
    last = entries[-1]
    return {k: v for k, v in last.items() if k.endswith("_loss") or k == "step"}


def _front_matter(family: str, licences: list[str], source: str) -> str:
    tags = ["artgan", "generative-model", family, "c2pa", "watermarked-outputs"]
    lines = ["---", "library_name: artgan", "license: other", "tags:"]
    lines += [f"- {t}" for t in tags]
    lines.append("datasets:")
    lines.append(f"- {json.dumps(source)}")
    if licences:
        lines.append("training_data_licences:")
        lines += [f"- {json.dumps(licence)}" for licence in licences]
    lines.append("---")
    return "\n".join(lines)


def _data_section(data: dict, source: str) -> list[str]:
    report = data.get("report") or {}
    out = [f"- **Source:** `{source}`"]
    if source in BUILTIN_DATA:
        origin, licence = BUILTIN_DATA[source]
        out += [f"- **Origin:** {origin}", f"- **Licence:** {licence}"]
    out.append(f"- **Items used for training:** {report.get('count', '?')}")
    if data.get("shape"):
        out.append(f"- **Item shape:** {tuple(data['shape'])}")
    if data.get("class_names"):
        out.append(f"- **Classes:** {', '.join(map(str, data['class_names']))}")
    if report.get("manifest_sha256"):
        out.append(
            f"- **Dataset manifest SHA-256:** `{report['manifest_sha256']}` (`artgan data scan` "
            "on the same files gives the same hash)"
        )
    licences = report.get("licences") or {}
    if licences:
        out.append("- **Licences of the training files:**")
        out += [f"  - {name}: {count} file(s)" for name, count in licences.items()]
        if "unknown" in licences:
            out.append(
                "  - files with an unknown licence: check that you may train on them before "
                "sharing this model or its outputs"
            )
    out.append(
        f"- **Excluded as do-not-train:** {report.get('excluded', 0)} file(s) (a sidecar, or an "
        "embedded C2PA training-and-data-mining assertion, said no)"
    )
    excluded = report.get("excluded_files") or []
    out += [f"  - `{name}`" for name in excluded[:SHOWN_EXCLUDED]]
    if len(excluded) > SHOWN_EXCLUDED:
        out.append(f"  - ... and {len(excluded) - SHOWN_EXCLUDED} more (see data.json)")
    if report.get("skipped"):
        out.append(f"- **Unreadable files skipped:** {report['skipped']}")
    return out


def _evaluation_section(run_dir: Path) -> list[str]:
    entries = _read_json(Run(run_dir).metrics_file, [])
    if not isinstance(entries, list) or not entries:
        return [
            "Not evaluated yet. Run `artgan eval RUN` (FID, KID, precision/recall, "
            "memorization against held-out images); this card is rewritten at the end of "
            "training."
        ]
    try:
        table = format_table(entries[-1])
    except (KeyError, TypeError, ValueError):
        return ["metrics.json exists but its latest entry could not be read."]
    return [f"Latest of {len(entries)} evaluation(s) in metrics.json:", _code("text", table)]


def render_model_card(run_dir: str | Path) -> str:
    """The card's Markdown for a run folder."""
    run_dir = Path(run_dir)
    run = Run(run_dir)
    config = _read_json(run.config_file, {})
    data = _read_json(run.data_file, {})
    model = config.get("model") or {}
    train = config.get("train") or {}
    family = model.get("name", "?")
    source = (config.get("data") or {}).get("source") or data.get("source", "?")
    try:
        checkpoint = resolve_checkpoint(run_dir)
        meta = _read_json(checkpoint / CHECKPOINT_META_FILE, {})
        weights = weights_sha256(checkpoint)
    except Exception:  # noqa: BLE001  a card for a run without a checkpoint says so
        checkpoint, meta, weights = None, {}, ""
    step = meta.get("step", train.get("steps", "?"))
    report = data.get("report") or {}
    licences = list((report.get("licences") or {}).keys())
    if source in BUILTIN_DATA:
        licences = [BUILTIN_DATA[source][1]]
    kind = "images"
    try:
        kind = OUTPUT_KINDS.get(model_class(family).kind_from_config(model)).words
    except Exception:  # noqa: BLE001
        pass
    paper = _paper(family)
    hyper = {
        k: train[k]
        for k in ("steps", "batch_size", "lr_g", "lr_d", "ema_decay", "seed")
        if k in train
    }
    losses = _final_losses(run_dir)

    sections = [
        _front_matter(family, licences, source),
        f"# Model card: {run_dir.name}",
        f"A `{family}` model trained with artgan {meta.get('artgan_version', __version__)} on "
        f"`{source}`; it generates {kind}.",
        "## Model Details",
        "### Model Description",
        f"- **Model type:** {family}" + (f" — {paper}" if paper else ""),
        f"- **Run id:** `{run_dir.name}`",
        f"- **Trained for:** {step} steps",
        f"- **Checkpoint:** `{checkpoint}`" if checkpoint else "- **Checkpoint:** none saved",
        f"- **Weights SHA-256:** `{weights}`" if weights else "",
        f"- **Library:** artgan {__version__}",
        "- **Licence of the weights:** set by whoever trained them; it cannot be looser than "
        "the training data's licences below allow.",
        "- **Architecture settings:**",
        _code("json", json.dumps(model, indent=2)),
        "## Uses",
        "### Direct Use",
        f"Generating new {kind} in the style of the training data for art, illustration, "
        "study and experiment: `artgan sample RUN --out out/`. Every generated file is signed "
        "(C2PA) and, for images of at least 128 px, invisibly watermarked.",
        "### Downstream Use",
        "Fine-tuning or resuming (`artgan train --resume RUN`), latent exploration and "
        "interpolation, and as a baseline in evaluation studies.",
        "### Out-of-Scope Use",
        "- Passing outputs off as human-made or as photographs of real events; removing or "
        "forging their watermark or Content Credentials.",
        "- Imitating a living artist's work against their wishes, or reproducing training "
        "images (use `--originality-guard`).",
        "- Depicting real people without consent, harassment, deception, or any use the "
        "training data's licences forbid.",
        "- Decisions about people: this is an art tool, not a classifier or a measurement.",
        "## Bias, Risks, and Limitations",
        "- The model can only recombine what its training data shows; it reproduces that "
        "data's gaps and biases and may replay training images, above all when the data set is "
        "small or training ran long.",
        "- Small models trained on a laptop make low-resolution, often imperfect outputs.",
        "- The invisible watermark survives common edits (JPEG, resizing, cropping) but not "
        "every attack; C2PA credentials are removed by tools that strip metadata.",
        "### Recommendations",
        "Check outputs with `artgan verify`, sample with `--originality-guard` before "
        "publishing, and keep this card and the dataset manifest with the weights.",
        "## How to Get Started with the Model",
        _code(
            "bash",
            f"artgan sample {run_dir} --n 16 --out out/ --originality-guard\n"
            "artgan verify out/0000.png",
        ),
        "## Training Details",
        "### Training Data",
        *_data_section(data, source),
        "### Training Procedure",
        _code("json", json.dumps(hyper, indent=2)),
        (
            "Final logged losses: "
            + ", ".join(f"{k} {v:.4g}" for k, v in losses.items() if k != "step")
            if losses
            else ""
        ),
        "## Evaluation",
        *_evaluation_section(run_dir),
        "## Ethical Considerations",
        "- **Consent:** files marked do-not-train were left out (listed above); files with an "
        "unknown licence were used and are counted above.",
        "- **Originality:** generated images can be checked against the training set at "
        "sampling time (`--originality-guard`), with a threshold calibrated on held-out images.",
        "- **Transparency:** every output carries a signed C2PA manifest (digitalSourceType "
        "trainedAlgorithmicMedia, the weights' hash, the seed, the dataset manifest hash) and "
        "images an invisible 32-bit watermark, so a work can be recognised as generated.",
        "- **Attribution:** credit the owners of the training data as their licences require.",
        "## Provenance",
        f"- Dataset manifest SHA-256: `{report.get('manifest_sha256') or 'n/a (built-in data)'}`",
        f"- Weights SHA-256: `{weights or 'n/a'}`",
        "- Generated by artgan's trainer; the card is rewritten whenever training ends.",
    ]
    return (
        "\n\n".join(s for s in sections if s)
        .replace("\n\n- ", "\n- ")
        .replace("\n\n  - ", "\n  - ")
        + "\n"
    )


def write_model_card(run_dir: str | Path) -> Path:
    """Write ``MODEL_CARD.md`` into the run folder (atomically) and return its path."""
    path = Run(Path(run_dir)).model_card
    atomic_write_text(path, render_model_card(run_dir))
    return path
