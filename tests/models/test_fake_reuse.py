"""The G phase judges the D phase's fake batch again (models/gan.py) only where that is the same
update as a fresh generator forward from the same latents, and then it is."""

import copy

import pytest
import torch

from artgan.config import TrainConfig, from_dict
from artgan.models import Batch, model_class
from tests.conftest import TINY_MODELS

# Objectives run once a step by D, where the G phase reuses the fake batch.
REUSING = {
    "bce": ("dcgan", {}),
    "lsgan with label smoothing": ("dcgan", {"loss": "lsgan", "label_smoothing": 0.1}),
    "hinge + r1 + diffaugment": (
        "dcgan",
        {"loss": "hinge", "r1_gamma": 1.0, "diffaugment": "color,translation"},
    ),
    "minimax + feature matching + pack": (
        "dcgan",
        {"loss": "minimax", "feature_matching": 1.0, "pack": 2},
    ),
    "bce + gradient penalty, one critic step": ("dcgan", {"gp": True}),
    "ada": ("dcgan", {"ada": True, "ada_p": 0.5}),
    "conditional projection": ("dcgan-cond", {}),
    "conditional acgan": ("mlp-cond", {}),
}
# Several critic steps a step: the papers' loops draw fresh latents for G, and so does artgan.
FRESH = {
    "wgan-gp": ("dcgan", {"loss": "wgan-gp"}),
    "wgan": ("dcgan", {"loss": "wgan"}),
    "hinge, 2 critic steps": ("dcgan", {"loss": "hinge", "n_critic": 2}),
    # Feature matching reads real features with the fakes' labels: not from another batch.
    "conditional + feature matching": ("dcgan-cond", {"feature_matching": 1.0}),
}


def make(family: str, objective: dict):
    torch.manual_seed(0)
    cfg = {**TINY_MODELS[family], "objective": objective}
    cls = model_class(cfg.pop("name"))
    return cls(from_dict(cls.config_class, cfg))


def batch_for(model, n: int = 8) -> Batch:
    g = torch.Generator().manual_seed(1)
    shape = model.sample(1, seed=0).shape[1:]
    labels = torch.arange(n) % model.config.num_classes if model.conditional else None
    return Batch(torch.rand(n, *shape, generator=g) * 2 - 1, labels)


def train_one_step(model, batch: Batch, latents: torch.Tensor) -> tuple[dict, int]:
    """One D then G step as the trainer takes it (Adam, zero_grad, backward), every latent draw
    answered with ``latents``; returns the logged losses and how often G ran."""
    model._noise = lambda b: latents
    forwards = []
    hook = model.G.register_forward_hook(lambda *_: forwards.append(1))
    torch.manual_seed(2)  # the same augmentation and penalty draws in both runs
    logged = {}
    for phase in model.phases(TrainConfig()):
        params = [p for name in phase.modules for p in getattr(model, name).parameters()]
        optimizer = torch.optim.Adam(params, lr=1e-2, betas=(0.5, 0.999))
        for _ in range(phase.repeat):
            optimizer.zero_grad(set_to_none=True)
            losses = model.train_step(phase.name, batch, 0)
            losses["loss"].backward()
            optimizer.step()
            model.after_phase_step(phase.name)
            logged[phase.name] = {k: v.detach() for k, v in losses.items()}
    hook.remove()
    return logged, len(forwards)


@pytest.mark.parametrize("case", sorted(REUSING))
def test_reusing_the_fake_batch_is_the_update_of_a_fresh_forward(case):
    family, objective = REUSING[case]
    reusing = make(family, objective)
    assert reusing.reuses_fake()
    fresh = copy.deepcopy(reusing)
    fresh.reuses_fake = lambda: False  # the loop as it was: G runs again in its phase
    batch = batch_for(reusing)
    latents = torch.randn(batch.x.shape[0], reusing.z_dim)

    losses, forwards = train_one_step(reusing, batch, latents)
    expected, fresh_forwards = train_one_step(fresh, batch, latents)

    assert (forwards, fresh_forwards) == (1, 2)  # one generator forward a step saved
    for phase in expected:
        for name, value in expected[phase].items():
            torch.testing.assert_close(losses[phase][name], value, rtol=1e-5, atol=1e-6)
    # Weights (not batch-norm running statistics: those are updated once per forward).
    for (name, a), (_, b) in zip(reusing.named_parameters(), fresh.named_parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=name)


@pytest.mark.parametrize("case", sorted(FRESH))
def test_no_reuse_where_the_plain_loop_draws_fresh_latents(case):
    family, objective = FRESH[case]
    model = make(family, objective)
    assert not model.reuses_fake()
    batch = batch_for(model)
    _, forwards = train_one_step(model, batch, torch.randn(batch.x.shape[0], model.z_dim))
    critic_steps = model.phases(TrainConfig())[0].repeat
    assert forwards == critic_steps + 1  # each D step's fakes, then G's own


def test_a_kept_fake_serves_only_its_own_step_and_batch():
    model = make("dcgan", {})
    batch, smaller = batch_for(model), batch_for(model, n=4)
    model.train_step("D", batch, step=3)
    forwards = []
    model.G.register_forward_hook(lambda *_: forwards.append(1))
    model.train_step("G", batch, step=4)  # another step: G runs afresh
    assert forwards == [1]
    model.train_step("D", batch, step=5)
    model.train_step("G", smaller, step=5)  # another batch size
    assert forwards == [1, 1, 1]
    model.train_step("G", batch, step=5)  # taken once: nothing kept any more
    assert forwards == [1, 1, 1, 1]
