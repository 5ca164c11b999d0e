"""Output kinds are one registry (DESIGN 12): each kind owns its preview, its `artgan sample`
writer, its default count, its metrics and its model-card words."""

import re
from pathlib import Path

import pytest
import torch

import artgan
from artgan.config import from_dict
from artgan.metrics.evaluate import parse_metrics
from artgan.models import model_class
from artgan.output_kinds import EVALUATORS, OUTPUT_KINDS, OutputKind, kind_of
from artgan.provenance import GenerationRecord
from tests.conftest import TINY_MODELS


def make(family: str):
    cfg = dict(TINY_MODELS[family])
    cls = model_class(cfg.pop("name"))
    return cls(from_dict(cls.config_class, cfg))


def test_the_kinds_are_registered():
    assert OUTPUT_KINDS.names() == [
        "audio",
        "denoised-audio",
        "image",
        "labels",
        "mesh",
        "points",
        "text",
    ]


@pytest.mark.parametrize("family", sorted(TINY_MODELS))
def test_every_family_makes_a_registered_kind(family):
    model = make(family)
    kind = kind_of(model)
    assert isinstance(kind, OutputKind) and kind.words and kind.default_count >= 1
    saved = {k: v for k, v in TINY_MODELS[family].items() if k != "name"}
    assert type(model).kind_from_config(saved) == kind.name


def test_the_metric_sets_come_from_the_kind():
    assert parse_metrics(None, "text", "charrnn") == ["bpc"]
    assert parse_metrics(None, "image", "vae", likelihood=True)[-1] == "nll"
    assert "nll" not in parse_metrics(None, "image", "dcgan")
    assert parse_metrics(None, "denoised-audio", "segan") == ["pesq", "stoi", "segsnr"]


def test_every_kind_with_metrics_has_an_evaluator():
    """``artgan eval`` asks the kind (output_kinds.EVALUATORS, filled in by metrics/); it
    compares no kind names itself."""
    assert [k for k in OUTPUT_KINDS.names() if OUTPUT_KINDS.get(k).metrics] == sorted(
        EVALUATORS.names()
    )
    text = (SOURCE / "metrics/evaluate.py").read_text(encoding="utf-8")
    assert not re.search(r"output_kind\s*(==|!=)", text)


def test_a_new_kind_is_one_entry(tmp_path, monkeypatch):
    """A kind registered here is what a model of that kind previews and writes with."""
    calls = []

    def preview(model, dataset, stem, record):
        calls.append(stem.name)
        return stem

    def write(model, samples, out, record, columns=0):
        calls.append(out.name)
        return "wrote a mesh"

    kind = OutputKind("mesh", "meshes", 1, "--out shape.obj", preview, write)
    monkeypatch.setitem(OUTPUT_KINDS._entries, "mesh", kind)

    class Mesh:
        output_kind = "mesh"

    from artgan.training.preview import write_preview

    write_preview(Mesh(), None, tmp_path, 7, GenerationRecord())
    assert calls == ["step-00000007"]
    assert kind_of(Mesh()).write(Mesh(), torch.zeros(1), tmp_path / "x.obj", None) == "wrote a mesh"


SOURCE = Path(artgan.__file__).parent


@pytest.mark.parametrize(
    "module",
    [
        "training/preview.py",
        "cli/sample.py",
        "cli/train.py",
        "training/model_card.py",
    ],
)
def test_no_copies_of_the_per_kind_branching(module):
    text = (SOURCE / module).read_text(encoding="utf-8")
    assert not re.search(r"output_kind\s*(==|!=)\s*\"(image|points|audio)\"", text)
    assert not re.search(r"\{\s*\"image\":", text)  # no per-kind tables
