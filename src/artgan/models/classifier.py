"""A small convolutional image classifier: the network of Ganin et al. (JMLR 2016, "Domain-
Adversarial Training of Neural Networks", Fig. 4, the MNIST architecture), trained with plain
cross-entropy.

Feature extractor: 5x5 convolution (32), ReLU, 2x2 max-pool; 5x5 convolution (48), ReLU, 2x2
max-pool; flattened (48 x 4 x 4 at 28 px). Label predictor: dense 100, ReLU, dense 100, ReLU,
dense to the classes. The paper trains with SGD and an annealed rate; artgan's one trainer gives
Adam (1e-3, beta1 0.9), which reaches the same accuracy in fewer steps on these small nets.

It is the classifier of domain adaptation (``artgan adapt``): trained on the labelled source
domain alone (the source-only baseline), on labelled target images (the supervised ceiling), or
on source images first translated into the target's style by an image translator run
(``model.translator``: pixel-level adaptation, e.g. a CycleGAN from source to target). The
domain-adversarial variant is models/dann.py. ``classify`` gives logits; ``artgan eval RUN
--data LABELLED`` reports accuracy (metrics/classification.py).

``model.adversarial.eps`` (0: off) trains it with PGD adversarial training (Madry et al., ICLR
2018): each batch is replaced by its PGD examples against the network as it is at that step
(losses/attacks.py), the defence that ``artgan attack RUN --report`` measures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..config import DefaultsContext, ModelConfig, budget_presets
from ..errors import ConfigError
from ..losses.attacks import AdversarialTrainingConfig, adversarial_batch
from ..nn.modes import evaluating
from ..registry import MODELS
from .base import Batch, DataSpec, GenerativeModel, Phase
from .capabilities import Classifier, Translator

KERNEL = 5  # the paper's 5x5 convolutions, unpadded, each followed by a 2x2 max-pool
MIN_IMAGE_SIZE = 16  # the smallest side that leaves a 1x1 map after both convolutions
PREVIEW_ITEMS = 64  # training items the preview classifies
PREVIEW_COLUMNS = 8


def feature_side(image_size: int) -> int:
    """The side of the feature map after the two convolutions and pools."""
    side = image_size
    for _ in range(2):
        side = (side - KERNEL + 1) // 2
    return side


@dataclass
class ClassifierConfig(ModelConfig):
    name: ClassVar[str] = "classifier"
    image_size: int = 28  # the side of the images it classifies (the data is loaded at it)
    channels: int = 3  # set from the data
    num_classes: int = 10  # set from the data
    class_names: list[str] = field(default_factory=list)  # set from the data
    widths: list[int] = field(default_factory=lambda: [32, 48])  # the two convolutions
    hidden: int = 100  # the label predictor's dense layers
    translator: str = ""  # pixel-level adaptation: a Translator run applied to training images
    translator_direction: str = "a2b"  # its direction from the training data to the target
    # PGD adversarial training (eps 0: off): an objective composed onto the network.
    adversarial: AdversarialTrainingConfig = field(default_factory=AdversarialTrainingConfig)

    def __post_init__(self) -> None:
        if self.image_size < MIN_IMAGE_SIZE:
            raise ConfigError(f"model.image_size must be at least {MIN_IMAGE_SIZE}")
        if self.channels not in (1, 3):
            raise ConfigError(f"channels must be 1 or 3, got {self.channels}")
        if self.num_classes < 2:
            raise ConfigError("a classifier needs at least 2 classes")
        if self.class_names and len(self.class_names) != self.num_classes:
            raise ConfigError(f"{len(self.class_names)} class names for {self.num_classes} classes")
        if len(self.widths) != 2 or min(self.widths) < 1 or self.hidden < 1:
            raise ConfigError("model.widths must be two positive numbers and model.hidden >= 1")

    @classmethod
    def run_defaults(cls, context: DefaultsContext) -> dict[str, Any]:
        # A classifier: Adam at its usual setting, no weight averaging.
        return {
            "train.lr_g": 1e-3,
            "train.beta1": 0.9,
            "train.batch_size": 64,
            "train.ema_decay": 0.0,
            "train.steps": 2000,
        }

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: a minute of CPU; cpu: several epochs of Fashion-MNIST; gpu: the paper's
        # length (its SGD ran for tens of thousands of steps).
        return budget_presets(
            {"train.batch_size": (64, 64, 128), "train.steps": (300, 4000, 30000)}
        )

    def with_data(self, spec: DataSpec) -> ClassifierConfig:
        if len(spec.shape) != 3:
            raise ConfigError(f"{self.name} classifies images; give a folder of images")
        if spec.num_classes < 2:
            raise ConfigError(
                f"{self.name} needs labelled images: a folder with one sub-folder per class, "
                "or a labelled built-in dataset (fashion-mnist, fashion-mnist-m, digits)"
            )
        self.channels = spec.shape[0]
        self.num_classes = spec.num_classes
        self.class_names = list(spec.class_names)
        return self


class FeatureExtractor(nn.Module):
    """conv5-relu-pool twice, flattened: (B, C, S, S) -> (B, widths[1] * side**2)."""

    def __init__(self, c: ClassifierConfig):
        super().__init__()
        w1, w2 = c.widths
        self.body = nn.Sequential(
            nn.Conv2d(c.channels, w1, KERNEL),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(w1, w2, KERNEL),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.dim = w2 * feature_side(c.image_size) ** 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).flatten(1)  # (B, w2 * side * side)


def label_predictor(features: int, hidden: int, classes: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(features, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, classes),
    )


@MODELS.register("classifier")
class CNNClassifier(GenerativeModel, Classifier):
    name = "classifier"
    config_class = ClassifierConfig
    output_kind = "labels"

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__(config)
        self.features = FeatureExtractor(config)
        self.label_head = label_predictor(self.features.dim, config.hidden, config.num_classes)
        # The translator of pixel-level adaptation, handed over by the trainer (warm_start);
        # kept in a tuple so that it is no sub-module: it is not trained, nor saved with these
        # weights, nor needed to classify.
        self._translator: tuple[Translator, ...] = ()

    # --- what Classifier promises --------------------------------------------------------
    @property
    def class_names(self) -> list[str]:
        c = self.config
        return list(c.class_names) or [str(k) for k in range(c.num_classes)]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        c = self.config
        return (c.channels, c.image_size, c.image_size)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) in [-1, 1] -> (B, n_classes) logits; differentiable in ``x``."""
        if tuple(x.shape[1:]) != self.input_shape:
            raise ConfigError(
                f"{self.name} classifies images of shape {self.input_shape}, got "
                f"{tuple(x.shape[1:])}"
            )
        return self.label_head(self.features(x.to(self.device)))

    @torch.no_grad()
    def predict(self, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """Class indices of ``x`` (on the CPU), in eval mode, batch by batch."""
        with evaluating(self):
            out = [self.classify(chunk).argmax(1).cpu() for chunk in x.split(batch_size)]
        return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)

    @torch.no_grad()
    def draw(
        self, n: int, seed: int | None = None, images: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The logits of ``images`` (N, C, H, W) in [-1, 1]: a classifier invents nothing."""
        if images is None:
            raise ConfigError(
                f"{self.name} runs label images: pass images=(N, C, H, W) in [-1, 1] to "
                "sample, or score a labelled folder with artgan eval RUN --data FOLDER"
            )
        with evaluating(self):
            return torch.cat([self.classify(chunk).float().cpu() for chunk in images.split(256)])

    @torch.no_grad()
    def preview_grid(self, dataset, n: int = PREVIEW_ITEMS) -> tuple[torch.Tensor, int]:
        """The first ``n`` training images (the target domain's, where the data has one;
        translated, where a translator is set), a row per predicted class (first 16)."""
        batch = dataset.get(torch.arange(min(n, len(dataset))), torch.Generator().manual_seed(0))
        images = batch.x_b if batch.x_b is not None else self.training_images(batch.x)
        images = images.float().to(self.device)
        predicted = self.predict(images)
        images = images.cpu()
        rows = []
        for k in range(min(16, self.config.num_classes)):
            chosen = images[predicted == k][:PREVIEW_COLUMNS]
            blank = torch.zeros(PREVIEW_COLUMNS - len(chosen), *images.shape[1:])  # grey
            rows.append(torch.cat([chosen, blank]))
        return torch.cat(rows), PREVIEW_COLUMNS  # (rows * 8, C, H, W)

    # --- training ------------------------------------------------------------------------
    def warm_start_run(self) -> str:
        return self.config.translator

    def warm_start(self, source: GenerativeModel) -> None:
        """Keep ``source``, the run ``model.translator`` names, to translate training images."""
        c = self.config
        if not isinstance(source, Translator):
            raise ConfigError(
                f"model.translator {c.translator} is a {source.name} run, not an image "
                "translator (train one with artgan train --model cyclegan --data-a SOURCE "
                "--data-b TARGET)"
            )
        if c.translator_direction not in source.directions:
            raise ConfigError(
                f"model.translator_direction must be one of {', '.join(source.directions)}"
            )
        channels, multiple = source.config.channels, source.input_multiple
        if channels != c.channels or c.image_size % multiple:
            raise ConfigError(
                f"model.translator {c.translator} translates {channels}-channel images whose "
                f"sides are multiples of {multiple}; this classifier's are {c.channels}-channel "
                f"and {c.image_size} px"
            )
        self._translator = (source.to(self.device).eval(),)

    def training_images(self, x: torch.Tensor) -> torch.Tensor:
        """``x``, translated into the target style when a translator is set."""
        if not self._translator:
            return x
        translated = self._translator[0].translate(x, self.config.translator_direction)
        return translated.to(x.device).clamp_(-1, 1)

    def phases(self, train) -> list[Phase]:
        return [Phase("C", ["features", "label_head"], train.lr_g, (train.beta1, train.beta2))]

    def labelled(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        if batch.y is None:
            raise ConfigError(f"{self.name} needs labelled images (class sub-folders)")
        return self.training_images(batch.x), batch.y

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        x, y = self.labelled(batch)
        x = adversarial_batch(self.classify, x, y, self.config.adversarial)  # x when off
        logits = self.label_head(self.features(x))
        loss = F.cross_entropy(logits.float(), y)
        accuracy = (logits.argmax(1) == y).float().mean()
        return {"loss": loss, "train_accuracy": accuracy.detach()}
