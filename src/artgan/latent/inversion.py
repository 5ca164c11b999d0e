"""GAN inversion by optimisation: find the latent z (and, for a conditional model, the class
mixture) whose generated image matches a real one.

The generator is frozen; z starts from the best of several random draws and is moved by Adam
to minimise ``pixel MSE + perceptual_weight * feature MSE + prior_weight * mean(z^2)``, where
the features are EfficientNet-Lite0 feature maps of both images upsampled to 128 px (the
offline network of losses/perceptual.py), the perceptual term of Zhu et al. 2016 ("Generative
Visual Manipulation on the Natural Image Manifold") and Abdal et al. 2019 (Image2StyleGAN),
with a VGG replaced by the network artgan ships. A conditional model's class is optimised as
softmax(logits), unless the class is given.

Latents are saved as a dict of tensors and plain values (torch.save) and read back with
``torch.load(weights_only=True)``: nothing is ever unpickled.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..atomic import atomic_write_bytes
from ..data.folder import try_decode
from ..errors import ArtganError, DataError
from ..losses.perceptual import PerceptualLoss
from ..provenance.record import record_for_model

LATENT_FORMAT = "artgan-latent-1"
PERCEPTUAL_SIZE = 128  # feature maps of tiny images are taken at this size


@dataclass
class Inversion:
    z: torch.Tensor  # (1, z_dim)
    labels: torch.Tensor | None  # (1, K) soft row for conditional models
    reconstruction: torch.Tensor  # (1, C, H, W) in [-1, 1]
    pixel_mse: float  # final mean squared error in [-1, 1] pixels
    initial_pixel_mse: float  # of the best random start, before optimising
    perceptual: float  # final feature distance (0 when the term is off)
    losses: list[float]  # total loss per step

    @property
    def psnr(self) -> float:
        """Peak signal-to-noise ratio in dB (pixel range 2)."""
        return 10 * math.log10(4.0 / max(self.pixel_mse, 1e-12))


class _FeatureDistance:
    """Mean squared distance of EfficientNet-Lite0 feature maps to one fixed target image,
    whose features are computed once."""

    def __init__(self, target: torch.Tensor):
        self.net = PerceptualLoss().network(target.device)
        with torch.no_grad():
            self.target = self.net(_resize(target)).float()

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(self.net(_resize(image)).float(), self.target)


def _resize(x: torch.Tensor) -> torch.Tensor:
    if x.shape[-1] >= PERCEPTUAL_SIZE:
        return x
    return F.interpolate(x, size=(PERCEPTUAL_SIZE, PERCEPTUAL_SIZE), mode="bilinear")


def invert(
    model,
    target: torch.Tensor,
    steps: int = 300,
    lr: float = 0.05,
    perceptual_weight: float = 1.0,
    prior_weight: float = 1e-3,
    restarts: int = 16,
    seed: int = 0,
    labels: torch.Tensor | None = None,
) -> Inversion:
    """Invert ``target`` (C, H, W) or (1, C, H, W) in [-1, 1]. ``labels``: a (K,) or (1, K)
    soft row to hold the class fixed (conditional models); None optimises it too."""
    if steps < 0 or restarts < 1 or lr <= 0:
        raise ArtganError("inversion needs steps >= 0, restarts >= 1 and lr > 0")
    device = model.device
    target = target.reshape(1, *target.shape[-3:]).float().to(device)
    conditional = model.conditional
    was_training = model.training
    model.eval()
    frozen = [p.requires_grad for p in model.parameters()]
    model.requires_grad_(False)
    perceptual = _FeatureDistance(target) if perceptual_weight > 0 else None
    try:
        z0, y0 = _best_start(model, target, restarts, seed, labels, conditional)
        z = z0.clone().to(device).requires_grad_(True)
        params = [z]
        logits = None
        if conditional and labels is None:
            logits = torch.zeros(1, model.config.num_classes, device=device, requires_grad=True)
            params.append(logits)
        optimizer = torch.optim.Adam(params, lr=lr)
        history = []

        def label_row() -> torch.Tensor | None:
            if not conditional:
                return None
            return logits.softmax(1) if logits is not None else y0.to(device)

        for _ in range(steps):
            image = model.generate(z, label_row()) if conditional else model.generate(z)
            loss = F.mse_loss(image, target) + prior_weight * z.pow(2).mean()
            if perceptual is not None:
                loss = loss + perceptual_weight * perceptual(image)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            history.append(loss.item())
        with torch.no_grad():
            y = label_row()
            image = model.generate(z, y) if conditional else model.generate(z)
            pixel = float(F.mse_loss(image, target))
            feature = float(perceptual(image)) if perceptual is not None else 0.0
            start = model.generate(z0.to(device), y0) if conditional else model.generate(z0)
            initial = float(F.mse_loss(start, target))
    finally:
        for p, flag in zip(model.parameters(), frozen):
            p.requires_grad_(flag)
        model.train(was_training)
    return Inversion(
        z.detach().cpu(),
        y.detach().cpu() if y is not None else None,
        image.detach().cpu(),
        pixel,
        initial,
        feature,
        history,
    )


@torch.no_grad()
def _best_start(model, target, restarts: int, seed: int, labels, conditional: bool):
    """The random latent (of ``restarts`` draws) whose image is closest to the target."""
    z = model.latents(restarts, seed=seed)
    y = None
    if conditional:
        k = model.config.num_classes
        y = torch.full((1, k), 1.0 / k) if labels is None else labels.reshape(1, k).float()
        y = y.to(model.device)
        images = model.generate(z, y.expand(restarts, -1))
    else:
        images = model.generate(z)
    errors = (images - target).pow(2).flatten(1).mean(1)  # (restarts,)
    best = int(errors.argmin())
    return z[best : best + 1], y


def save_latent(path: str | Path, inversion: Inversion, model) -> Path:
    """Write the latent (and class row) with what it belongs to; atomic."""
    record = record_for_model(model)
    data = {
        "format": LATENT_FORMAT,
        "z": inversion.z,
        "model_family": model.name,
        "weights_sha256": record.weights_sha256,
        "pixel_mse": inversion.pixel_mse,
    }
    if inversion.labels is not None:
        data["labels"] = inversion.labels
    buffer = io.BytesIO()
    torch.save(data, buffer)
    path = Path(path)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def load_latent(path: str | Path, model=None) -> dict:
    """Read a latent file safely (weights_only) and check it fits ``model``."""
    path = Path(path)
    if not path.is_file():
        raise ArtganError(f"latent file not found: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # corrupted zip, refused pickle: never fall back to unpickling
        raise ArtganError(
            f"{path} is not a readable artgan latent file ({type(error).__name__}); "
            "write one with artgan invert"
        ) from None
    if not isinstance(data, dict) or data.get("format") != LATENT_FORMAT:
        raise ArtganError(f"{path} is not an artgan latent file; write one with artgan invert")
    z = data.get("z")
    if not isinstance(z, torch.Tensor) or z.dim() != 2:
        raise ArtganError(f"{path} holds no latent vector")
    if model is not None:
        if z.shape[1] != model.z_dim:
            raise ArtganError(
                f"{path} holds a {z.shape[1]}-d latent, but this model's latent has "
                f"{model.z_dim} dimensions; invert the image with this model"
            )
        labels = data.get("labels")
        conditional = model.conditional
        if conditional and (labels is None or labels.shape[-1] != model.config.num_classes):
            raise ArtganError(f"{path} has no class row for this conditional model")
        if labels is not None and not conditional:
            raise ArtganError(
                f"{path} was inverted with a conditional model; this {model.name} model has "
                "no classes"
            )
    return data


def read_target(path: Path, size: int, channels: int) -> torch.Tensor:
    """The image at ``path``, centre-cropped and resized: (C, H, W) in [-1, 1]."""
    if not path.is_file():
        raise DataError(f"image not found: {path}")
    array, reason = try_decode(path, size, "grey" if channels == 1 else "rgb")
    if array is None:
        raise DataError(f"cannot read {path} as an image: {reason}")
    return torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).float() / 127.5 - 1.0
