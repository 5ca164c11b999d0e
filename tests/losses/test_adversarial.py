"""Known answers for every adversarial loss and regularizer."""

import math

import pytest
import torch

from artgan.losses import ObjectiveConfig, discriminator_loss, generator_loss
from artgan.losses.diffaugment import DiffAugment
from artgan.losses.objective import GANObjective
from artgan.losses.regularizers import feature_matching, gradient_penalty, r1_penalty

LOG2 = math.log(2.0)


def t(*values):
    return torch.tensor(values, dtype=torch.float32)


def test_bce_at_zero_logits_is_two_log_two():
    assert discriminator_loss("bce", t(0, 0), t(0, 0)).item() == pytest.approx(2 * LOG2)
    assert generator_loss("bce", t(0.0)).item() == pytest.approx(LOG2)


def test_bce_known_values():
    # D: -log sigmoid(2) - log(1 - sigmoid(-1))
    expected = -math.log(1 / (1 + math.exp(-2))) - math.log(1 - 1 / (1 + math.exp(1)))
    assert discriminator_loss("bce", t(2.0), t(-1.0)).item() == pytest.approx(expected, rel=1e-6)


def test_one_sided_label_smoothing_changes_only_the_real_term():
    real, fake = t(3.0), t(-3.0)
    smooth = discriminator_loss("bce", real, fake, real_target=0.9).item()
    s = 1 / (1 + math.exp(-3))
    expected = -(0.9 * math.log(s) + 0.1 * math.log(1 - s)) - math.log(1 - 1 / (1 + math.exp(3)))
    assert smooth == pytest.approx(expected, rel=1e-6)


def test_minimax_generator_is_log_one_minus_d():
    d = 1 / (1 + math.exp(-0.5))
    assert generator_loss("minimax", t(0.5)).item() == pytest.approx(math.log(1 - d), rel=1e-6)


def test_minimax_saturates_where_non_saturating_does_not():
    fake = torch.tensor([-8.0], requires_grad=True)
    generator_loss("minimax", fake).backward()
    minimax_grad = fake.grad.abs().item()
    fake.grad = None
    generator_loss("bce", fake).backward()
    assert minimax_grad < 1e-3 < fake.grad.abs().item()


def test_lsgan():
    assert discriminator_loss("lsgan", t(1.0), t(0.0)).item() == 0.0
    assert discriminator_loss("lsgan", t(0.0), t(1.0)).item() == pytest.approx(1.0)
    assert generator_loss("lsgan", t(0.0)).item() == pytest.approx(0.5)


@pytest.mark.parametrize("name", ["wgan", "wgan-gp"])
def test_wasserstein(name):
    assert discriminator_loss(name, t(2, 4), t(1, 1)).item() == pytest.approx(-2.0)
    assert generator_loss(name, t(1, 3)).item() == pytest.approx(-2.0)


def test_hinge():
    assert discriminator_loss("hinge", t(2.0, 0.0), t(-2.0, 0.0)).item() == pytest.approx(1.0)
    assert generator_loss("hinge", t(0.5)).item() == pytest.approx(-0.5)


def test_gradient_penalty_of_a_linear_critic():
    w = torch.tensor([3.0, 4.0])  # ||grad|| = 5 everywhere -> penalty (5 - 1)^2
    critic = lambda x: x @ w  # noqa: E731
    gp = gradient_penalty(critic, torch.randn(6, 2), torch.randn(6, 2))
    assert gp.item() == pytest.approx(16.0)


def test_r1_of_a_quadratic_critic():
    x = torch.tensor([[1.0, 2.0]], requires_grad=True)
    scores = (x**2).sum(1)  # grad = 2x -> ||grad||^2 = 4 * 5
    assert r1_penalty(scores, x).item() == pytest.approx(20.0)


def test_feature_matching_is_zero_for_equal_means():
    a = torch.randn(16, 4)
    assert feature_matching(a, a[torch.randperm(16)]).item() == pytest.approx(0.0, abs=1e-10)
    assert feature_matching(a, a + 1.0).item() == pytest.approx(1.0, rel=1e-5)


def test_weight_clipping_for_plain_wgan():
    D = torch.nn.Linear(4, 1)
    torch.nn.init.constant_(D.weight, 5.0)
    GANObjective(ObjectiveConfig(loss="wgan", clip_value=0.02)).clip_weights(D)
    assert D.weight.abs().max().item() == pytest.approx(0.02)


def test_critic_steps_default_to_five_for_wasserstein():
    assert ObjectiveConfig(loss="wgan-gp").critic_steps == 5
    assert ObjectiveConfig(loss="bce").critic_steps == 1
    assert ObjectiveConfig(loss="bce", n_critic=3).critic_steps == 3


def test_diffaugment_is_differentiable_and_keeps_shape():
    x = torch.randn(4, 3, 16, 16, requires_grad=True)
    y = DiffAugment("color,translation,cutout")(x)
    assert y.shape == x.shape
    y.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert not torch.equal(y.detach(), x.detach())
