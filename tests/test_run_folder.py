"""A ``Run`` owns a run folder's layout (DESIGN 13): one place names its files, finds the run of
a checkpoint, and reads the data the run trained on (the one copy evaluate, reconstruct and
the originality guard share)."""

import json
import re
from pathlib import Path

import pytest

import artgan
from artgan.errors import CheckpointError, ConfigError
from artgan.run_folder import Run


def make_run(root: Path, data: dict | None = None) -> Run:
    checkpoint = root / "checkpoints" / "00000010"
    checkpoint.mkdir(parents=True)
    (checkpoint / "config.json").write_text(json.dumps({"family": "dcgan", "model": {}}))
    (root / "config.json").write_text(json.dumps({"data": data or {"source": "digits"}}))
    return Run(root)


def test_the_layout_is_named_in_one_place(tmp_path):
    run = Run(tmp_path)
    assert run.config_file == tmp_path / "config.json"
    assert run.latest_file == tmp_path / "checkpoints" / "LATEST"
    assert run.metrics_file.name == "metrics.json" and run.model_card.name == "MODEL_CARD.md"
    assert run.lock_file.name == ".artgan.lock" and run.samples.name == "samples"


def test_a_checkpoint_belongs_to_its_run_and_a_lone_one_to_itself(tmp_path):
    run = make_run(tmp_path / "r")
    assert Run.of(run.checkpoints / "00000010") == run
    assert Run.of(run.root) == run
    lone = tmp_path / "copied"
    (lone).mkdir()
    (lone / "config.json").write_text("{}")
    assert Run.of(lone).root == lone


def test_the_data_config_is_the_runs_with_the_source_swapped_in(tmp_path):
    run = make_run(tmp_path / "r", {"source": "digits", "limit": 50, "flip": True})
    same = run.data_config(None, {}, channels=1)
    assert (same.source, same.limit, same.color, same.flip) == ("digits", 50, "grey", False)
    assert run.data_config(None, {}, channels=3, every_item=True).limit == 0
    other = run.data_config("fashion-mnist", {}, channels=1)
    assert other.source == "fashion-mnist" and other.limit == 0
    assert run.data_config(None, {}).flip is True  # not images: the run's settings as they are


def test_a_run_without_a_source_asks_for_data(tmp_path):
    lone = tmp_path / "lone"
    lone.mkdir()
    with pytest.raises(ConfigError, match="pass --data"):
        Run(lone).data_config(None, {"data": {}})
    assert Run(lone).data_config(None, {"data": {"source": "art"}}).source == "art"


def test_a_missing_or_damaged_config_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="not an artgan run folder"):
        Run(tmp_path).read_config()
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="corrupted"):
        Run(tmp_path).read_config()
    assert Run(tmp_path).saved_config() == {}


SOURCE = Path(artgan.__file__).parent
# Only the layout itself names the files.
NOT_YET = {"run_folder.py"}


def test_nothing_else_rebuilds_run_paths():
    offenders = []
    for path in SOURCE.rglob("*.py"):
        name = str(path.relative_to(SOURCE))
        text = path.read_text(encoding="utf-8")
        if name not in NOT_YET and ('"config.json"' in text or "parent.parent" in text):
            offenders.append(name)
    assert not offenders, offenders


def test_a_loaded_model_knows_its_checkpoint_and_a_built_one_does_not(tmp_path):
    from artgan.config import from_dict
    from artgan.models import model_class
    from artgan.provenance.record import record_for_model
    from artgan.run_folder import Checkpoint
    from artgan.training.checkpoint import load_model, model_meta, save_checkpoint
    from tests.conftest import TINY_MODELS

    cfg = dict(TINY_MODELS["dcgan"])
    cls = model_class(cfg.pop("name"))
    model = cls(from_dict(cls.config_class, cfg))
    assert model.origin is None and record_for_model(model).step == 0
    meta = model_meta(model, {"source": "digits"}, step=3, run_id="r1")
    save_checkpoint(tmp_path, 3, model, {}, {"step": 3}, meta, keep=1)
    loaded = load_model(tmp_path)
    assert isinstance(loaded.origin, Checkpoint) and loaded.origin.run == Run(tmp_path)
    assert loaded.origin.step == 3 and loaded.origin.data["source"] == "digits"
    record = record_for_model(loaded)
    assert (record.run_id, record.step) == ("r1", 3) and len(record.weights_sha256) == 64


def test_the_run_gives_its_lock_and_step_names(tmp_path):
    """The writer's lock is reachable from the Run (the primitive is artgan/run_lock.py)."""
    run = Run(tmp_path / "run")
    with run.lock():
        assert run.is_locked() and run.lock_file.is_file()
    assert not run.is_locked()
    assert run.checkpoint_folder(200) == run.checkpoints / "step-00000200"
    (run.checkpoint_folder(300)).mkdir(parents=True)
    (run.checkpoint_folder(100)).mkdir()
    assert [p.name for p in run.checkpoint_folders()] == ["step-00000100", "step-00000300"]


RUN_FILE_NAMES = (
    "checkpoints|LATEST|samples|log\\.jsonl|config\\.json|data\\.json|metrics\\.json"
    "|loss_curve\\.png|MODEL_CARD\\.md|feedback\\.jsonl|tensorboard|\\.artgan\\.lock"
)


def test_nothing_else_builds_run_folder_paths():
    """Every command reaches a run's files through ``Run`` (run_folder.py): no
    ``path / "checkpoints"`` elsewhere in the package."""
    source = Path(artgan.__file__).parent
    pattern = re.compile(rf"/\s*\"({RUN_FILE_NAMES})\"")
    offenders = [
        f"{path.relative_to(source)}: {m.group(0)}"
        for path in source.rglob("*.py")
        if path.name != "run_folder.py"
        for m in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders
