"""SRResNet / SRGAN specifics beyond the shared model checks."""

import pytest
import torch

from artgan.config import from_dict
from artgan.errors import ConfigError
from artgan.losses.perceptual import PerceptualLoss
from artgan.models import Batch
from artgan.models.super_resolution import SRGAN, SRGANConfig, SRResNet, SRResNetConfig
from artgan.training.checkpoint import load_model, model_meta, save_checkpoint
from artgan.training.run import build_run_config
from tests.conftest import TINY_MODELS


def tiny(family: str = "srresnet", **changes):
    cfg = {**TINY_MODELS[family], **changes}
    cfg.pop("name")
    cls = SRResNet if family == "srresnet" else SRGAN
    torch.manual_seed(0)
    return cls(from_dict(cls.config_class, cfg))


@pytest.mark.parametrize("scale", [2, 4])
def test_generator_enlarges_any_size_by_the_scale(scale):
    model = tiny(scale=scale, patch_size=16).eval()
    out = model.upscale(torch.rand(2, 3, 7, 11) * 2 - 1)
    assert out.shape == (2, 3, 7 * scale, 11 * scale)
    assert out.min() >= -1 and out.max() <= 1


def test_residual_generator_starts_as_bicubic():
    from artgan.data.degrade import bicubic_upscale

    model = tiny(residual=True).eval()
    lr = torch.rand(1, 3, 9, 9) * 2 - 1
    expected = bicubic_upscale(lr, 2)
    # bicubic_upscale clamps after interpolating; the model clamps its output the same way
    assert torch.allclose(model.upscale(lr), expected, atol=1e-5)


def test_pixel_loss_falls_when_training_on_one_batch():
    model = tiny()
    batch = Batch(torch.rand(4, 3, 32, 32) * 2 - 1)
    opt = torch.optim.Adam(model.G.parameters(), lr=3e-3)
    torch.manual_seed(1)
    first = model.train_step("G", batch, 0)["pixel"].item()
    for _ in range(40):
        torch.manual_seed(1)  # the same crops each time
        opt.zero_grad()
        model.train_step("G", batch, 0)["loss"].backward()
        opt.step()
    torch.manual_seed(1)
    assert model.train_step("G", batch, 0)["pixel"].item() < 0.5 * first


def test_perceptual_loss_zero_for_equal_images_and_not_saved():
    loss = PerceptualLoss(blocks=2)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    assert loss(x, x).item() == pytest.approx(0.0, abs=1e-6)
    y = x.clone().requires_grad_(True)
    value = loss(y.flip(-1), x)
    assert value.item() > 0
    value.backward()
    assert y.grad is not None and y.grad.abs().sum() > 0
    model = tiny("srgan")
    model.train_step("G", Batch(x), 0)  # builds the perceptual network
    assert not any("perceptual" in key or "blocks." in key for key in model.state_dict())


def test_srgan_pretrain_steps_use_the_pixel_loss_alone():
    model = tiny("srgan", pretrain_steps=5)
    batch = Batch(torch.rand(2, 3, 32, 32) * 2 - 1)
    early = model.train_step("G", batch, 4)
    late = model.train_step("G", batch, 5)
    assert "g_adv" not in early and "perceptual" not in early
    assert "g_adv" in late and "perceptual" in late


def test_init_from_copies_a_trained_generator(tmp_path):
    source = tiny()
    with torch.no_grad():
        for p in source.G.parameters():
            p.add_(0.1)
    meta = model_meta(source, {"source": "test"}, step=1, run_id="s")
    save_checkpoint(tmp_path, 1, source, {}, {"step": 1}, meta, keep=1)
    target = tiny("srgan", blocks=2, init_from=str(tmp_path))
    assert target.warm_start_run() == str(tmp_path)
    target.warm_start(load_model(target.warm_start_run()))
    for a, b in zip(source.G.state_dict().values(), target.G.state_dict().values()):
        assert torch.equal(a, b)
    wrong = tiny("srgan", scale=4, patch_size=16, init_from=str(tmp_path))
    with pytest.raises(ConfigError, match="not a 4x super-resolution run"):
        wrong.warm_start(load_model(tmp_path))


def test_config_checks():
    with pytest.raises(ConfigError, match="multiple of the scale"):
        SRResNetConfig(scale=4, patch_size=30)
    with pytest.raises(ConfigError, match="at least model.patch_size"):
        SRResNetConfig(image_size=64, patch_size=96)
    with pytest.raises(ConfigError, match="model.scale"):
        SRGANConfig(scale=3)


def test_scale_shorthand_sets_model_scale():
    config = build_run_config(None, {"model": "srgan", "scale": "2"})
    assert config.model.name == "srgan" and config.model.scale == 2
