"""The trainer says how much of each step went to waiting for batches (log and last line)."""

import json

import artgan
from artgan.training.trainer import data_time_line
from tests.conftest import tiny_run_config


def test_loader_time_is_logged_and_reported_at_the_end(tmp_path, capsys):
    run_dir = artgan.train(tiny_run_config("dcgan", steps=3, run_dir=str(tmp_path / "run")))
    lines = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]
    assert [entry["step"] for entry in lines] == [1, 2, 3]
    for entry in lines:
        assert 0 <= entry["data_s"] <= entry["step_s"]
        assert entry["cpu_s"] > 0  # CPU seconds a step, what a shared machine's cost reads
    out = capsys.readouterr().out
    assert out.count("data loading: ") == 1 and "% of step time" in out


def test_data_time_line():
    line = data_time_line(0.5, 2.0, 10)
    assert line == "data loading: 25.0 % of step time (50.0 ms of 200.0 ms a step)"
