"""DANN's gradient reversal layer and lambda schedule (Ganin et al., JMLR 2016), with known
answers."""

import math

import pytest
import torch

from artgan.config import TrainConfig, from_dict
from artgan.errors import ConfigError
from artgan.models.dann import DANN, DANNConfig, lambda_schedule, reverse_gradient
from tests.conftest import TINY_MODELS


def test_gradient_reversal_is_the_identity_forward_and_flips_and_scales_gradients():
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = reverse_gradient(x, 0.25)
    assert torch.equal(y, x.detach())
    (y * torch.tensor([2.0, 4.0, -8.0])).sum().backward()  # d/dx without the layer: 2, 4, -8
    assert torch.equal(x.grad, torch.tensor([-0.5, -1.0, 2.0]))


def test_gradient_reversal_with_scale_zero_passes_no_gradient():
    x = torch.ones(2, requires_grad=True)
    reverse_gradient(x, 0.0).sum().backward()
    assert torch.equal(x.grad, torch.zeros(2))


def test_lambda_schedule_is_the_papers():
    assert lambda_schedule(0.0) == 0.0
    assert lambda_schedule(0.5) == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    assert lambda_schedule(1.0) == pytest.approx(0.9999092)
    assert lambda_schedule(2.0) == lambda_schedule(1.0)  # p is clamped to [0, 1]


def make_dann(**changes) -> DANN:
    cfg = {**TINY_MODELS["dann"], **changes}
    cfg.pop("name")
    torch.manual_seed(0)
    return DANN(from_dict(DANNConfig, cfg))


def test_lambda_ramps_over_the_runs_steps_unless_told():
    model = make_dann()
    model.phases(TrainConfig(steps=400))
    assert model.adaptation_factor(0) == 0.0
    assert model.adaptation_factor(200) == pytest.approx(lambda_schedule(0.5))
    model = make_dann(ramp_steps=100, max_lambda=0.5)
    model.phases(TrainConfig(steps=400))
    assert model.adaptation_factor(100) == pytest.approx(0.5 * lambda_schedule(1.0))


def test_the_feature_extractor_gets_the_domain_gradient_reversed():
    """With the label loss out of the way (a head of zeros), the features' gradient is exactly
    -lambda times what plain (unreversed) domain training would give them."""
    model = make_dann()
    model.phases(TrainConfig(steps=10))
    g = torch.Generator().manual_seed(0)
    source, target = (torch.rand(4, 3, 16, 16, generator=g) * 2 - 1 for _ in range(2))
    labels = torch.arange(4)
    batch = type("B", (), {"x": source, "y": labels, "x_b": target})()
    for p in model.label_head.parameters():
        torch.nn.init.zeros_(p)  # the label loss is then constant in the features
    step = 5
    model.train_step("C", batch, step)["loss"].backward()
    reversed_grad = model.features.body[0].weight.grad.clone()
    model.zero_grad()
    features = model.features(torch.cat([source, target]))
    domain = torch.cat([torch.zeros(4), torch.ones(4)])
    logits = model.domain_head(features).view(-1)
    torch.nn.functional.binary_cross_entropy_with_logits(logits, domain).backward()
    plain = model.features.body[0].weight.grad
    factor = model.adaptation_factor(step)
    assert 0 < factor < 1
    torch.testing.assert_close(reversed_grad, -factor * plain)


def test_dann_without_target_images_or_with_a_translator_is_refused():
    model = make_dann()
    batch = type("B", (), {"x": torch.zeros(2, 3, 16, 16), "y": torch.zeros(2).long()})()
    batch.x_b = None
    with pytest.raises(ConfigError, match="unlabelled target images"):
        model.train_step("C", batch, 0)
    with pytest.raises(ConfigError, match="translator is for --method pixel"):
        make_dann(translator="runs/c")
