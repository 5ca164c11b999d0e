"""ADA's strength p is training state: a stopped and resumed run continues with the same p,
the same partial r_t sums and the same augmentations as one that never stopped (StyleGAN2-ADA
resets p on resume: its issues #81 and #108)."""

import json

import pytest
import torch

import artgan
from artgan.training.checkpoint import (
    load_model,
    load_raw_tensors,
    load_training_state,
    resolve_checkpoint,
)
from tests.conftest import tiny_run_config

ADA = {"ada": True, "ada_kimg": 0.1, "ada_interval": 3}  # p moves by up to 0.24 per interval


def _config(family, steps, run_dir):
    c = tiny_run_config(family, steps, str(run_dir), ema_decay=0.9, lr_decay="none")
    c["model"]["objective"] = ADA
    c["data"] = {"source": "digits", "limit": 16}  # D memorises 16 images: p moves
    return c


def _assert_same_weights(a_dir, b_dir):
    a = load_raw_tensors(resolve_checkpoint(a_dir))
    b = load_raw_tensors(resolve_checkpoint(b_dir))
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-6, atol=1e-7)
    assert torch.equal(load_model(a_dir).sample(3, seed=1), load_model(b_dir).sample(3, seed=1))


def _ada_state(run_dir) -> dict:
    return load_training_state(resolve_checkpoint(run_dir))["model_extra"]["objective"]["ada"]


def _logged_p(run_dir) -> list[float]:
    lines = (run_dir / "log.jsonl").read_text().splitlines()
    return [json.loads(line)["ada_p"] for line in lines]


@pytest.mark.parametrize("family", ["dcgan"])
def test_resumed_run_keeps_p_and_matches_an_uninterrupted_one(tmp_path, family):
    straight = artgan.train(_config(family, 8, tmp_path / "straight"))
    stopped = artgan.train(_config(family, 4, tmp_path / "resumed"))
    # Stopped mid-interval (4 D steps, interval 3): the partial sums are saved as well.
    assert _ada_state(stopped)["steps"] == 1 and _ada_state(stopped)["p"] > 0
    resumed = artgan.train(resume=stopped, steps=8)
    _assert_same_weights(straight, resumed)
    assert _ada_state(resumed) == _ada_state(straight)
    assert _logged_p(resumed) == _logged_p(straight)
    assert _ada_state(straight)["p"] > 0
