"""artgan: make art with generative models.

import artgan
run_dir = artgan.train(config)          # a RunConfig, a dict, or a config file path
model = artgan.load("runs/00001-dcgan-art")
images = model.sample(16, seed=7)        # (16, C, H, W) in [-1, 1]
"""

from .errors import ArtganError
from .version import __version__


def train(config=None, resume=None, **overrides):
    """Train a model; returns the run folder. See :func:`artgan.training.trainer.train`."""
    from .training.trainer import train as _train

    return _train(config, resume=resume, **overrides)


def load(path, device: str = "cpu"):
    """Load a trained model from a run folder or checkpoint folder (weights only, no pickles)."""
    from .training.checkpoint import load_model

    return load_model(path, device=device)


def from_pretrained(name_or_path, device: str = "cpu", revision=None):
    """Load a model from a ``model.save_pretrained`` folder, a run or checkpoint folder, or a
    Hugging Face Hub repo id (needs huggingface_hub and the network). See
    :func:`artgan.pretrained.from_pretrained`."""
    from .pretrained import from_pretrained as _from_pretrained

    return _from_pretrained(name_or_path, device=device, revision=revision)


def save_image(image, path, run=None, seed=None, **params):
    """Write a generated image through the output point (signed, with its record). See
    :func:`artgan.outputs.save_image`."""
    from .outputs import save_image as _save_image

    return _save_image(image, path, run=run, seed=seed, **params)


def evaluate(run, data=None, metrics=None, n=None, features=None, **options):
    """Score a run against real data beside the real-vs-real floor; appends to the run's
    metrics.json. See :func:`artgan.metrics.evaluate.evaluate`."""
    from .metrics.evaluate import evaluate as _evaluate

    return _evaluate(run, data=data, metrics=metrics, n=n, features=features, **options)


# No top-level ``sample`` function: ``artgan.sample`` is the sampling module (DESIGN layout);
# sample with ``artgan.load(run).sample(n, seed=...)``.
__all__ = [
    "ArtganError",
    "__version__",
    "evaluate",
    "from_pretrained",
    "load",
    "save_image",
    "train",
]
