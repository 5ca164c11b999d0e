"""Attack a classifier on a set of labelled images with FGSM, PGD or a trained AdvGAN, and
measure what it did: the classifier's accuracy on clean and adversarial images, the success
rate, and the cost in images per CPU second.

Success rate: among the images the classifier gets right when clean, the fraction it gets wrong
after the attack (untargeted; Xiao et al. and Madry et al. report the same quantity as "attack
success rate" and "1 - adversarial accuracy" on correct images).

The adversarial images are measured as they are saved: rounded to the 8-bit grid of an image
file, with any pixel that rounding would carry past epsilon pulled back one level, so the files
respect the bound exactly and their labels are the ones reported.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from ..errors import ConfigError
from ..losses.attacks import check_eps, default_step_size, fgsm, pgd, project
from ..models.capabilities import Classifier, Perturber
from ..sample import quantize

METHODS = ("fgsm", "pgd", "advgan")


@dataclass
class AttackSettings:
    method: str
    eps: float  # L-infinity bound on the [0, 1] pixel scale
    steps: int = 40  # PGD
    step_size: float | None = None  # PGD, pixel scale; None: 2.5 * eps / steps
    random_start: bool = True  # PGD
    seed: int = 0  # PGD's random start

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(
                f"unknown attack {self.method!r}; the methods are {', '.join(METHODS)}"
            )
        self.eps = check_eps(self.eps, "--eps")
        if self.steps < 1:
            raise ConfigError(f"--steps must be at least 1, got {self.steps}")
        if self.step_size is not None and not 0 < self.step_size <= 1:
            raise ConfigError(f"--step-size must be in (0, 1], got {self.step_size}")

    def record_params(self) -> dict:
        """What the generation record says about the attack."""
        params = {"adversarial": True, "attack": self.method, "eps": self.eps}
        if self.method == "pgd":
            step = self.step_size or default_step_size(self.eps, self.steps)
            params |= {"steps": self.steps, "step_size": step, "random_start": self.random_start}
            params["seed"] = self.seed
        return params


def quantize_within(x_adv: torch.Tensor, x: torch.Tensor, eps: float) -> torch.Tensor:
    """``x_adv`` on the 8-bit grid of an image file, no level further than ``eps`` (pixel
    scale) from the clean ``x``, which is on that grid (loaded from uint8 images)."""
    levels = math.floor(eps * 255 + 1e-6)  # whole 8-bit levels inside the bound
    clean = quantize(x).long()
    moved = quantize(x_adv).long()
    moved = torch.max(torch.min(moved, clean + levels), clean - levels)  # (N, C, H, W)
    return moved.float() / 127.5 - 1.0


def _classify(classifier: Classifier, x: torch.Tensor, device) -> torch.Tensor:
    with torch.no_grad():
        return classifier.classify(x.to(device)).argmax(1).cpu()


def _device(classifier: Classifier) -> torch.device:
    if isinstance(classifier, nn.Module):
        for tensor in (*classifier.parameters(), *classifier.buffers()):
            return tensor.device
    return torch.device("cpu")


def perturb_batch(
    classifier: Classifier,
    x: torch.Tensor,
    y: torch.Tensor,
    settings: AttackSettings,
    perturber: Perturber | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Adversarial versions of one batch (float, inside the ball and the range)."""
    if settings.method == "fgsm":
        return fgsm(classifier.classify, x, y, settings.eps)
    if settings.method == "pgd":
        return pgd(
            classifier.classify,
            x,
            y,
            settings.eps,
            settings.steps,
            settings.step_size,
            settings.random_start,
            generator,
        )
    if perturber is None:
        raise ConfigError("--method advgan needs an AdvGAN run: --generator RUN")
    return project(perturber.perturb(x).to(x.device), x, settings.eps)


@dataclass
class AttackResult:
    settings: AttackSettings
    clean: torch.Tensor  # (N, C, H, W) in [-1, 1]
    adversarial: torch.Tensor  # (N, C, H, W), on the 8-bit grid, within eps
    labels: torch.Tensor  # (N,) true labels
    clean_predictions: torch.Tensor  # (N,)
    adversarial_predictions: torch.Tensor  # (N,)
    cpu_seconds: float  # making the adversarial images (this process, all threads)
    wall_seconds: float

    @property
    def n(self) -> int:
        return len(self.labels)

    @property
    def clean_accuracy(self) -> float:
        return float((self.clean_predictions == self.labels).float().mean())

    @property
    def accuracy(self) -> float:
        """Accuracy under attack, over all images."""
        return float((self.adversarial_predictions == self.labels).float().mean())

    @property
    def success_rate(self) -> float:
        """Among the images right when clean, the fraction the attack makes wrong."""
        right = self.clean_predictions == self.labels
        if not right.any():
            return float("nan")
        return float((self.adversarial_predictions[right] != self.labels[right]).float().mean())

    @property
    def max_change(self) -> float:
        """The largest pixel change, on the [0, 1] pixel scale."""
        return float((self.adversarial - self.clean).abs().max()) / 2 if self.n else 0.0

    def summary(self) -> dict:
        return {
            **self.settings.record_params(),
            "images": self.n,
            "clean_accuracy": self.clean_accuracy,
            "accuracy": self.accuracy,
            "success_rate": None if math.isnan(self.success_rate) else self.success_rate,
            "max_change": self.max_change,
            "cpu_seconds": self.cpu_seconds,
            "images_per_cpu_second": self.n / max(self.cpu_seconds, 1e-9),
            "wall_seconds": self.wall_seconds,
        }


def run_attack(
    classifier: Classifier,
    x: torch.Tensor,
    y: torch.Tensor,
    settings: AttackSettings,
    perturber: Perturber | None = None,
    batch_size: int = 128,
) -> AttackResult:
    """Attack every image of ``x`` (labels ``y``) in batches; the timing covers making the
    adversarial images only, not classifying them afterwards."""
    if batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {batch_size}")
    if isinstance(classifier, nn.Module):
        classifier.eval()
    device = _device(classifier)
    generator = torch.Generator().manual_seed(settings.seed)
    adversarial = []
    cpu, wall = time.process_time(), time.perf_counter()
    for xb, yb in zip(x.split(batch_size), y.split(batch_size)):
        xb, yb = xb.to(device), yb.to(device)
        adversarial.append(perturb_batch(classifier, xb, yb, settings, perturber, generator).cpu())
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    x_adv = quantize_within(torch.cat(adversarial), x, settings.eps) if len(x) else x
    predict = [
        torch.cat([_classify(classifier, chunk, device) for chunk in images.split(batch_size)])
        for images in (x, x_adv)
    ]
    return AttackResult(settings, x, x_adv, y, predict[0], predict[1], cpu, wall)
