"""Hub-style folders (save_pretrained / from_pretrained, offline) and artgan.save_image."""

import sys
import types

import pytest
import torch

import artgan
from artgan.errors import CheckpointError
from artgan.models.pretrained import CHECKPOINT_FORMAT
from artgan.provenance.output import read_record
from artgan.training.checkpoint import FORMAT_VERSION
from tests.conftest import tiny_run_config


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    run = artgan.train(tiny_run_config(steps=2, run_dir=str(tmp_path_factory.mktemp("hub") / "r")))
    return artgan.load(run)


def test_save_pretrained_round_trip(model, tmp_path):
    folder = model.save_pretrained(tmp_path / "hub")
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "config.json",
        "model.safetensors",
    ]
    card = (folder / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: artgan\ntags:\n- artgan\n- dcgan\n- image\n")
    assert "pipeline_tag: unconditional-image-generation\n---\n" in card
    again = artgan.from_pretrained(folder)
    assert torch.equal(again.sample(4, seed=1), model.sample(4, seed=1))
    assert again.origin.step == 2 and artgan.load(folder).name == "dcgan"


def test_the_folder_format_is_the_checkpoint_format():
    assert CHECKPOINT_FORMAT == FORMAT_VERSION


def test_a_repo_id_without_huggingface_hub_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(
        CheckpointError, match="needs huggingface_hub .pip install huggingface_hub."
    ):
        artgan.from_pretrained("someone/some-artgan-model")


def _fake_hub(monkeypatch, snapshot_download):
    monkeypatch.setitem(
        sys.modules, "huggingface_hub", types.SimpleNamespace(snapshot_download=snapshot_download)
    )


def test_a_repo_id_offline_is_one_line(monkeypatch):
    def offline(repo_id, **kwargs):
        raise ConnectionError("Failed to resolve 'huggingface.co'\nmore detail")

    _fake_hub(monkeypatch, offline)
    with pytest.raises(CheckpointError) as error:
        artgan.from_pretrained("someone/some-artgan-model")
    assert str(error.value) == (
        "could not fetch someone/some-artgan-model from the Hugging Face Hub: "
        "Failed to resolve 'huggingface.co'"
    )


def test_a_repo_id_loads_what_the_hub_gives(model, tmp_path, monkeypatch):
    folder = model.save_pretrained(tmp_path / "downloaded")
    asked = {}

    def snapshot_download(repo_id, revision=None, allow_patterns=()):
        asked.update(repo_id=repo_id, patterns=sorted(allow_patterns))
        return str(folder)

    _fake_hub(monkeypatch, snapshot_download)
    loaded = artgan.from_pretrained("someone/some-artgan-model")
    assert asked == {
        "repo_id": "someone/some-artgan-model",
        "patterns": ["README.md", "config.json", "model.safetensors"],
    }
    assert torch.equal(loaded.sample(2, seed=3), model.sample(2, seed=3))


def test_save_image_goes_through_the_output_point(model, tmp_path):
    samples = model.sample(4, seed=5)
    path = artgan.save_image(samples, tmp_path / "grid.png", run=model, seed=5)
    record = read_record(path)
    assert record["model_family"] == "dcgan" and record["seed"] == 5
    assert record["params"]["command"] == "save_image" and len(record["weights_sha256"]) == 64
    one = artgan.save_image(samples[0], tmp_path / "one.png")
    assert read_record(one)["params"] == {"command": "save_image"}
