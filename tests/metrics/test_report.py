"""metrics.json appending and the printed table; class counting from softmax outputs."""

import json

import pytest
import torch

from artgan.errors import CheckpointError, ConfigError
from artgan.metrics.evaluate import class_counts, parse_metrics
from artgan.run_metrics import append_metrics, format_table, read_metrics


def entry(**metrics):
    return {
        "run": "runs/x",
        "step": 7,
        "family": "dcgan",
        "n": {"generated": 10, "reference": 10},
        "extractor": {"name": "classifier:digits", "version": "abc"},
        "data": {"source": "digits", "reference": "train split", "held_out": "test split"},
        "metrics": metrics,
        "floor": {"fid": 1.5},
    }


def test_metrics_json_is_appended_and_corruption_is_reported(tmp_path):
    assert read_metrics(tmp_path) == []
    append_metrics(tmp_path, {"a": 1})
    append_metrics(tmp_path, {"a": 2})
    assert [e["a"] for e in read_metrics(tmp_path)] == [1, 2]
    (tmp_path / "metrics.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="move it away"):
        append_metrics(tmp_path, {"a": 3})
    (tmp_path / "metrics.json").write_text(json.dumps({"a": 1}))
    with pytest.raises(CheckpointError, match="not a list"):
        read_metrics(tmp_path)


def test_table_names_extractor_counts_and_floor():
    nll = {"iwae_nats": -90.0, "stderr": 1.0, "k": 5000, "images": 10}
    text = format_table(entry(fid=12.345, nll=nll))
    assert "step 7" in text and "classifier:digits abc" in text
    assert "generated 10, reference 10" in text and "floor: test split vs reference" in text
    fid_row = next(line for line in text.splitlines() if line.startswith("FID"))
    assert "12.35" in fid_row and fid_row.rstrip().endswith("1.5")
    nll_row = next(line for line in text.splitlines() if "IWAE" in line)
    assert "-90.00 ± 1.00 nats" in nll_row and nll_row.endswith("n/a")


def test_class_counts():
    eye = torch.eye(3)
    fake = eye[[0, 0, 0, 1]]  # classes 0 and 1 of 3
    real = eye[[0, 1, 2, 0, 1, 2]]
    counts = class_counts(fake, real)
    assert counts["covered"] == 2 and counts["of"] == 3 and counts["histogram"] == [3, 1, 0]
    assert counts["kl"] > class_counts(real, real)["kl"] == pytest.approx(0.0)


def test_metric_names_are_checked_per_kind():
    assert parse_metrics(None, "image", "dcgan") == ["fid", "kid", "pr", "dc"]
    assert parse_metrics("FID, kid,fid", "image", "dcgan") == ["fid", "kid"]
    assert parse_metrics(None, "image", "vae", likelihood=True)[-1] == "nll"
    assert parse_metrics(None, "text", "charrnn") == ["bpc"]
    with pytest.raises(ConfigError, match="valid: fd"):
        parse_metrics("fid", "audio", "wavegan")
    with pytest.raises(ConfigError, match="mode coverage"):
        parse_metrics(None, "points", "mlp")
