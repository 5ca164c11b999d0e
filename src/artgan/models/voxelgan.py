"""VoxelGAN: 3-D objects learned from 2-D pictures, after PlatonicGAN (Henzler, Mitra & Ritschel,
ICCV 2019, "Escaping Plato's Cave: 3D Shape From Adversarial Rendering"); with voxel data, the
3D-GAN of Wu et al. (NeurIPS 2016, "Learning a Probabilistic Latent Space of Object Shapes via
3D Generative-Adversarial Modeling").

Generator (3D-GAN's): a latent grown to a 4^3 grid by a 3-D transposed convolution, doubled by
strided 3-D transposed convolutions with batch norm and ReLU up to ``image_size``^3 (32 or 64),
out: 4 channels through a sigmoid, opacity then RGB colour in [0, 1].

Trained from pictures (``model.supervision`` images, what 2-D data gives): every generated grid
is turned to a random view (azimuth all round, elevation in [elevation_min, elevation_max]
degrees) and projected (data/projection.py: emission-absorption for colour pictures, or the
visual hull ``1 - exp(-sum density)`` for silhouettes, ``model.projection hull``), and a 2-D
discriminator (DCGAN's) compares the projections with the real pictures. As in the paper, the
pictures' views are not known, only their distribution, which the model assumes. In hull mode
real pictures become silhouettes: a one-channel picture is taken as one (white object on black),
a colour one is whatever differs from the background.

Trained from voxel grids (``shapes3d-voxels``): the same generator against a 3-D discriminator
(3D-GAN's: strided 3-D convolutions, batch norm, LeakyReLU). The adversarial objective is the
shared one (losses/objective.py) in both cases; augmentations of D's input are for pictures.

Differences from the papers, and why: DCGAN-sized networks (``width``) so that a 32^3 model trains
on a CPU; the non-saturating loss with Adam(2e-4, 0.5) of DCGAN rather than 3D-GAN's adaptive D
updates; orthographic views; the opacity output starts low (STARTING_DEPTH), so a new generator's
grid projects to a faint cloud: at sigmoid(0) every ray is absorbed within a few voxels, the
projection is an opaque block whatever the grid holds, and D won at once in a first trial.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from ..config import DefaultsContext, ModelConfig, budget_presets
from ..data.projection import absorption, render
from ..data.shapes3d import ELEVATION_DEG, lit_grey
from ..errors import ConfigError
from ..losses.objective import ObjectiveConfig
from ..nn.layers import dcgan_init, spectral
from ..registry import MODELS
from .base import Batch, DataSpec
from .capabilities import VolumeGenerator
from .gan import GAN

SIZES = (16, 32, 64)  # 16: tests and quick looks
PROJECTIONS = ("absorption", "hull")
LUMA = (0.299, 0.587, 0.114)  # ITU-R 601, as Pillow: colour projections for grey pictures
SILHOUETTE_CONTRAST = 4.0  # a picture differing from the background by 1/4 is fully object
STARTING_DEPTH = 0.5  # optical depth of a ray across a new generator's grid


@dataclass
class VoxelGANConfig(ModelConfig):
    name: ClassVar[str] = "voxelgan"
    image_size: int = 32  # the grid's side and the pictures' side
    channels: int = 3  # of the training pictures (set from the data): 3 colour, 1 grey
    z_dim: int = 200  # 3D-GAN's
    width: int = 32  # generator channels at the last hidden layer (doubling towards z)
    d_width: int = 32  # discriminator channels at its first layer
    projection: str = "absorption"  # absorption (colour pictures) | hull (silhouettes)
    supervision: str = "images"  # images (2-D D on projections) | voxels: set from the data
    elevation_min: float = ELEVATION_DEG[0]  # degrees: the views the pictures are assumed from
    elevation_max: float = ELEVATION_DEG[1]
    background: float = 1.0  # grey level behind the object in the pictures (1 white, 0 black)
    spectral_norm: bool = False  # on the discriminator's layers
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)

    def __post_init__(self) -> None:
        if self.image_size not in SIZES:
            raise ConfigError(
                f"voxelgan makes grids of side {', '.join(map(str, SIZES))}, got {self.image_size}"
            )
        if self.channels not in (1, 3):
            raise ConfigError(f"channels must be 1 or 3, got {self.channels}")
        if self.z_dim < 1 or self.width < 1 or self.d_width < 1:
            raise ConfigError("model.z_dim, model.width and model.d_width must be at least 1")
        if self.projection not in PROJECTIONS:
            raise ConfigError(
                f"model.projection must be {' or '.join(PROJECTIONS)}, got {self.projection!r}"
            )
        if self.supervision not in ("images", "voxels"):
            raise ConfigError(
                f"model.supervision is images or voxels (set from the data), got "
                f"{self.supervision!r}"
            )
        if not -90.0 <= self.elevation_min <= self.elevation_max <= 90.0:
            raise ConfigError("model.elevation_min <= model.elevation_max, both in [-90, 90]")
        if not 0.0 <= self.background <= 1.0:
            raise ConfigError("model.background is a grey level in [0, 1]")
        if self.supervision == "voxels" and (self.objective.diffaugment or self.objective.ada):
            raise ConfigError(
                "objective.diffaugment and objective.ada augment pictures; a voxelgan trained "
                "on voxel grids takes neither"
            )

    @classmethod
    def presets(cls, context: DefaultsContext) -> dict[str, dict[str, Any]]:
        # quick: minutes on a laptop CPU; cpu: about an hour there; gpu: the papers' scale.
        return budget_presets(
            {
                "model.width": (8, 16, 64),
                "model.d_width": (16, 32, 64),
                "train.batch_size": (16, 32, 64),
                "train.steps": (300, 3000, 20000),
            }
        )

    def with_data(self, spec: DataSpec) -> VoxelGANConfig:
        shape = tuple(spec.shape)
        if len(shape) == 4:  # voxel grids (4, D, D, D): the 3-D discriminator
            if shape != (4, *[self.image_size] * 3):
                raise ConfigError(
                    f"voxel data of shape {shape} does not fit model.image_size "
                    f"{self.image_size}: grids must be (4, {self.image_size}, {self.image_size}, "
                    f"{self.image_size}), opacity then RGB"
                )
            self.supervision = "voxels"
        elif len(shape) == 3:
            self.supervision, self.channels = "images", shape[0]
        else:
            raise ConfigError(
                "voxelgan learns from pictures (a folder of images, shapes3d) or voxel grids "
                "(shapes3d-voxels), not from points or sequences"
            )
        self.__post_init__()
        return self


class VoxelGenerator(nn.Module):
    """z -> (B, 4, S, S, S) grids in [0, 1]: opacity, then RGB."""

    def __init__(self, c: VoxelGANConfig):
        super().__init__()
        n_up = int(math.log2(c.image_size)) - 2  # 4^3 -> image_size^3
        ch = c.width * 2 ** (n_up - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose3d(c.z_dim, ch, 4, 1, 0, bias=False),
            nn.BatchNorm3d(ch),
            nn.ReLU(True),
        ]
        for _ in range(n_up - 1):
            layers += [
                nn.ConvTranspose3d(ch, ch // 2, 4, 2, 1, bias=False),
                nn.BatchNorm3d(ch // 2),
                nn.ReLU(True),
            ]
            ch //= 2
        self.net = nn.Sequential(*layers, nn.ConvTranspose3d(ch, 4, 4, 2, 1))
        self.z_dim = c.z_dim

    def start_mostly_empty(self, side: int) -> None:
        """Opacity starts where a ray across the whole grid is absorbed by only
        ``1 - exp(-STARTING_DEPTH)``: a new generator's grids project to faint clouds on the
        background, not to an opaque block (Adam's steps do not shrink with the sigmoid's
        small slope there)."""
        opacity = STARTING_DEPTH / (absorption(side) * side)
        with torch.no_grad():
            self.net[-1].bias.copy_(torch.tensor([math.log(opacity / (1 - opacity)), 0, 0, 0]))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(z.view(z.shape[0], self.z_dim, 1, 1, 1)))  # (B, 4, S, S, S)


class ConvDiscriminator(nn.Module):
    """DCGAN's and 3D-GAN's critic, for pictures (``dims`` 2) or grids (3): strided 4-wide
    convolutions halving the side down to 4, batch norm (none under a gradient penalty, R1 or
    spectral norm) and LeakyReLU(0.2), then one 4-wide convolution to a score. Inputs in
    [-1, 1] (grids in [0, 1] are mapped there first)."""

    def __init__(self, c: VoxelGANConfig, channels: int, dims: int):
        super().__init__()
        conv = nn.Conv3d if dims == 3 else nn.Conv2d
        batch_norm = nn.BatchNorm3d if dims == 3 else nn.BatchNorm2d
        o, sn = c.objective, c.spectral_norm
        plain = o.uses_gradient_penalty or o.r1_gamma > 0 or sn
        self.grids = dims == 3
        ch = c.d_width
        # PacGAN: objective.pack samples arrive stacked along the channels.
        layers: list[nn.Module] = [
            spectral(conv(channels * o.pack, ch, 4, 2, 1), sn),
            nn.LeakyReLU(0.2, True),
        ]
        for _ in range(int(math.log2(c.image_size)) - 3):
            layers.append(spectral(conv(ch, ch * 2, 4, 2, 1, bias=plain), sn))
            layers += [nn.Identity() if plain else batch_norm(ch * 2), nn.LeakyReLU(0.2, True)]
            ch *= 2
        self.body = nn.Sequential(*layers)
        self.out = spectral(conv(ch, 1, 4, 1, 0), sn)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x * 2.0 - 1.0 if self.grids else x)  # (B, C, 4, 4[, 4])

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.out(features).view(-1)  # (B,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@MODELS.register("voxelgan")
class VoxelGAN(GAN, VolumeGenerator):
    name = "voxelgan"
    config_class = VoxelGANConfig
    output_kind = "mesh"

    def build_networks(self):
        c = self.config
        G = VoxelGenerator(c)
        if c.supervision == "voxels":
            D = ConvDiscriminator(c, channels=4, dims=3)
        else:
            D = ConvDiscriminator(c, channels=self.picture_channels, dims=2)
        dcgan_init(G)
        dcgan_init(D)
        G.start_mostly_empty(c.image_size)
        return G, D

    @property
    def picture_channels(self) -> int:
        """Channels of what the 2-D discriminator sees: silhouettes and grey pictures are one."""
        return 1 if self.config.projection == "hull" else self.config.channels

    @property
    def grid_size(self) -> int:
        return self.config.image_size

    # --- the projection --------------------------------------------------------------------
    def random_views(self, n: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """(azimuth, elevation) radians for ``n`` views of the assumed distribution, from the
        global RNG (saved with the training state, so a resumed run sees the same views)."""
        c = self.config
        low, high = math.radians(c.elevation_min), math.radians(c.elevation_max)
        azimuth = torch.rand(n, device=device) * (2 * math.pi)
        return azimuth, low + (high - low) * torch.rand(n, device=device)

    def project(self, volumes: torch.Tensor, azimuth, elevation) -> torch.Tensor:
        """What D compares with the pictures: projections in [-1, 1], picture_channels deep."""
        c = self.config
        pictures = render(volumes, azimuth, elevation, c.projection, c.background)
        if pictures.shape[1] == 3 and self.picture_channels == 1:
            luma = pictures.new_tensor(LUMA).view(1, 3, 1, 1)
            pictures = (pictures * luma).sum(1, keepdim=True)  # (B, 1, S, S)
        return pictures * 2.0 - 1.0

    def real_pictures(self, x: torch.Tensor) -> torch.Tensor:
        """Training pictures as D sees them: in hull mode, silhouettes (white object)."""
        if self.config.projection != "hull" or x.shape[1] == 1:
            return x
        background = self.config.background * 2.0 - 1.0
        difference = (x - background).abs().amax(dim=1, keepdim=True)  # (B, 1, S, S)
        return (difference * SILHOUETTE_CONTRAST).clamp(0.0, 1.0) * 2.0 - 1.0

    def judged(self, volumes: torch.Tensor) -> torch.Tensor:
        """A batch of grids as D sees it: the grids themselves, or projections from new views."""
        if self.config.supervision == "voxels":
            return volumes
        return self.project(volumes, *self.random_views(len(volumes), volumes.device))

    def render(self, volumes, azimuth, elevation) -> torch.Tensor:
        """Colour pictures in [0, 1] for people; a hull model's grids get a lit grey paint
        (its colours were never trained)."""
        volumes = volumes.to(self.device).float()
        if self.config.projection == "hull":
            volumes = lit_grey(volumes)
        return render(volumes, azimuth, elevation, "absorption", self.config.background)

    # --- training -------------------------------------------------------------------------
    def train_step(self, phase: str, batch: Batch, step: int) -> dict[str, torch.Tensor]:
        real = batch.x if self.config.supervision == "voxels" else self.real_pictures(batch.x)
        if phase == "D":
            fake = self.judged(self._fake_for_d(batch, step))
            return self.objective.discriminator_losses(self.D, real, fake)
        kept = self._kept_fake_for(batch, step)
        volumes = kept[0] if kept else self.G(self._noise(batch))
        losses = self.objective.generator_losses(self.D, self.judged(volumes), real=real)
        losses["opacity"] = volumes[:, 0].detach().mean()  # how full the grids are
        return losses
