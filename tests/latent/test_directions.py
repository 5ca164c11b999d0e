"""SeFa and label-derived latent directions: orthonormality and known answers."""

import pytest
import torch

from artgan.config import from_dict
from artgan.errors import ArtganError, ConfigError
from artgan.latent import label_directions, sefa_directions
from artgan.models import model_class
from artgan.models.gan import GAN
from tests.conftest import TINY_MODELS


def tiny(family: str):
    torch.manual_seed(0)
    cfg = dict(TINY_MODELS[family])
    cls = model_class(cfg.pop("name"))
    return cls(from_dict(cls.config_class, cfg))


@pytest.mark.parametrize("family", ["dcgan", "resnet", "mlp", "fastgan", "dcgan-cond", "mlp-cond"])
def test_sefa_directions_are_orthonormal_and_sorted(family):
    model = tiny(family)
    directions, values = sefa_directions(model)
    k = model.z_dim
    assert directions.shape == (k, k)
    torch.testing.assert_close(directions @ directions.T, torch.eye(k), atol=1e-5, rtol=0)
    assert (values[:-1] >= values[1:]).all()
    assert sefa_directions(model, 3)[0].shape == (3, k)


@pytest.mark.parametrize("family", ["vae", "wavegan"])
def test_sefa_on_a_family_without_a_linear_first_layer_is_one_clear_error(family):
    """``LatentGenerator.latent_weight`` is declared; a family without one says so."""
    with pytest.raises(ConfigError, match=f"{family} models do not expose their first"):
        sefa_directions(tiny(family))


def test_sefa_finds_the_latent_axis_the_first_layer_amplifies_most():
    model = tiny("resnet")
    with torch.no_grad():
        w = model.G.fc.weight  # (out, z_dim)
        w.zero_()
        w[: w.shape[0] // 2, 5] = 1.0  # half the units read z_5 ...
        w[w.shape[0] // 2 :, 2] = 1.0  # ... the other half z_2; z_2 units also read a bit of z_0
        w[w.shape[0] // 2 :, 0] = 0.1
    directions, values = sefa_directions(model, 2)
    top = {int(d.abs().argmax()) for d in directions}
    assert top == {5, 2}
    assert values[0] == pytest.approx(w.shape[0] / 2, rel=0.05)


class LatentImages(GAN):
    """A stand-in generator whose 'image' is its latent, to test label directions exactly."""

    name = "latent-images"

    def __init__(self):
        torch.nn.Module.__init__(self)
        self.config = type("C", (), {"z_dim": 6})()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def generate(self, z, labels=None):
        return z.reshape(len(z), 1, 1, -1)  # (N, 1, 1, z_dim)


def test_label_directions_point_along_what_the_classifier_reads():
    model = LatentImages()

    def classify(images):  # class 0 when z_3 > 0.5, class 1 when z_3 < -0.5, else class 2
        z3 = images.flatten(1)[:, 3]
        return torch.stack([z3 - 0.5, -z3 - 0.5, torch.zeros_like(z3)], dim=1)

    directions, counts = label_directions(model, classify, ["up", "down", "mid"], n=4000)
    assert directions[0, 3] > 0.98 and directions[1, 3] < -0.98
    assert sum(counts.values()) == 4000 and min(counts.values()) > 1000


def test_label_directions_refuse_conditional_models():
    with pytest.raises(ArtganError, match="unconditional"):
        label_directions(tiny("dcgan-cond"), lambda x: x, ["a"], n=20)
