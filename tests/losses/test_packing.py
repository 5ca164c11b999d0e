"""PacGAN packing and minibatch standard deviation: the reshape and the statistic have known
answers, and both compose onto every GAN architecture (DESIGN convention 3)."""

import pytest
import torch

from artgan.config import TrainConfig, from_dict
from artgan.errors import ConfigError
from artgan.losses import ObjectiveConfig
from artgan.losses.objective import GANObjective
from artgan.models import Batch, model_class
from artgan.nn.layers import MinibatchStdDev
from tests.conftest import TINY_MODELS

# The unconditional GAN families whose discriminator reads objective.pack / minibatch_std.
GAN_FAMILIES = ("mlp", "dcgan", "resnet", "wavegan")


def build(family: str, **objective):
    cfg = dict(TINY_MODELS[family])
    cls = model_class(cfg.pop("name"))
    cfg["objective"] = {**cfg.get("objective", {}), **objective}
    torch.manual_seed(0)
    return cls(from_dict(cls.config_class, cfg))


def test_pack_puts_consecutive_samples_side_by_side():
    objective = GANObjective(ObjectiveConfig(pack=3))
    x = torch.arange(12.0).view(6, 2)  # six 2-D points
    packed = objective.pack(x, {})
    assert packed.tolist() == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    images = torch.arange(4 * 1 * 2 * 2.0).view(4, 1, 2, 2)  # (B, C, H, W)
    packed = GANObjective(ObjectiveConfig(pack=2)).pack(images, {})
    assert packed.shape == (2, 2, 2, 2)  # channels stacked
    assert torch.equal(packed[1, 0], images[2, 0]) and torch.equal(packed[1, 1], images[3, 0])


def test_pack_one_is_the_identity():
    x = torch.randn(5, 2)
    assert GANObjective(ObjectiveConfig()).pack(x, {}) is x


def test_pack_errors_speak_to_the_user():
    with pytest.raises(ConfigError, match="at least 1"):
        ObjectiveConfig(pack=0)
    objective = GANObjective(ObjectiveConfig(pack=4))
    with pytest.raises(ConfigError, match="multiple of 4"):
        objective.pack(torch.randn(6, 2), {})
    with pytest.raises(ConfigError, match="class-conditional"):
        objective.pack(torch.randn(8, 2), {"y": torch.zeros(8, 3)})


def test_minibatch_std_known_answer():
    # Group size 2 over a batch of 4: members are rows (0, 2) and (1, 3).
    x = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 4.0], [1.0, 1.0]])
    out = MinibatchStdDev(group_size=2)(x)
    assert out.shape == (4, 3)
    assert torch.equal(out[:, :2], x)
    # rows 0, 2: stds (1, 2) -> mean 1.5; rows 1, 3: identical -> ~0 (sqrt of the epsilon)
    assert out[:, 2].tolist() == pytest.approx([1.5, 1e-4, 1.5, 1e-4], abs=1e-6)


def test_minibatch_std_on_feature_maps_and_odd_batches():
    x = torch.randn(6, 3, 4, 4)  # 6 does not divide by 4: groups of 3
    out = MinibatchStdDev()(x)
    assert out.shape == (6, 4, 4, 4)
    stat = out[:, 3]
    assert torch.all(stat == stat[:, :1, :1])  # constant over the map
    expected = x.view(3, 2, 3, 4, 4).std(dim=0, unbiased=False).mean(dim=(1, 2, 3))
    assert stat[:2, 0, 0] == pytest.approx(expected.tolist(), rel=1e-4)


@pytest.mark.parametrize("family", GAN_FAMILIES)
def test_packed_discriminator_judges_groups_and_trains(family):
    model = build(family, pack=2)
    x = model.sample(8, seed=0)
    assert model.D(model.objective.pack(x, {})).shape == (4,)  # one score per pack of 2
    batch = Batch(x.clone())
    for phase in model.phases(TrainConfig()):
        losses = model.train_step(phase.name, batch, 0)
        losses["loss"].backward()
        assert torch.isfinite(losses["loss"])
    with pytest.raises(RuntimeError):
        model.D(x)  # the unpacked layout no longer fits the first layer


@pytest.mark.parametrize("family", GAN_FAMILIES)
def test_minibatch_std_lets_the_discriminator_see_the_batch(family):
    def scores(model, x):
        model.D.eval()  # no dropout / batch-norm noise; phase shuffle is off in eval
        with torch.no_grad():
            return model.D(x)

    shape = build(family).sample(1, seed=0).shape[1:]
    x = torch.rand(8, *shape, generator=torch.Generator().manual_seed(0)) * 2 - 1
    varied = x.clone()
    varied[1:] = torch.roll(x, 1, 0)[1:] * 0.5  # change every sample but the first
    plain, mbstd = build(family), build(family, minibatch_std=True)
    # Without the statistic sample 0's score depends on sample 0 only; with it, on its group.
    # (Relative tolerances: dcgan's N(0, 0.02) initialisation gives small scores.)
    assert scores(plain, x)[0].item() == pytest.approx(scores(plain, varied)[0].item(), rel=1e-4)
    assert scores(mbstd, x)[0].item() != pytest.approx(scores(mbstd, varied)[0].item(), rel=1e-3)
    batch = Batch(x)
    for phase in mbstd.phases(TrainConfig()):
        assert torch.isfinite(mbstd.train_step(phase.name, batch, 0)["loss"])
