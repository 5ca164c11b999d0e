"""CycleGAN and pix2pix: the history pool, exact resumes with the pool, any-size restyling."""

import json
import shutil

import numpy as np
import pytest
import torch

import artgan
from artgan.config import from_dict
from artgan.errors import ArtganError
from artgan.models.cyclegan import CycleGAN, CycleGANConfig
from artgan.models.history_pool import HistoryPool
from artgan.training.checkpoint import (
    load_model,
    load_raw_tensors,
    load_training_state,
    resolve_checkpoint,
)
from artgan.training.run import build_run_config
from artgan.translate import load_translator, pad_to_multiple, translate_array
from tests.conftest import TINY_MODELS, tiny_run_config


def test_pool_returns_new_images_while_filling_then_mixes_in_old_ones():
    torch.manual_seed(0)
    pool = HistoryPool(size=4)
    first = torch.arange(4.0).view(4, 1, 1, 1)
    assert torch.equal(pool.query(first), first)  # filling: each image stored and returned
    assert pool.count == 4
    seen_old = seen_new = 0
    for k in range(20):
        new = torch.full((2, 1, 1, 1), 100.0 + k)
        out = pool.query(new)
        seen_new += int((out == new).sum())
        seen_old += int((out < 100.0 + k).sum())
        assert pool.count == 4  # never grows past its size
    assert seen_new > 5 and seen_old > 5  # about half of each
    assert HistoryPool(size=0).query(first).equal(first)  # size 0: newest only


def test_pool_state_round_trips():
    torch.manual_seed(1)
    pool = HistoryPool(size=3)
    pool.query(torch.randn(2, 3, 4, 4))
    copy = HistoryPool(size=3)
    copy.load_state_dict(pool.state_dict())
    assert copy.count == 2 and torch.equal(copy.images[:2], pool.images[:2])
    torch.manual_seed(5)
    a = pool.query(torch.ones(3, 3, 4, 4))
    torch.manual_seed(5)
    assert torch.equal(copy.query(torch.ones(3, 3, 4, 4)), a)


def _cyclegan(run_dir, steps, **train):
    return tiny_run_config("cyclegan", steps=steps, run_dir=str(run_dir), ema_decay=0.9, **train)


def test_cyclegan_resumes_exactly_with_its_history_pool(tmp_path):
    """A run killed after its step-3 checkpoint continues exactly: weights, pool, schedule."""
    straight = artgan.train(_cyclegan(tmp_path / "straight", 6))
    killed = artgan.train(_cyclegan(tmp_path / "resumed", 6, checkpoint_every=3))
    shutil.rmtree(killed / "checkpoints" / "step-00000006")  # as if killed before step 6
    (killed / "checkpoints" / "LATEST").write_text("step-00000003\n")
    state = load_training_state(resolve_checkpoint(killed))["model_extra"]
    assert state["pool_a"]["count"] == 4  # tiny pool of 4, filled by the batches of 8
    resumed = artgan.train(resume=killed, steps=6)
    a = load_raw_tensors(resolve_checkpoint(straight))
    b = load_raw_tensors(resolve_checkpoint(resumed))
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-6, atol=1e-7)
    pools = [load_training_state(resolve_checkpoint(r))["model_extra"] for r in (straight, resumed)]
    assert torch.equal(pools[0]["pool_b"]["images"], pools[1]["pool_b"]["images"])
    config = json.loads((straight / "config.json").read_text())
    assert config["train"]["lr_decay"] == "linear"  # the paper's schedule, from run_defaults
    assert config["data"]["pairing"] == "unpaired"


@pytest.fixture(scope="module")
def cyclegan_run(tmp_path_factory):
    return artgan.train(_cyclegan(tmp_path_factory.mktemp("cg") / "run", 2))


@pytest.mark.parametrize("shape", [(13, 7, 3), (33, 50, 3), (9, 9, 1)])
def test_stylize_keeps_odd_image_sizes(cyclegan_run, shape):
    model = load_model(cyclegan_run)
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    for direction in ("a2b", "b2a"):
        out = translate_array(model, image, direction)
        assert out.shape == (*shape[:2], 3) and out.dtype == np.uint8


def test_tiled_stylize_equals_untiled_without_instance_norm():
    """Tiles blend to the whole-image result when no layer sees image-wide statistics (with
    instance norm each tile has its own, so tiled output differs a little)."""
    torch.manual_seed(0)
    config = from_dict(
        CycleGANConfig,
        {k: v for k, v in TINY_MODELS["cyclegan"].items() if k != "name"} | {"norm": "none"},
    )
    model = CycleGAN(config)
    image = np.random.default_rng(1).integers(0, 256, (90, 70, 3), dtype=np.uint8)
    whole = translate_array(model, image, tile=1024).astype(float)
    tiled = translate_array(model, image, tile=48, overlap=16).astype(float)
    assert np.abs(whole - tiled).max() <= 1  # uint8 rounding


def test_pad_to_multiple_mirrors_and_crops_back():
    x = torch.arange(30.0).view(1, 1, 5, 6)
    padded = pad_to_multiple(x, 4)
    assert padded.shape == (1, 1, 8, 8) and torch.equal(padded[..., :5, :6], x)
    assert pad_to_multiple(torch.zeros(1, 1, 2, 2), 8).shape == (1, 1, 8, 8)  # edge repeated


def test_load_stylizer_refuses_other_kinds_of_runs(tmp_path, cyclegan_run):
    other = artgan.train(tiny_run_config("dcgan", steps=1, run_dir=str(tmp_path / "d")))
    with pytest.raises(ArtganError, match="image-to-image run"):
        load_translator(str(other))
    with pytest.raises(ArtganError, match="a2b or b2a"):
        load_translator(str(cyclegan_run), direction="sideways")


def test_paper_run_settings_apply_only_where_the_user_set_none():
    config = build_run_config(None, {"model": "cyclegan", "data_a": "a", "data_b": "b"})
    assert (config.train.batch_size, config.train.lr_decay) == (1, "linear")
    assert (config.data.source, config.data.source_b, config.data.pairing) == ("a", "b", "unpaired")
    config = build_run_config(None, {"model": "pix2pix", "batch_size": 4, "train.lr_decay": "none"})
    assert (config.train.batch_size, config.train.lr_decay) == (4, "none")
    assert config.data.pairing == "paired" and config.data.crop == "random"
    assert build_run_config(None, {"model": "dcgan"}).data.pairing == "none"
