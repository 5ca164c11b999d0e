"""FastGAN: every size builds, bad sizes are refused in one line, D's self-supervised
reconstruction is part of its loss and learns, conditioning works, and sampling is exact."""

import pytest
import torch

from artgan.config import from_dict
from artgan.errors import ConfigError
from artgan.models import Batch
from artgan.models.fastgan import FastGAN, FastGANConfig
from tests.conftest import TINY_MODELS


def make(**changes) -> FastGAN:
    torch.manual_seed(0)
    cfg = {k: v for k, v in TINY_MODELS["fastgan"].items() if k != "name"}
    return FastGAN(from_dict(FastGANConfig, {**cfg, **changes}))


@pytest.mark.parametrize("size", [128, 256, 512, 1024])
def test_every_size_generates_and_is_judged_in_patches(size):
    model = make(image_size=size)
    x = model.sample(2, seed=0)
    assert x.shape == (2, 3, size, size)
    model.D.eval()
    with torch.no_grad():
        scores = model.D(x)
    # 5x5 patch logits from each of the two branches.
    assert scores.shape == (2 * 50,)
    assert torch.isfinite(scores).all()


@pytest.mark.parametrize("size", [64, 96, 200, 300, 2048])
def test_bad_sizes_are_refused_with_one_line(size):
    with pytest.raises(ConfigError, match="128, 256, 512 or 1024") as error:
        FastGANConfig(image_size=size)
    assert "\n" not in str(error.value)


def test_discriminator_is_head_of_features():
    model = make()
    model.D.eval()
    x = torch.rand(3, 3, 128, 128) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(model.D(x), model.D.head(model.D.features(x)))


def test_discriminator_loss_includes_the_reconstruction_and_it_learns():
    model = make()
    x = torch.rand(4, 3, 128, 128) * 2 - 1
    # Smooth images, so that a decoder from 8x8 features can reconstruct them.
    x = torch.nn.functional.interpolate(x[:, :, ::16, ::16], size=128, mode="bilinear")
    batch = Batch(x)
    decoders = [p for n, p in model.D.named_parameters() if n.startswith("decode_")]
    optimizer = torch.optim.Adam(model.D.parameters(), lr=2e-3)
    first = None
    for step in range(40):
        losses = model.train_step("D", batch, step)
        optimizer.zero_grad()
        losses["loss"].backward()
        if first is None:
            first = float(losses["d_rec"])
            assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in decoders)
        optimizer.step()
    assert float(losses["d_rec"]) < 0.5 * first


def test_reconstruction_weight_zero_turns_it_off():
    model = make(reconstruction_weight=0.0)
    losses = model.train_step("D", Batch(torch.rand(4, 3, 128, 128) * 2 - 1), 0)
    assert "d_rec" not in losses


def test_refreshing_ema_statistics_leaves_the_training_rng_alone():
    """The noise layers draw in training mode; the standing-statistics pass must not move the
    global RNG, or a resumed run would differ from an uninterrupted one."""
    model = make()
    torch.manual_seed(5)
    before = torch.get_rng_state()
    model.refresh_ema_statistics(batches=2, batch_size=4)
    assert torch.equal(torch.get_rng_state(), before)


def test_sampling_uses_fixed_noise():
    model = make()
    a, b = model.sample(2, seed=1), model.sample(2, seed=1)
    assert torch.equal(a, b)
    model.G.train()
    # In training mode the noise is drawn fresh; with a learned noise weight that matters.
    for name, p in model.G.named_parameters():
        if name.endswith("weight") and p.numel() == 1:
            p.data.fill_(1.0)
    with torch.no_grad():
        z = torch.randn(2, model.z_dim)
        assert not torch.equal(model.G(z), model.G(z))


@pytest.mark.parametrize("cond_d", ["projection", "multihead", "acgan"])
def test_conditional_variants_train_and_sample_by_class(cond_d):
    model = make(conditional=True, num_classes=3, class_names=["a", "b", "c"], cond_d=cond_d)
    batch = Batch(torch.rand(6, 3, 128, 128) * 2 - 1, torch.tensor([0, 1, 2, 0, 1, 2]))
    for phase in ("D", "G"):
        losses = model.train_step(phase, batch, 0)
        assert torch.isfinite(losses["loss"])
        losses["loss"].backward()
    if cond_d == "acgan":
        assert "d_cls" in model.train_step("D", batch, 1)
    # Conditional norms start as the identity for every class; give the classes their own.
    for m in model.G.modules():
        if hasattr(m, "beta") and isinstance(m.beta, torch.nn.Linear):
            torch.nn.init.normal_(m.beta.weight)
    x = model.sample(2, seed=0, classes="b")
    assert x.shape == (2, 3, 128, 128)
    assert not torch.equal(x, model.sample(2, seed=0, classes="c"))
