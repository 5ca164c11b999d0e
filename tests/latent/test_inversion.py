"""Inversion by optimisation lowers the reconstruction error; latent files load safely."""

import pytest
import torch

from artgan.config import from_dict
from artgan.errors import ArtganError
from artgan.latent import invert, load_latent, save_latent
from artgan.models import model_class
from tests.conftest import TINY_MODELS


def tiny(family: str):
    torch.manual_seed(0)
    cfg = dict(TINY_MODELS[family])
    cls = model_class(cfg.pop("name"))
    model = cls(from_dict(cls.config_class, cfg))
    for p in model.G.parameters():  # an untrained DCGAN draws nearly flat images; add contrast
        if p.dim() > 1:
            torch.nn.init.normal_(p, 0.0, 0.3)
    return model.eval()


@pytest.mark.parametrize("family", ["dcgan", "dcgan-cond"])
def test_inversion_lowers_the_pixel_error(family):
    model = tiny(family)
    target = model.sample(1, seed=123)[0]  # a reachable image, from a latent we do not give
    result = invert(model, target, steps=40, lr=0.05, perceptual_weight=0, restarts=4, seed=0)
    assert result.pixel_mse < 0.7 * result.initial_pixel_mse
    assert result.losses[-1] < result.losses[0]
    assert result.reconstruction.shape == (1, *target.shape)
    assert (result.labels is not None) == model.conditional


def test_inversion_with_the_perceptual_term_runs_and_improves():
    model = tiny("dcgan")
    target = torch.rand(model.sample(1, seed=0).shape[1:]) * 2 - 1
    result = invert(model, target, steps=8, perceptual_weight=1.0, restarts=2)
    assert result.perceptual > 0
    assert result.losses[-1] < result.losses[0]


def test_latent_file_round_trip_and_checks(tmp_path):
    model = tiny("dcgan-cond")
    result = invert(model, model.sample(1, seed=1)[0], steps=2, perceptual_weight=0, restarts=1)
    path = save_latent(tmp_path / "z.pt", result, model)
    data = load_latent(path, model)
    assert torch.equal(data["z"], result.z) and torch.equal(data["labels"], result.labels)
    with pytest.raises(ArtganError, match="16-d latent"):
        load_latent(path, tiny("mlp"))


class Evil:
    def __reduce__(self):
        return (print, ("unpickled!",))


def test_latent_files_are_never_unpickled(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "artgan-latent-1", "z": Evil()}, path)
    with pytest.raises(ArtganError, match="not a readable artgan latent"):
        load_latent(path)
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(ArtganError):
        load_latent(tmp_path / "junk.pt")
