"""2-D point data picks the default 2-D configuration (models/mlp.py POINT_DEFAULTS), which
fills only what the user leaves unset, and (on a reduced budget) finds the modes of ring8."""

import json

import pytest

import artgan
from artgan.metrics.mode_coverage import score_mixture
from artgan.models.mlp import POINT_DEFAULTS
from artgan.training.checkpoint import load_model
from artgan.training.run import build_run_config


def lookup(config, dotted: str):
    node = config.to_dict()
    for key in dotted.split("."):
        node = node[key]
    return node


@pytest.mark.parametrize("source", ["grid25", "ring8", "points.npy", "my/points.csv"])
def test_point_data_picks_the_default_2d_configuration(source):
    config = build_run_config(None, {"data": source, "steps": 3000})
    assert config.model.name == "mlp"
    assert config.train.steps == 3000  # what the user says wins
    for dotted, value in POINT_DEFAULTS.items():
        if dotted != "train.steps":
            assert lookup(config, dotted) == value, dotted


def test_user_settings_win_over_the_point_defaults(tmp_path):
    config = build_run_config(
        None, {"data": "ring8", "model.objective.pack": 1, "batch_size": 32, "loss": "hinge"}
    )
    assert config.model.objective.pack == 1 and config.train.batch_size == 32
    assert config.model.objective.loss == "hinge"
    path = tmp_path / "run.json"
    path.write_text(
        json.dumps({"model": {"name": "mlp", "width": 48}, "data": {"source": "grid25"}})
    )
    config = build_run_config(path)
    assert config.model.width == 48
    assert config.model.objective.pack == POINT_DEFAULTS["model.objective.pack"]


def test_images_and_resumed_runs_do_not_get_the_point_defaults():
    assert build_run_config(None, {"data": "digits"}).train.lr_g == 2e-4
    saved = build_run_config(None, {"data": "grid25", "model.objective.pack": 2}).to_dict()
    assert build_run_config(saved, {}).model.objective.pack == 2  # a saved config is complete


@pytest.mark.slow
def test_default_configuration_finds_most_ring8_modes_on_a_reduced_budget(tmp_path):
    run = artgan.train(
        None,
        data="ring8",
        steps=1000,  # seen: 8 of 8 modes, 81-83 % high-quality on seeds 0-2 (8-12 s)
        device="cpu",
        run_dir=str(tmp_path / "ring8"),
        **{"train.progress": False, "train.tensorboard": False, "data.size": 20_000},
    )
    score = score_mixture(load_model(run), "ring8", n=2500, seed=0)
    assert score["modes"] >= 7 and score["hq_fraction"] >= 0.5, score
