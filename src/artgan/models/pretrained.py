"""A model as a Hugging Face Hub-style folder: ``config.json`` + ``model.safetensors`` +
``README.md`` (a model card whose YAML front matter the Hub reads). The folder is also an
artgan checkpoint folder, so ``artgan.load`` and ``artgan.from_pretrained`` read it back."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from safetensors.torch import save as safetensors_bytes

from ..atomic import atomic_write_bytes, atomic_write_text
from ..run_folder import CHECKPOINT_META_FILE, WEIGHTS_FILE
from ..version import __version__
from .capabilities import ImageToImage

CARD_FILE = "README.md"  # the Hub shows README.md; its YAML front matter is the metadata
CHECKPOINT_FORMAT = 1  # the checkpoint format these folders follow (training/checkpoint.py)
PIPELINE_TAGS = {"image": "unconditional-image-generation", "text": "text-generation"}


def write_pretrained(model, folder: str | Path) -> Path:
    """Write ``model`` (its weights as they are now: a loaded model's are the averaged ones)
    into ``folder``; returns the folder."""
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    origin = model.origin
    meta = {
        "format_version": CHECKPOINT_FORMAT,
        "artgan_version": __version__,
        "class": type(model).__name__,
        "family": model.name,
        "model": {"name": model.name, **asdict(model.config)},
        "data": origin.data if origin else {},
        "step": origin.step if origin else 0,
        "run_id": str(origin.meta.get("run_id", "")) if origin else "",
    }
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    weights = safetensors_bytes(tensors, metadata={"format": "pt", "artgan": __version__})
    atomic_write_bytes(folder / WEIGHTS_FILE, weights)
    atomic_write_text(folder / CHECKPOINT_META_FILE, json.dumps(meta, indent=2) + "\n")
    atomic_write_text(folder / CARD_FILE, model_card(model, meta))
    return folder


def model_card(model, meta: dict) -> str:
    """README.md: Hub metadata (library, tags, pipeline) and how to load and sample."""
    kind = model.output_kind
    lines = ["---", "library_name: artgan", "tags:", "- artgan", f"- {model.name}", f"- {kind}"]
    tag = "image-to-image" if isinstance(model, ImageToImage) else PIPELINE_TAGS.get(kind)
    if tag:
        lines.append(f"pipeline_tag: {tag}")
    lines += ["---", "", f"# {model.name} ({kind})", ""]
    source = (meta["data"] or {}).get("source")
    trained = f" for {meta['step']} steps" + (f" on `{source}`" if source else "")
    lines += [
        f"An artgan {model.name} model, trained{trained if meta['step'] else ' (untrained)'}.",
        "",
        "```python",
        "import artgan",
        'model = artgan.from_pretrained("THIS_FOLDER_OR_REPO_ID")',
        "samples = model.sample(16, seed=0)",
        "```",
        "",
        "Weights: `model.safetensors`; config: `config.json` (enough to rebuild the model).",
        "",
    ]
    return "\n".join(lines)
