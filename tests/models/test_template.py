"""The template family (models/template.py) keeps working: registered for the test, it samples,
trains a step per phase, saves and loads, and its defaults apply."""

import pytest
import torch

from artgan.config import TrainConfig
from artgan.errors import ConfigError
from artgan.models import Batch
from artgan.models.capabilities import LatentGenerator
from artgan.models.template import Template, TemplateConfig
from artgan.registry import MODELS
from artgan.training.checkpoint import load_model, model_meta, save_checkpoint
from artgan.training.run import build_run_config


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(MODELS._entries, "template", Template)


def test_the_template_samples_trains_and_round_trips(registered, tmp_path):
    torch.manual_seed(0)
    model = Template(TemplateConfig(z_dim=2, width=8))
    assert isinstance(model, LatentGenerator) and model.sample_options() == ["batch_size"]
    x = model.sample(5, seed=1)
    assert x.shape == (5, 2) and torch.equal(x, model.sample(5, seed=1))
    with pytest.raises(ConfigError, match="does not take truncation"):
        model.sample(5, seed=1, truncation=0.5)
    batch = Batch(torch.randn(8, 2))
    for phase in model.phases(TrainConfig()):
        params = [p for name in phase.modules for p in getattr(model, name).parameters()]
        before = [p.detach().clone() for p in params]
        model.train_step(phase.name, batch, 0)["loss"].backward()
        torch.optim.SGD(params, lr=0.1).step()
        assert any(not torch.equal(a, b) for a, b in zip(before, params))
    save_checkpoint(tmp_path, 1, model, {}, {"step": 1}, model_meta(model, {}, 1, "t"), keep=1)
    assert torch.equal(load_model(tmp_path).sample(3, seed=4), model.sample(3, seed=4))


def test_the_templates_defaults_apply(registered):
    config = build_run_config(None, {"model": "template", "data": "ring8"})
    assert config.train.lr_g == 1e-3 and config.model.name == "template"
