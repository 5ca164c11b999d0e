"""DCGAN specifics beyond the shared model checks."""

import pytest
import torch
from torch import nn

from artgan.config import from_dict
from artgan.models.dcgan import DCGAN, DCGANConfig
from tests.conftest import TINY_MODELS


def discriminator_convs(**changes) -> list[nn.Conv2d]:
    cfg = {**TINY_MODELS["dcgan"], **changes}
    cfg.pop("name")
    return [m for m in DCGAN(from_dict(DCGANConfig, cfg)).D.modules() if isinstance(m, nn.Conv2d)]


@pytest.mark.parametrize(
    "changes",
    [{"spectral_norm": True}, {"objective": {"loss": "wgan-gp"}}, {"d_norm": "none"}],
)
def test_a_discriminator_without_normalisation_has_biases(changes):
    """Without them the network is positively homogeneous: D(0) = 0 for any weights, and a
    generator collapsed to grey (0) got no useful gradient (seen: SN-DCGAN stayed grey)."""
    cfg = {**TINY_MODELS["dcgan"], **changes}
    cfg.pop("name")
    model = DCGAN(from_dict(DCGANConfig, cfg))
    convs = [m for m in model.D.modules() if isinstance(m, nn.Conv2d)]
    assert convs and all(conv.bias is not None and conv.bias.requires_grad for conv in convs)
    with torch.no_grad():
        for conv in convs:
            conv.bias.fill_(0.1)
        grey = torch.zeros(2, cfg["channels"], cfg["image_size"], cfg["image_size"])
        assert model.D(grey).abs().min() > 0  # a bias-free one gives exactly 0 here


def test_batch_norm_discriminator_keeps_the_reference_bias_free_layers():
    assert all(conv.bias is None for conv in discriminator_convs())
