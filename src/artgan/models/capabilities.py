"""What a family can do, declared by the types it inherits (DESIGN 11).

A family class lists its capabilities beside :class:`GenerativeModel`::

    class DCGAN(GAN):                                  # GAN is a LatentGenerator
    class SRResNet(GenerativeModel, Upscaler):
    class CharRNN(GenerativeModel, TextGenerator):

and callers ask ``isinstance(model, Upscaler)``, never the family's name or an attribute. Each
capability names the methods it promises; the defaults here raise NotImplementedError so a
family that declares a capability and forgets a method fails loudly in the shared model tests.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from ..errors import ConfigError
from .audio_windows import enhance_any_length
from .conditioning import ClassRequest


class LatentGenerator:
    """Draws samples from a prior over a latent space: ``latents`` then ``generate``."""

    # Truncation (models/truncation.py). ``truncation_method``: how ``truncation=T`` narrows
    # this family's prior. ``truncation_helps``: what bench/truncation.py measured on a trained
    # run (True: a lower KID at some T; False: FID and KID worse at every T, with either
    # method; None: not measured). Truncation is off unless asked for, and a family where it
    # does not help says so when it is (sample.truncation_note).
    truncation_method: ClassVar[str] = "resample"
    truncation_helps: ClassVar[bool | None] = None

    @property
    def z_dim(self) -> int:
        raise NotImplementedError

    def latents(
        self,
        n: int,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        truncation: float = 0.0,
    ) -> torch.Tensor:
        """(n, z_dim) latents drawn on the CPU, deterministic by ``seed``."""
        raise NotImplementedError

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Samples for the latents ``z`` (and label rows, for conditional models)."""
        raise NotImplementedError

    def labels(self, classes: ClassRequest, n: int) -> torch.Tensor | None:
        """Label rows for a class request; None for unconditional models."""
        return None

    def latent_weight(self) -> torch.Tensor:
        """The generator's first layer as a matrix (out, z_dim), for SeFa directions
        (latent/directions.py). Families whose first layer is linear in z declare it."""
        raise ConfigError(
            f"{self.name} models do not expose their first generator layer, so they have no SeFa "
            "directions (dcgan, fastgan, mlp and resnet do)"
        )


class ImageToImage:
    """Transforms an image rather than drawing one; previews show input beside output. It
    transforms the images it is given and invents none: ``sample`` without them is an error
    that names the command for files."""

    image_verb = "transforms"  # what it does to images, for messages
    file_command = ""  # the CLI command that applies it to a file

    def require_images(self, images: torch.Tensor | None, argument: str = "images") -> torch.Tensor:
        """``images``, or one clear error when there are none (no procedural stand-ins)."""
        if images is None:
            raise ConfigError(
                f"{self.name} {self.image_verb} images: pass {argument}=(N, C, H, W) in [-1, 1], "
                f"or {self.file_command}"
            )
        return images

    def preview_grid(self, dataset, n: int = 8) -> tuple[torch.Tensor, int]:
        """Rows of images for the first ``n`` training items, and the number of columns."""
        raise NotImplementedError


class Translator(ImageToImage):
    """Translates images between domains (CycleGAN, pix2pix)."""

    image_verb = "translates"
    file_command = "restyle a file with artgan stylize RUN photo.jpg --out out.png"
    directions: tuple[str, ...] = ("a2b",)

    @property
    def input_multiple(self) -> int:
        """``translate`` needs sides that are multiples of this."""
        raise NotImplementedError

    def translate(self, x: torch.Tensor, direction: str = "a2b") -> torch.Tensor:
        raise NotImplementedError


class Upscaler(ImageToImage):
    """Super-resolution: (B, C, h, w) -> (B, C, h * scale, w * scale)."""

    image_verb = "upscales"
    file_command = "enlarge a file with artgan upscale RUN small.png --out big.png"

    @property
    def scale(self) -> int:
        raise NotImplementedError

    def upscale(self, lr: torch.Tensor, batch_size: int = 16) -> torch.Tensor:
        raise NotImplementedError


class Inpainter(ImageToImage):
    """Fills the holes of images where a mask is 1."""

    image_verb = "fills holes in"
    file_command = "repair a file with artgan inpaint RUN photo.png --mask mask.png --out out.png"

    def inpaint(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class Encoder:
    """Maps images to a latent posterior and back (VAE, VAE-GAN)."""

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images in [-1, 1] -> the posterior's mean and log-variance, each (B, z_dim)."""
        raise NotImplementedError

    def reconstruct(self, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        raise NotImplementedError


class DensityModel(Encoder):
    """An encoder with an explicit likelihood p(x|z): its test log-likelihood can be
    estimated (metrics/likelihood.py: ELBO and IWAE)."""

    def likelihood_targets(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        raise NotImplementedError

    def log_likelihood(self, targets: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def likelihood_shape(self) -> tuple[int, ...] | None:
        """The shape of one image it measures, (C, H, W); None: any shape."""
        return None


class TextGenerator:
    """Writes text. ``sample`` gives token ids (a tensor, as for every family);
    ``generate_text`` gives the strings."""

    @property
    def vocabulary(self) -> list[str]:
        raise NotImplementedError

    def generate_text(
        self,
        n: int,
        seed: int | None = None,
        prime: str = "",
        length: int = 200,
        temperature: float = 1.0,
        top_k: int = 0,
    ) -> list[str]:
        raise NotImplementedError


class AudioGenerator:
    """Makes sounds: ``sample`` gives (n, 1, T) waveforms in [-1, 1] at ``sample_rate``."""

    @property
    def sample_rate(self) -> int:
        raise NotImplementedError


class VolumeGenerator:
    """Makes 3-D objects: ``sample`` gives voxel grids (n, 4, D, D, D), opacity then RGB colour,
    each in [0, 1] (data/projection.py's layout); ``render`` pictures grids from views with the
    projection the model was trained through; the surface is where opacity crosses
    ``surface_level`` (meshes by marching cubes, output kind ``mesh``)."""

    surface_level: ClassVar[float] = 0.5

    @property
    def grid_size(self) -> int:
        raise NotImplementedError

    def render(
        self, volumes: torch.Tensor, azimuth: torch.Tensor, elevation: torch.Tensor
    ) -> torch.Tensor:
        """(B, 4, D, D, D) grids seen from views (radians, (B,) each) -> RGB (B, 3, D, D) in
        [0, 1], for people to look at (turntables, sheets)."""
        raise NotImplementedError


class AudioDenoiser:
    """Removes noise from speech: ``denoise`` maps noisy (B, 1, window) waveforms in [-1, 1] at
    ``sample_rate`` to clean ones; ``enhance`` takes a sound of any length, in overlapping
    windows cross-faded together (models/audio_windows.py). It invents no sounds: ``sample``
    without inputs is an error that names the command for files."""

    file_command = "clean a recording with artgan denoise RUN noisy.wav --out clean.wav"

    @property
    def sample_rate(self) -> int:
        raise NotImplementedError

    @property
    def window(self) -> int:
        """Samples the network takes at once."""
        raise NotImplementedError

    def denoise(
        self, noisy: torch.Tensor, seed: int = 0, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """(B, 1, window) noisy waveforms -> (B, 1, window) enhanced ones, on the CPU,
        deterministic by ``seed`` or ``generator`` (for a generator that draws a latent)."""
        raise NotImplementedError

    def enhance(self, samples, seed: int = 0, batch_size: int = 8):
        """A mono (T,) float array of any length -> its enhanced (T,) float32 array."""
        return enhance_any_length(self, samples, seed=seed, batch_size=batch_size)

    def preview_rows(self, dataset, n: int = 4) -> torch.Tensor:
        """(3n, 1, window): noisy, enhanced and clean, for the first ``n`` training pairs."""
        raise NotImplementedError


class Classifier:
    """Assigns class labels to images: ``classify`` gives logits. Domain adaptation (issue 18)
    trains such runs; attacks (issue 19) and ``artgan eval --data LABELLED`` use any of them."""

    @property
    def class_names(self) -> list[str]:
        raise NotImplementedError

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the images it classifies, in [-1, 1]."""
        raise NotImplementedError

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) images in [-1, 1] -> (B, n_classes) logits; differentiable in ``x``."""
        raise NotImplementedError


class Perturber(ImageToImage):
    """Makes adversarial examples in one forward pass (AdvGAN): ``perturb`` gives images within
    ``eps`` of its inputs (L-infinity, on the [0, 1] pixel scale: ``2 * eps`` on the [-1, 1]
    tensors) and in range, meant to be misclassified by the classifier it was trained against."""

    image_verb = "perturbs"
    file_command = (
        "attack a classifier with artgan attack CLASSIFIER --method advgan --generator RUN "
        "--data DATA --out adv/"
    )

    @property
    def eps(self) -> float:
        raise NotImplementedError

    def perturb(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) in [-1, 1] -> adversarial images of the same shape, on the CPU."""
        raise NotImplementedError
