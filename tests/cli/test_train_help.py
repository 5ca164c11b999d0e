"""train --help lists the registered families and datasets and every dotted option, generated
from the registries and the config dataclasses (so it cannot go stale)."""

import dataclasses

import pytest

from artgan.cli.main import main
from artgan.config import DataConfig, TrainConfig
from artgan.models import model_config_class
from artgan.registry import DATASETS, MODELS


@pytest.fixture(scope="module")
def help_text():
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
        main(["train", "--help"])
    assert done.value.code == 0
    return out.getvalue()


def test_every_family_and_built_in_dataset_is_listed(help_text):
    families = help_text.split("model families (--model):")[1].split("built-in datasets")[0]
    for name in MODELS.names():
        if name != "template":
            assert name in families
    datasets = help_text.split("built-in datasets (--data):")[1].split("\n\n")[0]
    for name in DATASETS.names():
        assert name in datasets


def test_every_dotted_option_has_its_default_and_meaning(help_text):
    for section, cls in (("train", TrainConfig), ("data", DataConfig)):
        for f in dataclasses.fields(cls):
            assert f"--{section}.{f.name} " in help_text
    for name in MODELS.names():
        if name == "template":
            continue
        block = help_text.split(f"\n{name} options:\n")[1].split("\n\n")[0]
        for f in dataclasses.fields(model_config_class(name)):
            if f.name != "name" and f.init:
                assert f"--model.{f.name}" in block, (name, f.name)
    assert "--train.lr_decay none" in help_text and "none | linear | cosine" in help_text
    assert "--model.objective.loss" in help_text  # nested sections are listed too
