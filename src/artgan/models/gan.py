"""The adversarial game shared by every GAN architecture (Goodfellow et al. 2014).

A family subclass builds ``G`` and ``D``; this class owns the two phases (discriminator then
generator), the composed objective (losses/objective.py), and latent sampling. ``D`` must offer
``features(x)`` and ``head(features)`` with ``D(x) == D.head(D.features(x))``.

Class-conditional GANs (``model.conditional``): G and D take soft label rows ``y`` (B, K) as a
second argument (``G(z, y)``, ``D(x, y)``, ``D.features(x, y)``, ``D.head(features, y)``); fakes
get the labels of the real batch they are judged beside, so classes are drawn as often as the
data has them. With ``model.cond_d acgan`` (Odena et al. 2017, "Conditional Image Synthesis with
Auxiliary Classifier GANs") both players also minimise the cross-entropy of D's class
prediction (``D.classify``), D on real and fake images, G on its fakes.

One generator forward a step (as the reference DCGAN loop, Radford et al.'s PyTorch example,
takes it): when D is trained once a step, the D phase makes its fake batch *with* the graph
and the G phase that follows in the same step judges that same batch again with the updated D,
instead of drawing new latents and running G a second time. G has not changed in between (only
D stepped), so the update is the one a fresh forward from the same latents would give, at one
forward pass less. With several critic steps a step (WGAN, WGAN-GP), the papers' loops draw
fresh latents for G, and so does this class. :meth:`GAN.reuses_fake` says which.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm

from ..errors import ConfigError
from ..losses.objective import GANObjective
from ..nn.conditional import as_soft_labels
from ..nn.modes import evaluating
from .base import Batch, GenerativeModel, Phase, critic_then_generator, make_generator
from .capabilities import LatentGenerator
from .conditioning import ClassRequest, resolve_labels
from .truncation import truncated_normal

STANDING_STATISTICS_SEED = 1_000_003


def standing_statistics_batches(values_per_sample: int) -> tuple[int, int]:
    """(batches, batch size) for re-measuring batch-norm statistics: 1,024 samples up to
    64x64x3 values each (what the 32-64 px families always used), then fewer down to 256, so
    that a 256 px FastGAN does not spend minutes on it at every preview and checkpoint on a
    CPU (256 samples still give each channel statistics over millions of values)."""
    reference = 64 * 64 * 3
    samples = int(min(1024, max(256, 1024 * reference / max(1, values_per_sample))))
    batch_size = 64 if values_per_sample <= reference else 16
    return max(1, samples // batch_size), batch_size


class GAN(GenerativeModel, LatentGenerator):
    def __init__(self, config) -> None:
        super().__init__(config)
        if config.objective.ada and self.output_kind != "image":
            raise ConfigError(
                f"objective.ada augments images and {self.name} here makes {self.output_kind}; "
                "set --model.objective.ada false"
            )
        self.G, self.D = self.build_networks()
        self.objective = GANObjective(config.objective)
        self._kept_fake: tuple | None = None  # (step, fake, *labels): see reuses_fake

    def build_networks(self) -> tuple[torch.nn.Module, torch.nn.Module]:
        raise NotImplementedError

    # --- latent space ---------------------------------------------------------------------
    @property
    def z_dim(self) -> int:
        return self.config.z_dim

    def latents(
        self,
        n: int,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        truncation: float = 0.0,
    ) -> torch.Tensor:
        """Standard normal latents drawn on the CPU (same seed, same z on any device).
        ``truncation`` t > 0 narrows them by the family's ``truncation_method`` (resampling
        components outside [-t, t], Brock et al. 2019; see models/truncation.py)."""
        g = make_generator(seed, generator)
        return truncated_normal(n, self.z_dim, g, truncation, self.truncation_method)

    @property
    def conditional(self) -> bool:
        return bool(getattr(self.config, "conditional", False))

    @property
    def class_names(self) -> list[str]:
        return list(getattr(self.config, "class_names", []) or [])

    def labels(self, classes: ClassRequest, n: int) -> torch.Tensor | None:
        """Soft label rows (n, K) for a class request (see models/conditioning.py)."""
        return resolve_labels(self.config, classes, n)

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if not self.conditional:
            return self.G(z.to(self.device))
        if labels is None:
            labels = self.labels(None, z.shape[0])
        y = as_soft_labels(labels, self.config.num_classes).to(self.device)
        return self.G(z.to(self.device), y)

    @torch.no_grad()
    def refresh_ema_statistics(self, batches: int | None = None, batch_size: int = 64) -> None:
        """Batch-norm statistics for the averaged generator ("standing statistics", Brock et al.
        2019). The EMA averages weights only; the running means and variances it would
        otherwise carry belong to the live generator, whose activations differ, and samples
        come out washed out. Re-measured here from fresh batches with the generator in
        training mode, from a private seed (the training RNG is untouched): ``batches`` of
        ``batch_size``, by default :func:`standing_statistics_batches` for the image size."""
        norms = [m for m in self.G.modules() if isinstance(m, _BatchNorm)]
        if not norms:
            return
        was_training, momenta = self.G.training, [m.momentum for m in norms]
        generator = torch.Generator().manual_seed(STANDING_STATISTICS_SEED)
        # Layers that draw noise in training mode (FastGAN's noise injection) must not move
        # the training RNG, or a resumed run would differ from one that never stopped.
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            if batches is None:
                self.G.eval()  # a probe for the output size that leaves the statistics alone
                probe = self.generate(self.latents(1, generator=generator))
                batches, batch_size = standing_statistics_batches(probe[0].numel())
            for norm in norms:
                norm.reset_running_stats()
                norm.momentum = None  # a cumulative average over the batches
            self.G.train()
            for _ in range(batches):
                self.generate(self.latents(batch_size, generator=generator))
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum
        self.G.train(was_training)

    @torch.no_grad()
    def draw(
        self,
        n: int,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        truncation: float = 0.0,
        batch_size: int = 256,
        classes: ClassRequest = None,
    ) -> torch.Tensor:
        """``n`` samples in [-1, 1], deterministic by ``seed``; returned on the CPU.
        ``classes`` (conditional models): a class name, a blend ``"a:0.5,b:0.5"``, a list of
        one request per sample, or label rows; None cycles through the classes."""
        y = self.labels(classes, n)
        with evaluating(self):
            z = self.latents(n, seed, generator, truncation)
            if y is None:
                out = [self.generate(chunk).float().cpu() for chunk in z.split(batch_size)]
            else:
                out = [
                    self.generate(zc, yc).float().cpu()
                    for zc, yc in zip(z.split(batch_size), y.split(batch_size))
                ]
        return torch.cat(out)

    # --- training -------------------------------------------------------------------------
    def phases(self, train) -> list[Phase]:
        return critic_then_generator(train, self.config.objective.critic_steps)

    def ema_modules(self) -> list[str]:
        return ["G"]

    def extra_training_state(self) -> dict:
        return {"objective": self.objective.state_dict()}  # the ADA strength p

    def load_extra_training_state(self, state: dict) -> None:
        self.objective.load_state_dict(state.get("objective", {}))

    def _noise(self, batch: Batch) -> torch.Tensor:
        return torch.randn(batch.x.shape[0], self.z_dim, device=batch.x.device)

    def reuses_fake(self) -> bool:
        """True when the G phase judges the D phase's fake batch again (module docstring):
        one D step per step, and no feature matching in a conditional model (whose real
        features would then be read with labels of another batch)."""
        o = self.config.objective
        return o.critic_steps == 1 and not (self.conditional and o.feature_matching > 0)

    def _fake_for_d(self, batch: Batch, step: int, *y: torch.Tensor) -> torch.Tensor:
        """The D phase's fake batch; kept, with its graph, for the G phase of this step when
        :meth:`reuses_fake`. The D losses see it detached."""
        if not self.reuses_fake():
            with torch.no_grad():
                return self.G(self._noise(batch), *y)
        fake = self.G(self._noise(batch), *y)
        self._kept_fake = (step, fake, *y)
        return fake.detach()

    def _kept_fake_for(self, batch: Batch, step: int) -> tuple | None:
        """(fake, *labels) the D phase of this step kept, taken once; None when there is none
        (a G phase called on its own, or another batch size)."""
        kept, self._kept_fake = self._kept_fake, None
        if kept is None or kept[0] != step or kept[1].shape[0] != batch.x.shape[0]:
            return None
        return kept[1:]

    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        if self.conditional:
            return self._conditional_step(phase, batch, step)
        if phase == "D":
            fake = self._fake_for_d(batch, step)
            return self.objective.discriminator_losses(
                self.D, batch.x, fake, real_extra=self.real_extra_losses()
            )
        kept = self._kept_fake_for(batch, step)
        fake = kept[0] if kept else self.G(self._noise(batch))
        return self.objective.generator_losses(self.D, fake, real=batch.x)

    def real_extra_losses(self):
        """More D losses from D's pass over the real batch, or None: a callable
        ``(real_input, real_features) -> {name: loss}`` (see GANObjective.discriminator_losses).
        FastGAN's self-supervised reconstruction is one."""
        return None

    def _conditional_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        if batch.y is None:
            raise ConfigError("a conditional model needs labelled batches (data with classes)")
        y = as_soft_labels(batch.y, self.config.num_classes)
        acgan = self.config.cond_d == "acgan"
        if phase == "D":
            fake = self._fake_for_d(batch, step, y)
            losses = self.objective.discriminator_losses(
                self.D, batch.x, fake, real_extra=self.real_extra_losses(), y=y
            )
            if acgan:
                cls = self._class_loss(batch.x, y) + self._class_loss(fake, y)
                losses["loss"] = losses["loss"] + self.config.acgan_weight * cls
                losses["d_cls"] = cls.detach()
            return losses
        kept = self._kept_fake_for(batch, step)
        # A kept fake is judged with the labels it was made for.
        fake, y = kept if kept else (self.G(self._noise(batch), y), y)
        losses = self.objective.generator_losses(self.D, fake, real=batch.x, y=y)
        if acgan:
            cls = self._class_loss(fake, y)
            losses["loss"] = losses["loss"] + self.config.acgan_weight * cls
            losses["g_cls"] = cls.detach()
        return losses

    def _class_loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of D's auxiliary classifier against (soft) labels ``y`` (AC-GAN)."""
        logits = self.D.classify(self.D.features(self.objective.augment(x)))
        return F.cross_entropy(logits.float(), y)

    def after_phase_step(self, phase: str) -> None:
        if phase == "D":
            self.objective.clip_weights(self.D)
