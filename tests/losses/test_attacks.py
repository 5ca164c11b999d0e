"""FGSM, PGD and the C&W margin: known answers on a linear classifier, and every attack keeps
inside its epsilon (L-infinity, [0, 1] pixel scale = 2 * eps on [-1, 1] tensors) and the range."""

import math

import pytest
import torch

from artgan.attack.run import AttackSettings, quantize_within, run_attack
from artgan.errors import ConfigError
from artgan.losses.attacks import (
    AdversarialTrainingConfig,
    adversarial_batch,
    check_eps,
    fgsm,
    margin_loss,
    pgd,
)
from tests.classifiers import LinearClassifier, TinyClassifier

SHAPE = (1, 4, 4)


def linear_two_class(seed: int = 0) -> LinearClassifier:
    g = torch.Generator().manual_seed(seed)
    return LinearClassifier(torch.randn(2, 16, generator=g), SHAPE)


def test_fgsm_steps_eps_along_the_sign_of_the_other_class_direction():
    """For logits W x and label 0, d CE / d x = p1 (w1 - w0): FGSM adds 2 eps sign(w1 - w0)."""
    clf = linear_two_class()
    x = torch.zeros(1, *SHAPE)  # mid grey: no clamping
    direction = (clf.weight[1] - clf.weight[0]).sign().reshape(1, *SHAPE)
    out = fgsm(clf.classify, x, torch.tensor([0]), eps=0.1)
    torch.testing.assert_close(out, 0.2 * direction)


def test_pgd_without_random_start_one_step_of_eps_is_fgsm_and_many_steps_reach_the_corner():
    clf = linear_two_class(1)
    x = torch.rand(3, *SHAPE, generator=torch.Generator().manual_seed(0)) * 1.2 - 0.6
    y = torch.tensor([0, 0, 0])
    one = pgd(clf.classify, x, y, 0.1, steps=1, step_size=0.1, random_start=False)
    torch.testing.assert_close(one, fgsm(clf.classify, x, y, 0.1))
    # A linear loss is maximised at the corner of the ball along sign(w1 - w0) (then clamped).
    corner = (x + 0.2 * (clf.weight[1] - clf.weight[0]).sign().reshape(1, *SHAPE)).clamp(-1, 1)
    many = pgd(clf.classify, x, y, 0.1, steps=10, step_size=0.05, random_start=True)
    torch.testing.assert_close(many, corner)


def test_pgd_random_start_is_seeded():
    clf = TinyClassifier(SHAPE)
    x, y = torch.zeros(2, *SHAPE), torch.tensor([0, 1])
    a = pgd(clf.classify, x, y, 0.1, steps=1, generator=torch.Generator().manual_seed(3))
    b = pgd(clf.classify, x, y, 0.1, steps=1, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


@pytest.mark.parametrize("method", ["fgsm", "pgd"])
@pytest.mark.parametrize("eps", [0.01, 0.1, 0.3])
def test_every_attack_respects_eps_exactly_and_stays_in_range(method, eps):
    clf = TinyClassifier(SHAPE, classes=3)
    g = torch.Generator().manual_seed(1)
    # uint8-like images with many pixels at the ends of the range, where clamping matters
    x = torch.randint(0, 256, (16, *SHAPE), generator=g).float() / 127.5 - 1.0
    x[:4] = 1.0
    x[4:8] = -1.0
    y = torch.randint(0, 3, (16,), generator=g)
    result = run_attack(clf, x, y, AttackSettings(method, eps, steps=5))
    change = (result.adversarial - x).abs().max()
    assert change <= 2 * eps + 1e-6  # the saved (8-bit) images too
    assert result.adversarial.min() >= -1 and result.adversarial.max() <= 1
    assert result.max_change <= eps + 1e-6
    assert change > 2 * eps - 2 / 255  # the attacks use their budget (sign steps)


def test_quantized_images_never_round_past_eps():
    x = torch.randint(0, 256, (1, 1, 8, 8)).float() / 127.5 - 1.0
    over = (x + 0.2 + 0.9 / 255).clamp(-1, 1)  # past the ball
    q = quantize_within(over, x, 0.1)
    assert (q - x).abs().max() <= 0.2 + 1e-6
    levels = (q + 1) * 127.5
    assert torch.allclose(levels, levels.round(), atol=1e-4)  # on the 8-bit grid


def test_margin_loss_known_values():
    logits = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 1.0]])
    y = torch.tensor([0, 0])
    # row 0: 3 - 2 = 1; row 1: 0 - 5 = -5, floored at -kappa
    assert math.isclose(margin_loss(logits, y).item(), (1 + 0) / 2)
    assert math.isclose(margin_loss(logits, y, kappa=2.0).item(), (1 - 2) / 2)


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, float("nan"), "x"])
def test_bad_eps_is_one_clear_error(bad):
    with pytest.raises(ConfigError, match="eps"):
        check_eps(bad)


def test_unknown_method_is_refused():
    with pytest.raises(ConfigError, match="unknown attack 'cw'.*fgsm, pgd, advgan"):
        AttackSettings("cw", 0.1)


def test_adversarial_training_batch_is_the_batch_when_off_and_pgd_when_on():
    clf = TinyClassifier(SHAPE)
    x, y = torch.zeros(4, *SHAPE), torch.tensor([0, 1, 2, 0])
    assert adversarial_batch(clf.classify, x, y, AdversarialTrainingConfig()) is x
    on = adversarial_batch(clf.classify, x, y, AdversarialTrainingConfig(eps=0.05, steps=2))
    assert 0 < (on - x).abs().max() <= 0.1 + 1e-6
    assert all(p.grad is None for p in clf.parameters())  # attacks leave weight grads alone
