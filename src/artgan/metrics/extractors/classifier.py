"""``classifier:<dataset>``: a small CNN that artgan trains on a labelled dataset (digits,
fashion-mnist, art, or any image folder with one subfolder per class) and then uses as a
feature extractor, in the spirit of the domain classifiers behind MNIST FIDs (e.g. Bińkowski et
al. 2018 use a LeNet on MNIST for KID/FID). Its 128-d penultimate features serve FID-like scores;
its softmax serves the Inception-Score-style score and counting the classes a model produces.

The classifier is trained once per dataset content and cached under
``cache_root()/classifiers/<name>-<hash>/`` as ``model.safetensors`` plus ``classifier.json``
(recipe version, class names, validation accuracy, data hash). The key is the sha256 of the
training images (uint8 at 32 x 32, as the loaders give them), their labels and class names and
the recipe version, so editing a folder trains a new classifier and the same data reuses the old
one. Nothing is downloaded.

Recipe: images at 32 x 32 in the data's colour mode; four 3x3 convolutions with batch norm and
ReLU (16, 32, 64, 128 channels, max-pooled to 4 x 4), global average pool (the features), a
linear layer to the classes. Adam, random shifts of up to 2 pixels, a fixed number of steps;
10 % of the training split (seeded) is held back to report the accuracy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from ...cache import cache_root
from ...config import DataConfig
from ...data import load_dataset
from ...data.dataset import InMemoryDataset, random_crop
from ...errors import ConfigError, DataError
from ...registry import FEATURES
from ...version import __version__
from ..feature_cache import safe_name
from .base import FeatureExtractor, file_sha256

RECIPE_VERSION = "1"  # bump when the architecture, training or preprocessing below changes
INPUT_SIZE = 32
WIDTHS = (16, 32, 64, 128)
FEATURE_DIM = WIDTHS[-1]
STEPS, BATCH, LR, SHIFT, VAL_FRACTION, SEED = 500, 128, 2e-3, 2, 0.1, 0
MODEL_FILE, META_FILE = "model.safetensors", "classifier.json"
LUMA = (0.299, 0.587, 0.114)  # ITU-R 601, as Pillow and the art loader convert to grey


class SmallCNN(nn.Module):
    """(N, C, 32, 32) in [-1, 1] -> features (N, 128) and class logits (N, classes)."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        layers: list[nn.Module] = []
        cin = channels
        for i, cout in enumerate(WIDTHS):
            layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout)]
            layers.append(nn.ReLU(inplace=True))
            if i < 3:
                layers.append(nn.MaxPool2d(2))  # 32 -> 16 -> 8 -> 4
            cin = cout
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(FEATURE_DIM, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).mean(dim=(2, 3))  # (N, 128, 4, 4) -> (N, 128)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def to_input(images: torch.Tensor, channels: int) -> torch.Tensor:
    """(N, 3, H, W) float in [-1, 1] -> the classifier's (N, channels, 32, 32)."""
    if channels == 1:
        luma = torch.tensor(LUMA, device=images.device)[None, :, None, None]
        images = (images * luma).sum(1, keepdim=True)  # (N, 1, H, W)
    if images.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
        images = F.interpolate(
            images, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", antialias=True
        )
    return images


def load_labelled(source: str):
    """The training split of ``source`` at 32 x 32, checked to carry class labels."""
    dataset = load_dataset(DataConfig(source=source, split="train"), INPUT_SIZE)
    if not isinstance(dataset, InMemoryDataset) or dataset.kind != "image":
        raise DataError(
            f"classifier:{source} needs an image dataset that fits in memory at 32 x 32, "
            f"got {type(dataset).__name__}"
        )
    if dataset.y is None or len(dataset.class_names) < 2:
        raise DataError(
            f"classifier:{source} needs labelled images: a built-in labelled dataset "
            "(digits, fashion-mnist, art) or a folder with one subfolder per class (at least 2)"
        )
    return dataset


def data_key(x: torch.Tensor, y: torch.Tensor, class_names: list[str], steps: int) -> str:
    """sha256 of the recipe (version, steps), the images (uint8), labels and class names."""
    digest = hashlib.sha256(f"classifier|{RECIPE_VERSION}|{steps}|{tuple(x.shape)}|".encode())
    digest.update(memoryview(x.contiguous().reshape(-1).numpy()))
    digest.update(memoryview(y.to(torch.int64).contiguous().numpy()))
    digest.update(json.dumps(class_names).encode())
    return digest.hexdigest()


def random_shift(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Shift each image by up to SHIFT pixels (edge padding), (N, C, H, W)."""
    padded = F.pad(x, (SHIFT,) * 4, mode="replicate")
    return random_crop(padded, x.shape[-1], generator)


def train_classifier(
    x: torch.Tensor, y: torch.Tensor, num_classes: int, steps: int, seed: int = SEED
) -> tuple[SmallCNN, float, int]:
    """Train on uint8 images x (N, C, 32, 32) and labels y; returns the net (eval mode), its
    accuracy on the held-back 10 % and the size of that part."""
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(x), generator=g)
    n_val = int(len(x) * VAL_FRACTION) if len(x) >= 20 else 0
    val, train = order[:n_val], order[n_val:]
    torch.manual_seed(seed)
    net = SmallCNN(x.shape[1], num_classes)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    net.train()
    for _ in range(steps):
        idx = train[torch.randint(len(train), (min(BATCH, len(train)),), generator=g)]
        batch = random_shift(x[idx].float() / 127.5 - 1.0, g)
        loss = F.cross_entropy(net(batch), y[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    net.eval()
    accuracy = float("nan")
    if n_val:
        with torch.no_grad():
            logits = torch.cat([net(x[c].float() / 127.5 - 1.0) for c in val.split(512)])
        accuracy = float((logits.argmax(1) == y[val]).float().mean())
    return net, accuracy, n_val


def _read_cached(folder: Path) -> tuple[SmallCNN, dict] | None:
    """The cached classifier in ``folder``, or None when absent or unreadable."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        net = SmallCNN(int(meta["channels"]), len(meta["class_names"]))
        net.load_state_dict(load_file(folder / MODEL_FILE))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError):
        return None
    if meta.get("recipe_version") != RECIPE_VERSION:
        return None
    return net.eval(), meta


def _write(folder: Path, net: SmallCNN, meta: dict) -> None:
    """Both files into a temporary folder, then renamed into place (atomic for readers)."""
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, tmp / MODEL_FILE)
    (tmp / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if folder.exists():  # an unreadable earlier copy
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()
    os.replace(tmp, folder)


def load_or_train(
    source: str,
    cache_dir: str | os.PathLike | None = None,
    steps: int | None = None,
    verbose: bool = True,
) -> tuple[SmallCNN, dict, Path]:
    """The classifier of ``source``'s training split: from the cache when one was trained on
    exactly this data for as many ``steps`` (default STEPS), else trained now (a minute or
    two on a CPU) and cached."""
    steps = steps or STEPS
    if steps < 1:
        raise ConfigError(f"classifier training steps must be at least 1, got {steps}")
    dataset = load_labelled(source)
    x, y = dataset.x.cpu(), dataset.y.cpu()
    key = data_key(x, y, dataset.class_names, steps)
    root = Path(cache_dir) if cache_dir is not None else cache_root() / "classifiers"
    folder = root / f"{safe_name(source)}-{key[:16]}"
    cached = _read_cached(folder)
    if cached is not None:
        return cached[0], cached[1], folder
    if verbose:
        print(
            f"training classifier:{source} on {len(x)} images, {len(dataset.class_names)} "
            f"classes (once; cached in {folder})",
            file=sys.stderr,
        )
    net, accuracy, n_val = train_classifier(x, y, len(dataset.class_names), steps)
    meta = {
        "format_version": 1,
        "recipe_version": RECIPE_VERSION,
        "artgan_version": __version__,
        "source": source,
        "data_sha256": key,
        "class_names": dataset.class_names,
        "channels": int(x.shape[1]),
        "input_size": INPUT_SIZE,
        "feature_dim": FEATURE_DIM,
        "train_images": len(x) - n_val,
        "validation_images": n_val,
        "validation_accuracy": accuracy,
        "steps": steps,
        "batch_size": BATCH,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    _write(folder, net, meta)
    if verbose:
        print(f"classifier:{source}: validation accuracy {accuracy:.1%}", file=sys.stderr)
    return net, meta, folder


@FEATURES.register("classifier")
class ClassifierFeatures(FeatureExtractor):
    """Features (128-d) and class probabilities of the classifier artgan trains on ``dataset``
    (use as ``classifier:<dataset>``)."""

    name = "classifier"
    dim = FEATURE_DIM

    def __init__(
        self,
        dataset: str = "",
        device: str | torch.device = "cpu",
        batch_size: int | None = None,
        cache_dir: str | os.PathLike | None = None,
        steps: int | None = None,
        verbose: bool = True,
    ):
        if not dataset:
            raise ConfigError(
                "name the labelled data the classifier learns: classifier:<dataset>, e.g. "
                "classifier:digits, classifier:fashion-mnist or classifier:./my_folder"
            )
        net, meta, folder = load_or_train(dataset, cache_dir, steps, verbose)
        super().__init__(net, device=device, batch_size=batch_size)
        self.name = f"classifier:{dataset}"
        self.folder = folder
        self.meta = meta
        self.channels = int(meta["channels"])
        self.class_names: list[str] = list(meta["class_names"])
        self.num_classes = len(self.class_names)
        self.accuracy = float(meta["validation_accuracy"])
        self.version = f"{file_sha256(folder / MODEL_FILE)[:12]}-recipe{RECIPE_VERSION}"

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        return to_input(images, self.channels)

    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        return self.net.features(images)

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits (N, classes)."""
        return self.run(images, lambda x: self.net(x), self.num_classes)

    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        """Softmax class probabilities (N, classes): for the IS-style score and class counts."""
        return self.logits(images).softmax(dim=1)
