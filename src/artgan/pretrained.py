"""``artgan.from_pretrained``: a model from a Hub-style folder (``model.save_pretrained``), a run
or checkpoint folder, or a Hugging Face Hub repo id (``owner/name``, with ``huggingface_hub``
installed and the network there); anything else is one clear error."""

from __future__ import annotations

import re
from pathlib import Path

from .errors import CheckpointError
from .models.pretrained import CARD_FILE
from .run_folder import CHECKPOINT_META_FILE, WEIGHTS_FILE
from .training.checkpoint import load_model

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def from_pretrained(name_or_path: str | Path, device: str = "cpu", revision: str | None = None):
    """Load a model from a local folder, else download a Hub repo's three files and load them."""
    path = Path(name_or_path).expanduser()
    if path.exists() or not REPO_ID.match(str(name_or_path)):
        return load_model(path, device=device)
    return load_model(download(str(name_or_path), revision), device=device)


def download(repo_id: str, revision: str | None = None) -> Path:
    """The local copy of a Hub repo's config, weights and card (cached by huggingface_hub)."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise CheckpointError(
            f"{repo_id} is no folder here, and loading a Hub repo id needs huggingface_hub "
            "(pip install huggingface_hub)"
        ) from None
    try:
        folder = snapshot_download(
            repo_id,
            revision=revision,
            allow_patterns=[CHECKPOINT_META_FILE, WEIGHTS_FILE, CARD_FILE],
        )
    except Exception as error:  # noqa: BLE001  (offline, unknown repo, no access: one line)
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise CheckpointError(
            f"could not fetch {repo_id} from the Hugging Face Hub: {reason}"
        ) from None
    return Path(folder)
