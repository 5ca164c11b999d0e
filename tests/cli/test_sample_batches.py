"""``artgan sample`` draws in bounded batches and writes a folder batch by batch (issue 14
item 7): memory holds one batch whatever --n is, and the samples are the same as one draw
gives for up to a batch, deterministic by seed beyond."""

import functools

import numpy as np
import pytest
import torch
from PIL import Image

import artgan
import artgan.sample as sampling
from artgan.cli.main import main
from artgan.models.gan import GAN
from artgan.sample import batch_seed, concat_batches, draw_in_batches
from tests.conftest import tiny_run_config

BATCH = 3  # samples per batch in these tests


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batches") / "run"
    return artgan.train(tiny_run_config(steps=1, run_dir=str(folder)))


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of BATCH samples of the tiny run's (1, 32, 32) images."""
    monkeypatch.setattr(sampling, "BATCH_BYTES", BATCH * 32 * 32 * 4)


@pytest.fixture
def draws(monkeypatch):
    """Every draw a GAN makes: (samples asked for, files already in the watched folder)."""
    seen, watched = [], []
    original = GAN.draw

    @functools.wraps(original)  # the signature stays (sample_options reads it)
    def counting_draw(self, n, *args, **kwargs):
        seen.append((n, len(list(watched[0].glob("*.png"))) if watched[0].exists() else 0))
        return original(self, n, *args, **kwargs)

    monkeypatch.setattr(GAN, "draw", counting_draw)
    return seen, watched


def test_a_folder_is_written_batch_by_batch(run, tmp_path, small_batches, draws, capsys):
    seen, watched = draws
    out = tmp_path / "many"
    watched.append(out)
    assert main(["sample", str(run), "--n", "10", "--seed", "7", "--out", str(out)]) == 0
    assert [n for n, _ in seen] == [3, 3, 3, 1]  # never more than a batch at once
    assert [files for _, files in seen] == [0, 3, 6, 9]  # each batch on disk before the next
    assert sorted(p.name for p in out.glob("*.png")) == [f"{i:04d}.png" for i in range(10)]
    assert "wrote 10 images" in capsys.readouterr().out


def test_batched_samples_are_deterministic_and_one_draw_up_to_a_batch(run, small_batches):
    model = artgan.load(run)
    draw = artgan.output_kinds.IMAGE.draw
    first = concat_batches(draw_in_batches(draw, model, 7, 5, {}, BATCH))
    again = concat_batches(draw_in_batches(draw, model, 7, 5, {}, BATCH))
    assert torch.equal(first, again)
    assert torch.equal(first[:BATCH], model.sample(BATCH, seed=5))  # the first batch: the seed
    assert not torch.equal(first[BATCH : 2 * BATCH], first[:BATCH])  # later ones: their own
    assert len({batch_seed(5, k) for k in range(100)} | {batch_seed(6, 0)}) == 101


def test_the_same_folder_command_writes_the_same_pixels(run, tmp_path, small_batches):
    for name in ("a", "b"):
        argv = ["sample", str(run), "--n", "5", "--seed", "3", "--out", str(tmp_path / name)]
        assert main(argv) == 0
    for i in range(5):
        a, b = (np.asarray(Image.open(tmp_path / n / f"{i:04d}.png")) for n in ("a", "b"))
        assert np.array_equal(a, b)


def test_a_grid_gathers_the_same_batches(run, tmp_path, small_batches, draws):
    seen, watched = draws
    watched.append(tmp_path / "none")
    assert main(["sample", str(run), "--n", "7", "--out", str(tmp_path / "g.png")]) == 0
    assert [n for n, _ in seen] == [3, 3, 1]


def test_a_large_folder_is_not_refused_for_memory(run, tmp_path, monkeypatch, capsys):
    """Streamed, a folder needs one batch of memory: only the disk bounds --n. (The sample
    byte limit is set below one sample; a grid of the same count is still refused.)"""
    monkeypatch.setenv("ARTGAN_MAX_SAMPLE_BYTES", "16")
    assert main(["sample", str(run), "--n", "2", "--out", str(tmp_path / "f")]) == 0
    assert main(["sample", str(run), "--n", "2", "--out", str(tmp_path / "g.png")]) == 2
    assert "GiB limit" in capsys.readouterr().err


class FakeConditional:
    conditional = True

    class config:
        num_classes = 4

    @staticmethod
    def sample_options():
        return ["classes"]


def test_conditional_batches_keep_cycling_through_the_classes():
    calls = []

    def draw(model, n, seed, options):
        calls.append(options["classes"].tolist())
        return torch.zeros(n, 1)

    batches = draw_in_batches(draw, FakeConditional(), 7, 0, {}, 3)
    assert len(concat_batches(batches)) == 7
    assert calls == [[0, 1, 2], [3, 0, 1], [2]]  # class i % K for sample i, as one draw
