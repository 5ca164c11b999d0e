"""Checkpoints: exact resumes, safe loading, clear errors for damaged files, the NaN guard."""

import json
import shutil

import pytest
import torch

import artgan
from artgan.errors import CheckpointError, TrainingDivergedError
from artgan.models.gan import GAN
from artgan.training.checkpoint import (
    STATE_FILE,
    load_model,
    load_raw_tensors,
    load_training_state,
    resolve_checkpoint,
)
from tests.conftest import tiny_run_config


def weights(run_dir):
    return load_raw_tensors(resolve_checkpoint(run_dir))


def _config(family, steps, run_dir, extra=None, **train):
    c = tiny_run_config(family, steps=steps, run_dir=str(run_dir), ema_decay=0.9, **train)
    for key, value in (extra or {}).items():
        c["model"][key] = value
    return c


def _assert_same_weights(a_dir, b_dir):
    a, b = weights(a_dir), weights(b_dir)
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-6, atol=1e-7)
    # The EMA (sampling) weights resume too.
    assert torch.equal(load_model(a_dir).sample(3, seed=1), load_model(b_dir).sample(3, seed=1))


@pytest.mark.parametrize(
    "family, extra",
    [
        ("dcgan", {}),  # channels-last, the G phase reusing D's fake batch
        ("resnet", {}),  # channels-last
        ("mlp", {"objective": {"loss": "wgan-gp", "n_critic": 2}}),
        # Noise injection and the random reconstruction quarter draw from the saved RNG.
        ("fastgan", {}),
    ],
)
def test_stopped_and_resumed_run_matches_an_uninterrupted_one(tmp_path, family, extra):
    """N steps, stop, N more == 2N steps straight (``--steps`` is the run's total). A decay
    schedule spans the total, so a run extended past its first total decays differently: no
    decay here (the 2-D defaults would add one); the killed-run test below covers schedules."""
    straight = artgan.train(_config(family, 8, tmp_path / "straight", extra, lr_decay="none"))
    artgan.train(_config(family, 4, tmp_path / "resumed", extra, lr_decay="none"))
    resumed = artgan.train(resume=tmp_path / "resumed", steps=8)
    _assert_same_weights(straight, resumed)
    # The log keeps one line per step, no duplicates from the interrupted part.
    steps = [json.loads(line)["step"] for line in (resumed / "log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 9))


def test_killed_run_resumes_exactly_with_learning_rate_decay(tmp_path):
    """A run killed after its step-4 checkpoint continues exactly, schedules included."""
    config = _config("dcgan", 8, tmp_path / "run", lr_decay="linear", checkpoint_every=4)
    straight = artgan.train(_config("dcgan", 8, tmp_path / "straight", lr_decay="linear"))
    killed = artgan.train(config)
    shutil.rmtree(killed / "checkpoints" / "step-00000008")  # as if killed before step 8
    (killed / "checkpoints" / "LATEST").write_text("step-00000004\n")
    resumed = artgan.train(resume=killed, steps=8)
    _assert_same_weights(straight, resumed)


def test_training_state_loads_without_unpickling(tmp_path):
    run = artgan.train(tiny_run_config(steps=2, run_dir=str(tmp_path / "r")))
    state = load_training_state(resolve_checkpoint(run))  # weights_only=True inside
    assert state["step"] == 2 and set(state["optimizers"]) == {"D", "G"}


def test_resume_beyond_the_total_does_nothing(tmp_path, capsys):
    run = artgan.train(tiny_run_config(steps=2, run_dir=str(tmp_path / "r")))
    artgan.train(resume=run, steps=2)
    assert "already trained to step 2" in capsys.readouterr().out


@pytest.fixture
def trained(tmp_path):
    return artgan.train(tiny_run_config(steps=2, run_dir=str(tmp_path / "run")))


def test_truncated_weights_are_a_clear_error(trained):
    path = resolve_checkpoint(trained) / "model.safetensors"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        load_model(trained)


def test_garbage_training_state_is_refused_not_unpickled(trained):
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    (resolve_checkpoint(trained) / STATE_FILE).write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError, match="corrupted or unsafe"):
        artgan.train(resume=trained, steps=4)


def test_weights_of_another_model_are_a_clear_error(trained, tmp_path):
    other = artgan.train(tiny_run_config("resnet", steps=1, run_dir=str(tmp_path / "other")))
    ckpt = resolve_checkpoint(trained)
    (ckpt / "model.safetensors").write_bytes(
        (resolve_checkpoint(other) / "model.safetensors").read_bytes()
    )
    with pytest.raises(CheckpointError, match="does not fit this dcgan model"):
        load_model(trained)


def test_corrupted_config_and_missing_run(trained, tmp_path):
    with pytest.raises(CheckpointError, match="no run or checkpoint"):
        load_model(tmp_path / "nowhere")
    (resolve_checkpoint(trained) / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="unreadable"):
        load_model(trained)


def test_expecting_another_family_is_a_clear_error(trained):
    with pytest.raises(CheckpointError, match="holds a dcgan model, but a cyclegan"):
        load_model(trained, expect_family="cyclegan")


def test_interrupted_checkpoint_write_leaves_the_previous_one_loadable(trained, monkeypatch):
    import artgan.training.checkpoint as ck

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ck.torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        artgan.train(resume=trained, steps=3)
    assert resolve_checkpoint(trained).name == "step-00000002"
    assert load_model(trained).sample(1, seed=0).shape[0] == 1


def test_nan_loss_stops_and_names_the_last_good_checkpoint(tmp_path, monkeypatch):
    original = GAN.train_step

    def exploding(self, phase, batch, step):
        losses = original(self, phase, batch, step)
        if step >= 3:
            losses["loss"] = losses["loss"] * float("nan")
        return losses

    monkeypatch.setattr(GAN, "train_step", exploding)
    run_dir = tmp_path / "nan"
    with pytest.raises(TrainingDivergedError, match=r"step 4.*step-00000002"):
        artgan.train(tiny_run_config(steps=6, run_dir=str(run_dir), checkpoint_every=2))
    assert resolve_checkpoint(run_dir).name == "step-00000002"
