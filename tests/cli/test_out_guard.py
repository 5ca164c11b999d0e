"""Generated files never go into a run's training data (--out inside it is refused)."""

import numpy as np
import pytest
from PIL import Image

from artgan.cli.main import main
from tests.conftest import TINY_DCGAN_CLI


@pytest.fixture(scope="module")
def folder_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("guard")
    data = root / "paintings"
    (data / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(8):
        pixels = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(data / ("sub" if i % 2 else ".") / f"{i}.png")
    run = root / "run"
    argv = ["train", "--model", "dcgan", "--data", str(data), *TINY_DCGAN_CLI]
    assert main([*argv, "--model.channels", "3", "--steps", "1", "--run-dir", str(run)]) == 0
    return run, data


@pytest.mark.parametrize("where", ["grid.png", "sub/grid.png", "new/"])
def test_sample_into_the_training_folder_is_refused_and_says_why(folder_run, capsys, where):
    run, data = folder_run
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    out = data / where
    assert main(["sample", str(run), "--n", "4", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"is inside {data.resolve()}, the training data of {run}" in err
    assert "mixed into the data the next run trains on" in err
    assert sorted(p.relative_to(data) for p in data.rglob("*")) == before  # nothing written


def test_a_checkpoint_folder_is_guarded_like_its_run(folder_run, capsys):
    run, data = folder_run
    checkpoint = next((run / "checkpoints").glob("step-*"))
    assert main(["sample", str(checkpoint), "--n", "4", "--out", str(data / "x.png")]) == 2
    assert "the training data of" in capsys.readouterr().err


def test_sample_beside_the_training_folder_is_fine(folder_run, tmp_path):
    run, data = folder_run
    out = data.parent / "paintings-generated" / "grid.png"  # a sibling with a shared prefix
    assert main(["sample", str(run), "--n", "4", "--out", str(out)]) == 0
    assert out.is_file()
