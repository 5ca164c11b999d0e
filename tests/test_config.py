import pytest

from artgan.config import RunConfig, TrainConfig, apply_overrides, from_dict
from artgan.errors import ConfigError, UnknownNameError
from artgan.models import model_config_class
from artgan.training.run import build_run_config


def test_dotted_overrides_reach_nested_sections():
    config = build_run_config(
        None, {"model.width": 32, "model.objective.loss": "hinge", "steps": "120"}
    )
    assert config.model.name == "dcgan"
    assert config.model.width == 32
    assert config.model.objective.loss == "hinge"
    assert config.train.steps == 120


def test_round_trip_through_dict():
    config = build_run_config(None, {"model": "resnet", "model.width": 16, "data": "digits"})
    again = RunConfig.from_dict(config.to_dict(), model_config_class)
    assert again.to_dict() == config.to_dict()


def test_point_data_picks_the_mlp():
    assert build_run_config(None, {"data": "grid25"}).model.name == "mlp"
    assert build_run_config(None, {"data": "pts.csv"}).model.name == "mlp"
    assert build_run_config(None, {"data": "digits"}).model.name == "dcgan"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"steps": "abc"}, "train.steps must be a number"),
        ({"steps": 1.5}, "whole number"),
        ({"model.width": "wide"}, "model.width must be a number"),
        ({"model.colour": 3}, "unknown option in model: colour"),
        ({"model.image_size": 48}, "dcgan supports image sizes 32, 64, 128"),
        ({"train.lr_decay": "step"}, "train.lr_decay must be none, linear or cosine"),
        ({"model.objective.loss": "wasserstein"}, "valid names: bce, hinge"),
    ],
)
def test_bad_values_are_clear_errors(overrides, message):
    with pytest.raises(ConfigError, match=message):
        build_run_config(None, overrides)


def test_unknown_model_lists_the_valid_names():
    with pytest.raises(UnknownNameError, match="valid names: .*dcgan.*mlp.*resnet"):
        build_run_config(None, {"model": "stylegan9"})


def test_bool_and_list_coercion():
    t = from_dict(TrainConfig, {"progress": "false", "steps": "10"})
    assert t.progress is False and t.steps == 10
    with pytest.raises(ConfigError):
        from_dict(TrainConfig, {"progress": "maybe"})


def test_apply_overrides_does_not_mutate():
    base = {"a": {"b": 1}}
    out = apply_overrides(base, {"a.c": 2})
    assert base == {"a": {"b": 1}} and out == {"a": {"b": 1, "c": 2}}
