"""The progress bar reports a run's own units (images, points, text windows, clips), not img/s."""

import pytest

import artgan
from artgan.output_kinds import OUTPUT_KINDS
from tests.conftest import tiny_run_config


def test_every_output_kind_names_its_unit():
    units = {name: OUTPUT_KINDS.get(name).item_unit for name in OUTPUT_KINDS.names()}
    assert units["image"] == "img" and units["points"] == "pts"
    assert units["text"] == "seq" and units["audio"] == "clips"


@pytest.mark.parametrize(
    "family, unit", [("mlp", "pts/s"), ("charrnn", "seq/s"), ("dcgan", "img/s")]
)
def test_the_progress_bar_says_the_runs_unit(tmp_path, capsys, family, unit):
    config = tiny_run_config(family, steps=2, run_dir=str(tmp_path / "run"), progress=True)
    artgan.train(config)
    err = capsys.readouterr().err
    assert unit in err
    if unit != "img/s":
        assert "img/s" not in err
