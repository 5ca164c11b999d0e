"""A family that declares channels-last memory (models/base.py) trains in it, and its
checkpoints still save (safetensors wants contiguous tensors) and load as usual."""

import pytest
import torch

import artgan
from artgan.training.checkpoint import load_model
from artgan.training.run import build_run_config
from artgan.training.trainer import Trainer
from tests.conftest import tiny_run_config


def conv_weights(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p for p in module.parameters() if p.dim() == 4]


@pytest.mark.parametrize("family", ["dcgan", "resnet"])
def test_families_train_channels_last_and_their_checkpoints_load(tmp_path, family):
    trainer = Trainer(build_run_config(tiny_run_config(family, steps=2, run_dir=str(tmp_path))))
    trainer.run()
    weights = conv_weights(trainer.model)
    assert weights and all(w.is_contiguous(memory_format=torch.channels_last) for w in weights)
    loaded = load_model(tmp_path)  # the EMA weights, rebuilt in the default layout
    for a, b in zip(conv_weights(loaded.G), conv_weights(trainer.ema["G"].shadow)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert artgan.load(tmp_path).sample(2, seed=0).shape == (2, 1, 32, 32)  # digits: grey
