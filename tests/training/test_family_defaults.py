"""Each family's ``run_defaults`` (its paper's optimiser, batch, schedule, data preparation) is
what a new run trains with where the user sets nothing, and ``--dry-run`` shows it."""

import json
from dataclasses import dataclass
from typing import ClassVar

import pytest

from artgan.cli.main import main
from artgan.config import DefaultsContext, ModelConfig
from artgan.models import model_class, model_config_class
from artgan.models.dcgan import DCGAN
from artgan.registry import MODELS
from artgan.training.run import build_run_config

# A data source each family can be described with (the dry run loads no data, but checks that
# the source exists).
SOURCES = {"mlp": "ring8", "charrnn": "sonnets", "wavegan": "spoken_digits", "voxelgan": "shapes3d"}


def lookup(config: dict, dotted: str):
    node = config
    for key in dotted.split("."):
        node = node[key]
    return node


def dry_run(capsys, *args: str) -> dict:
    assert main(["train", "--dry-run", "--device", "cpu", *args]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", MODELS.names())
def test_dry_run_shows_each_familys_own_defaults(name, capsys):
    source = SOURCES.get(name, "art")
    defaults = model_config_class(name).run_defaults(DefaultsContext(source, "cpu"))
    config = dry_run(capsys, "--model", name, "--data", source)
    assert config["model"]["name"] == name
    for dotted, value in defaults.items():
        assert lookup(config, dotted) == value, f"{name}: {dotted}"


@pytest.mark.parametrize("name", MODELS.names())
def test_every_family_declares_its_defaults_in_one_place(name):
    assert issubclass(model_config_class(name), ModelConfig)
    # The old, unread mechanisms must not come back beside the hook.
    for old in ("train_defaults", "run_defaults"):
        assert old not in vars(model_class(name)), f"{name} sets {old} on the model class"
    assert "train_defaults" not in vars(model_config_class(name))


def test_the_vae_char_rnn_and_wavegan_train_with_their_papers_optimisers():
    vae = build_run_config(None, {"model": "vae"}).train
    assert (vae.lr_g, vae.beta1) == (1e-3, 0.9)
    rnn = build_run_config(None, {"model": "charrnn", "data": "a.txt"}).train
    assert (rnn.lr_g, rnn.beta1, rnn.batch_size, rnn.ema_decay) == (2e-3, 0.9, 50, 0.0)
    wave = build_run_config(None, {"model": "wavegan"}).train
    assert (wave.lr_g, wave.lr_d, wave.beta2, wave.ema_decay) == (1e-4, 1e-4, 0.9, 0.0)


def test_settings_the_user_gives_win_over_the_defaults(tmp_path, capsys):
    config = dry_run(capsys, "--model", "vae", "--train.lr_g", "5e-4")
    assert config["train"]["lr_g"] == 5e-4 and config["train"]["beta1"] == 0.9
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"model": {"name": "charrnn"}, "train": {"batch_size": 8}}))
    config = dry_run(capsys, "--config", str(path))
    assert config["train"]["batch_size"] == 8 and config["train"]["lr_g"] == 2e-3


def test_a_resumed_run_keeps_its_own_settings(tmp_path, capsys):
    """A saved config sets every field, so the defaults never move a resumed run."""
    saved = build_run_config(None, {"model": "vae", "train.lr_g": 3e-4}).to_dict()
    again = build_run_config(saved, {"steps": 10})
    assert again.train.lr_g == 3e-4 and again.train.steps == 10


@dataclass
class ProbeConfig(ModelConfig):
    name: ClassVar[str] = "probe"
    width: int = 8
    seen: ClassVar[list] = []

    @classmethod
    def run_defaults(cls, context: DefaultsContext) -> dict:
        cls.seen.append(context)
        return {"model.width": 32 if context.device == "cuda" else 16}


class Probe(DCGAN):
    name = "probe"
    config_class = ProbeConfig


def test_the_hook_sees_the_data_source_and_the_device_type(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(MODELS._entries, "probe", Probe)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_paintings").mkdir()  # --dry-run checks that the data exists
    config = dry_run(capsys, "--model", "probe", "--data", "./my_paintings")
    assert ProbeConfig.seen[-1] == DefaultsContext(source="./my_paintings", device="cpu")
    assert config["model"]["width"] == 16
    config = dry_run(capsys, "--model", "probe", "--model.width", "24")
    assert config["model"]["width"] == 24
