"""--preset quick|cpu|gpu: every family sizes a new run for a budget, said by --dry-run."""

import pytest

from artgan.cli.main import main
from artgan.config import DefaultsContext
from artgan.errors import ConfigError
from artgan.models import model_config_class
from artgan.registry import MODELS
from artgan.training.run import build_run_config

PRESETS = ("quick", "cpu", "gpu")
TWO_DOMAIN = {"cyclegan": {"data.source_b": "art:rothko"}, "pix2pix": {}}


def _families():
    return [name for name in MODELS.names() if name != "template"]


@pytest.mark.parametrize("family", _families())
def test_every_family_has_the_three_presets_and_each_builds_a_valid_config(family):
    context = DefaultsContext(source="art", device="cpu")
    presets = model_config_class(family).presets(context)
    assert set(presets) >= set(PRESETS), family
    for name in PRESETS:
        config = build_run_config({}, {"model": family, **TWO_DOMAIN.get(family, {})}, name)
        for dotted, value in presets[name].items():
            section, *path = dotted.split(".")
            node = getattr(config, section)
            for key in path:
                node = getattr(node, key)
            assert node == value, (family, name, dotted)


def test_quick_runs_are_shorter_and_smaller_than_gpu_runs():
    for family in _families():
        presets = model_config_class(family).presets(DefaultsContext("art", "cpu"))
        assert presets["quick"]["train.steps"] < presets["gpu"]["train.steps"] or family == "mlp"
        quick_width = presets["quick"].get("model.width", 0)
        assert quick_width <= presets["gpu"].get("model.width", quick_width), family


def test_the_options_given_win_over_the_preset():
    config = build_run_config({}, {"model": "dcgan", "train.steps": 7}, "quick")
    assert config.train.steps == 7 and config.model.width == 16


def test_an_unknown_preset_names_the_ones_there_are():
    with pytest.raises(ConfigError, match="dcgan has no preset 'huge' .*quick, cpu, gpu"):
        build_run_config({}, {"model": "dcgan"}, "huge")


def test_dry_run_states_the_preset(capsys):
    assert (
        main(["train", "--model", "dcgan", "--data", "digits", "--preset", "quick", "--dry-run"])
        == 0
    )
    out, err = capsys.readouterr()
    assert '"steps": 400' in out and '"width": 16' in out
    assert "preset quick: image_size 32, width 16, batch_size 32, steps 400" in err


def test_a_resumed_run_refuses_a_preset(tmp_path):
    import artgan

    with pytest.raises(ConfigError, match="--preset sizes a new run"):
        artgan.train(resume=tmp_path, preset="quick")
