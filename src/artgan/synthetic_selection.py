"""Which generated images to add to a small labelled set, and how many.

Generated images help a classifier only when they are on-class and the classifier does not
lean on them more than on the real ones. Two standard guards (e.g. Ravuri & Vinyals 2019,
"Classification Accuracy Score"; Shmelkov et al. 2018, "How good is my GAN?"):

- **confidence filtering**: a small CNN trained on the real images scores each generated image
  by the probability it gives the class the image was asked for; per class, the most confident
  are kept (the generator's off-class and broken samples are dropped);
- **a mixing ratio chosen on validation**: the share of each training batch drawn from the
  generated images is picked by training on part of the real images (plus the generated ones)
  and scoring on the rest of the real images. Test data never enters the choice.

The classifier is artgan's small CNN (metrics/extractors/classifier.py) at the images' own size,
trained with random shifts; the same recipe serves filtering, the ratio choice and a user's
final classifier, so the choice is made for the model that will use it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .data import InMemoryDataset, load_dataset
from .data.dataset import random_crop
from .errors import ConfigError, DataError
from .metrics.extractors.classifier import SmallCNN

DEFAULT_RATIOS = (0.0, 0.25, 0.5)


@dataclass
class ClassifierRecipe:
    """How the small CNN is trained: Adam with a cosine schedule, random shifts of up to
    ``shift`` pixels (edge padding). ``ratio`` of each batch comes from the generated images."""

    steps: int = 400
    batch_size: int = 64
    lr: float = 2e-3
    shift: int = 2

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 2 or self.lr <= 0 or self.shift < 0:
            raise ConfigError("classifier steps >= 1, batch size >= 2, lr > 0 and shift >= 0")


@dataclass
class RatioChoice:
    ratio: float  # the share of each batch drawn from generated images
    validation_accuracy: dict[float, float] = field(default_factory=dict)  # ratio -> accuracy
    validation_images: int = 0


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float in [-1, 1]."""
    return x.float() / 127.5 - 1.0


def train_classifier(
    x: torch.Tensor,
    y: torch.Tensor,
    num_classes: int,
    recipe: ClassifierRecipe | None = None,
    seed: int = 0,
    synthetic: tuple[torch.Tensor, torch.Tensor] | None = None,
    ratio: float = 0.0,
) -> SmallCNN:
    """The small CNN trained on uint8 images ``x`` (N, C, H, W) with labels ``y``; with
    ``synthetic`` (images, labels), ``round(ratio * batch)`` of every batch are drawn from it.
    Returned in eval mode."""
    recipe = recipe or ClassifierRecipe()
    if not 0.0 <= ratio < 1.0:
        raise ConfigError(f"the generated share of a batch must be in [0, 1), got {ratio}")
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = SmallCNN(x.shape[1], num_classes)
    optimizer = torch.optim.Adam(net.parameters(), lr=recipe.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, recipe.steps)
    n_synthetic = round(ratio * recipe.batch_size) if synthetic is not None else 0
    net.train()
    for _ in range(recipe.steps):
        pick = torch.randint(len(x), (recipe.batch_size - n_synthetic,), generator=g)
        images, labels = x[pick], y[pick]
        if n_synthetic:
            extra = torch.randint(len(synthetic[0]), (n_synthetic,), generator=g)
            images = torch.cat([images, synthetic[0][extra]])
            labels = torch.cat([labels, synthetic[1][extra]])
        images = to_unit(images)
        if recipe.shift:
            padded = F.pad(images, (recipe.shift,) * 4, mode="replicate")
            images = random_crop(padded, images.shape[-1], g)
        loss = F.cross_entropy(net(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    return net.eval()


@torch.no_grad()
def probabilities(net: SmallCNN, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Softmax class probabilities (N, K) of uint8 images (N, C, H, W)."""
    return torch.cat([net(to_unit(chunk)).softmax(1) for chunk in x.split(batch_size)])


def accuracy(net: SmallCNN, x: torch.Tensor, y: torch.Tensor) -> float:
    return float((probabilities(net, x).argmax(1) == y).float().mean())


def class_confidence(net: SmallCNN, x: torch.Tensor, asked: torch.Tensor) -> torch.Tensor:
    """(N,) the probability the classifier gives each image's asked-for class."""
    return probabilities(net, x)[torch.arange(len(x)), asked]


def keep_confident(confidence: torch.Tensor, labels: torch.Tensor, per_class: int) -> torch.Tensor:
    """Indices of the ``per_class`` most confident images of each class (all of a class when it
    has fewer), most confident first within a class, classes in ascending order."""
    if per_class < 1:
        raise ConfigError(f"keep at least 1 image per class, got {per_class}")
    kept = []
    for c in labels.unique(sorted=True):
        members = torch.nonzero(labels == c)[:, 0]
        order = confidence[members].argsort(descending=True, stable=True)
        kept.append(members[order[:per_class]])
    return torch.cat(kept)


class ConfidenceJudge:
    """A classifier trained on the real images that scores generated ones: called with uint8
    images (N, C, H, W) of asked class k, it returns (N,) the probability of class k."""

    def __init__(self, net: SmallCNN):
        self.net = net

    @classmethod
    def train(
        cls,
        x: torch.Tensor,
        y: torch.Tensor,
        num_classes: int,
        recipe: ClassifierRecipe | None = None,
        seed: int = 0,
    ) -> ConfidenceJudge:
        return cls(train_classifier(x, y, num_classes, recipe, seed))

    def __call__(self, images: torch.Tensor, k: int) -> torch.Tensor:
        return class_confidence(self.net, images, torch.full((len(images),), k))


def real_labelled_images(model, source: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The labelled real images (uint8 (N, C, H, W), labels in the model's class order) that a
    conditional image model was trained on (or ``source``), at the size it generates."""
    probe = model.sample(1, seed=0, classes=0)  # (1, C, H, W): the generated shape
    channels, size = probe.shape[1], probe.shape[-1]
    config = model.origin.run.data_config(source, model.origin.meta, channels)
    data = load_dataset(dataclasses.replace(config, split="train"), size)
    if not isinstance(data, InMemoryDataset) or data.y is None:
        raise DataError(
            f"{config.source} must be labelled images that fit in memory (a folder with one "
            "subfolder per class, or a labelled built-in dataset) to judge generated images"
        )
    names = [str(n) for n in data.class_names]
    if names != model.class_names:
        raise DataError(
            f"{config.source} has the classes {', '.join(names)}, but the model makes "
            f"{', '.join(model.class_names)}; pass the labelled data it was trained on"
        )
    if tuple(data.x.shape[1:]) != tuple(probe.shape[1:]):
        raise DataError(
            f"{config.source} gives images of shape {tuple(data.x.shape[1:])}, but the model "
            f"makes {tuple(probe.shape[1:])}"
        )
    return data.x.cpu(), data.y.cpu().long()


def validation_split(
    labels: torch.Tensor, fraction: float, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, validation) indices: ``fraction`` of each class (at least 1, and at least 1
    left to train on) held back, chosen by ``seed``."""
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"the validation fraction must be in (0, 1), got {fraction}")
    g = torch.Generator().manual_seed(seed)
    train, held = [], []
    for c in labels.unique(sorted=True):
        members = torch.nonzero(labels == c)[:, 0]
        if len(members) < 2:
            raise ConfigError(
                f"class {int(c)} has {len(members)} real image; a validation split needs at "
                "least 2 per class"
            )
        members = members[torch.randperm(len(members), generator=g)]
        n_held = min(max(1, round(fraction * len(members))), len(members) - 1)
        held.append(members[:n_held])
        train.append(members[n_held:])
    return torch.cat(train), torch.cat(held)


def choose_ratio(
    real: tuple[torch.Tensor, torch.Tensor],
    synthetic: tuple[torch.Tensor, torch.Tensor],
    num_classes: int,
    ratios: tuple[float, ...] = DEFAULT_RATIOS,
    recipe: ClassifierRecipe | None = None,
    validation_fraction: float = 0.3,
    folds: int = 2,
    seed: int = 0,
) -> RatioChoice:
    """The share of generated images per batch that scores best on held-back real images.

    For each of ``folds`` seeded validation splits of the real images, a classifier is
    trained per ratio on the rest of the real images plus the generated ones and scored on the
    held-back part; the ratio with the best mean accuracy wins (ties go to the smaller ratio,
    the cautious one). Only ``real`` and ``synthetic`` are seen: no test data."""
    if not ratios:
        raise ConfigError("give at least one mixing ratio to choose from")
    x, y = real
    scores = {float(r): 0.0 for r in ratios}
    n_val = 0
    for fold in range(folds):
        train, held = validation_split(y, validation_fraction, seed=seed * 1000 + fold)
        n_val += len(held)
        for r in scores:
            net = train_classifier(
                x[train], y[train], num_classes, recipe, seed + fold, synthetic, r
            )
            scores[r] += accuracy(net, x[held], y[held]) / folds
    best = max(sorted(scores), key=lambda r: scores[r])  # max keeps the first (smallest) tie
    return RatioChoice(best, scores, n_val)
