"""What every model family gives the trainer: its phases, a step function, and sampling.

A phase names the sub-networks it optimizes and how often it runs. The trainer owns the
optimizers, backward passes, mixed precision, EMA, data parallelism and checkpoints; a model
only says what its losses are (``train_step`` returns a dict whose ``"loss"`` entry is minimized).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch
from torch import nn

from ..data.types import Batch, DataSpec
from ..errors import ConfigError
from ..run_folder import Checkpoint
from .pretrained import write_pretrained

__all__ = [
    "Batch",
    "DataSpec",
    "GenerativeModel",
    "Phase",
    "TargetSpec",
]  # Batch, DataSpec: data/types.py


@dataclass
class TargetSpec:
    """Where a model's target classifier comes from: a classifier run folder or a TorchScript
    file, and for the latter the range its inputs take ("-1,1", artgan's, or "0,1")."""

    source: str
    input_range: str = "-1,1"


@dataclass
class Phase:
    name: str
    modules: list[str]  # attribute names of the sub-networks this phase updates
    lr: float
    betas: tuple[float, float] = (0.5, 0.999)
    every: int = 1  # run on steps divisible by this
    repeat: int = 1  # run this many times per step, each on a fresh batch (n_critic)
    weight_decay: float = 0.0
    clip_grad_norm: float = 0.0  # clip the phase's global gradient norm to this (0 = off)


def critic_then_generator(train, critic_steps: int = 1) -> list[Phase]:
    """The adversarial step every GAN here takes: D (``critic_steps`` times, each on a fresh
    batch), then G, with the run's learning rates and Adam betas."""
    betas = (train.beta1, train.beta2)
    return [
        Phase("D", ["D"], train.lr_d, betas, repeat=critic_steps),
        Phase("G", ["G"], train.lr_g, betas),
    ]


class GenerativeModel(nn.Module):
    """Base class of every family. Subclasses set ``name`` and ``config_class``."""

    name: ClassVar[str]
    config_class: ClassVar[type]
    origin: Checkpoint | None = None  # set by artgan.load: the checkpoint it came from
    output_kind: ClassVar[str] = "image"  # image | points | audio | text
    # Train with 4-D weights and activations in channels-last (NHWC) memory, which oneDNN's
    # CPU convolutions run faster: a family sets it where it measured the gain in CPU seconds a
    # training step (DCGAN 10 % less in fp32, 16 % in bf16; ResNet 31 % and 48 %). FastGAN
    # does not: it took 50 % more in fp32 and 90 % more in bf16.
    channels_last: ClassVar[bool] = False

    def __init__(self, config) -> None:
        super().__init__()
        self.config = config

    @classmethod
    def kind_from_config(cls, model_config: dict) -> str:
        """``output_kind`` from a run's saved model config, without building the networks."""
        return cls.output_kind

    # --- training ------------------------------------------------------------------------
    def phases(self, train) -> list[Phase]:
        raise NotImplementedError

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def after_phase_step(self, phase: str) -> None:
        """Called after the optimizer step of ``phase`` (e.g. WGAN weight clipping)."""

    def ema_modules(self) -> list[str]:
        """Sub-networks whose weights are averaged (EMA) and used for sampling."""
        return []

    def refresh_ema_statistics(self) -> None:
        """Called with the EMA sub-networks in place before a preview or a checkpoint: re-estimate
        what averaging weights cannot give (batch-norm statistics). Nothing by default."""

    def warm_start_run(self) -> str:
        """A run whose weights this model starts from (its config names it), or "". The
        trainer loads that run and hands it to :meth:`warm_start`: a model never loads another
        run by itself."""
        return ""

    def warm_start(self, source: GenerativeModel) -> None:
        """Take the starting weights from ``source``, the loaded :meth:`warm_start_run`."""

    def target_classifier(self) -> TargetSpec | None:
        """A classifier this model trains against and never changes (AdvGAN's target), or
        None. The trainer loads it (training/targets.py) and hands it to :meth:`attach_target`:
        a model never loads another run by itself, and the target is no part of its weights."""
        return None

    def attach_target(self, classifier) -> None:
        """Keep ``classifier``, the loaded :meth:`target_classifier`, for the training steps."""

    def extra_training_state(self) -> dict:
        """Training state beyond weights (e.g. an image history pool): tensors and plain
        containers only, saved in training_state.pt and restored on resume."""
        return {}

    def load_extra_training_state(self, state: dict) -> None:
        """Restore what :meth:`extra_training_state` returned."""

    def save_pretrained(self, folder: str | Path) -> Path:
        """Write the model as a Hugging Face Hub-style folder (``config.json``,
        ``model.safetensors``, ``README.md`` model card): ``artgan.from_pretrained(folder)``
        reads it back, and ``huggingface-cli upload`` publishes it as it is."""
        return write_pretrained(self, folder)

    # --- generation ----------------------------------------------------------------------
    @property
    def conditional(self) -> bool:
        """True for a class-conditional model (its labels come from the data)."""
        return False

    def sample(self, n: int, seed: int | None = None, **options) -> torch.Tensor:
        """``n`` samples on the CPU, deterministic by ``seed``. ``options`` are the keyword
        arguments the family's :meth:`draw` declares; any other is an error, not ignored."""
        check_options(self, options)
        return self.draw(n, seed, **options)

    def draw(self, n: int, seed: int | None = None) -> torch.Tensor:
        """What a family implements for :meth:`sample`, with its options as keywords."""
        raise NotImplementedError

    @classmethod
    def sample_options(cls) -> list[str]:
        """The options ``sample`` takes: the keyword arguments of :meth:`draw`."""
        names = list(inspect.signature(cls.draw).parameters)
        return [name for name in names if name not in ("self", "n", "seed")]

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device


def check_options(model: GenerativeModel, options: dict) -> None:
    unknown = sorted(set(options) - set(model.sample_options()))
    if unknown:
        valid = ", ".join(model.sample_options()) or "none"
        raise ConfigError(
            f"{model.name} does not take {', '.join(unknown)} when sampling; "
            f"its options are: {valid}"
        )


def make_generator(seed: int | None, generator: torch.Generator | None = None) -> torch.Generator:
    """A CPU generator: latents are drawn on the CPU so a seed means the same thing everywhere."""
    if generator is not None:
        return generator
    g = torch.Generator()
    if seed is None:
        g.seed()
    else:
        try:
            g.manual_seed(int(seed))
        except (RuntimeError, ValueError, OverflowError):
            raise ConfigError(f"seed {seed} does not fit in 64 bits (0 to 2**64-1)") from None
    return g
