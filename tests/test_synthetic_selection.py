"""Filtering generated images by a classifier's confidence, and choosing the mixing ratio on a
validation split of the real images (artgan.synthetic_selection, ``artgan augment --filter
--choose-ratio``)."""

import json

import pytest
import torch

from artgan import synthetic_selection as selection
from artgan.cli.main import main
from artgan.errors import ConfigError
from artgan.provenance.output import read_record
from tests.conftest import TINY_DCGAN_CLI


def test_keep_confident_keeps_the_most_confident_of_each_class():
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 1])
    confidence = torch.tensor([0.2, 0.9, 0.5, 0.1, 0.8, 0.7, 0.3])
    kept = selection.keep_confident(confidence, labels, per_class=2)
    assert kept.tolist() == [1, 2, 4, 5]
    assert selection.keep_confident(confidence, labels, per_class=9).tolist() == [
        1, 2, 0, 4, 5, 6, 3,
    ]  # fmt: skip
    with pytest.raises(ConfigError):
        selection.keep_confident(confidence, labels, per_class=0)


def test_the_validation_split_holds_back_part_of_every_class_and_never_all():
    labels = torch.arange(30) % 3  # 10 per class
    train, held = selection.validation_split(labels, 0.3, seed=1)
    assert sorted(torch.cat([train, held]).tolist()) == list(range(30))
    assert torch.bincount(labels[held]).tolist() == [3, 3, 3]
    _, held_small = selection.validation_split(torch.tensor([0, 0, 1, 1]), 0.9)
    assert len(held_small) == 2  # one of each class left to train on
    with pytest.raises(ConfigError, match="at least 2 per class"):
        selection.validation_split(torch.tensor([0, 1, 1]), 0.3)


def test_choose_ratio_scores_on_held_back_real_images_only(monkeypatch):
    """Every classifier is scored on real images it did not train on, and the ratio with the
    best validation accuracy wins; ties go to the smaller ratio."""
    x = torch.arange(40, dtype=torch.uint8).reshape(40, 1, 1, 1)  # each image its own value
    y = torch.arange(40) % 4
    synthetic = (torch.full((8, 1, 1, 1), 200, dtype=torch.uint8), torch.arange(8) % 4)
    trained_on = []

    def fake_train(tx, ty, k, recipe, seed, syn, ratio):
        assert syn is synthetic
        trained_on.append(set(tx.flatten().tolist()))
        return ratio

    def fake_accuracy(ratio, vx, vy):
        seen = set(vx.flatten().tolist())
        assert seen and not seen & trained_on[-1] and 200 not in seen  # real, held back
        return {0.0: 0.5, 0.25: 0.8, 0.5: 0.8}[ratio]

    monkeypatch.setattr(selection, "train_classifier", fake_train)
    monkeypatch.setattr(selection, "accuracy", fake_accuracy)
    choice = selection.choose_ratio((x, y), synthetic, 4, ratios=(0.5, 0.0, 0.25), folds=2)
    assert choice.ratio == 0.25 and choice.validation_accuracy[0.0] == pytest.approx(0.5)
    assert choice.validation_images == 2 * 12 and len(trained_on) == 6


def test_a_classifier_learns_from_the_real_images_and_judges_confidence():
    """Two classes (dark / bright images): the judge is sure of on-class images and not of
    off-class ones, so filtering keeps the on-class ones."""
    g = torch.Generator().manual_seed(0)
    dark = torch.randint(0, 60, (20, 1, 8, 8), generator=g, dtype=torch.uint8)
    bright = torch.randint(190, 255, (20, 1, 8, 8), generator=g, dtype=torch.uint8)
    x, y = torch.cat([dark, bright]), torch.tensor([0] * 20 + [1] * 20)
    judge = selection.ConfidenceJudge.train(x, y, 2, selection.ClassifierRecipe(steps=60))
    asked_dark = torch.cat([dark[:3], bright[:3]])  # candidates asked to be class 0
    confidence = judge(asked_dark, 0)
    assert confidence[:3].min() > 0.9 > 0.1 > confidence[3:].max()
    kept = selection.keep_confident(confidence, torch.zeros(6, dtype=torch.long), 3)
    assert sorted(kept.tolist()) == [0, 1, 2]


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("augment") / "cond"
    args = ["train", "--model", "dcgan", "--conditional", "--data", "digits", *TINY_DCGAN_CLI]
    assert main([*args, "--steps", "2", "--run-dir", str(run)]) == 0
    return run


def test_augment_filters_and_chooses_a_ratio_on_the_command_line(conditional_run, tmp_path, capsys):
    out = tmp_path / "synthetic"
    args = ["augment", str(conditional_run), "--per-class", "3", "--out", str(out)]
    steps = ["--classifier-steps", "3"]
    assert main([*args, "--filter", "--oversample", "2", "--choose-ratio", *steps]) == 0
    printed = capsys.readouterr().out
    assert "the most confident of 6 per class" in printed and "validation accuracy" in printed
    labels = json.loads((out / "labels.json").read_text())
    assert labels["filtered"] is True and labels["candidates_per_class"] == 6
    assert labels["mix_ratio"] in (0.0, 0.25, 0.5)
    assert set(labels["mix_ratio_validation_accuracy"]) == {"0", "0.25", "0.5"}
    records = [read_record(out / "4" / f"0000{i}.png")["params"] for i in range(3)]
    confidences = [r["confidence"] for r in records]
    assert confidences == sorted(confidences, reverse=True)  # most confident first
    assert len({r["candidate"] for r in records}) == 3 and all(r["candidate"] < 6 for r in records)


def test_augment_options_that_make_no_sense_are_one_line_errors(conditional_run, tmp_path, capsys):
    args = ["augment", str(conditional_run), "--per-class", "2", "--out", str(tmp_path / "o")]
    assert main([*args, "--real", "digits"]) == 2
    assert "add one of them" in capsys.readouterr().err
    assert main([*args, "--filter", "--oversample", "0"]) == 2
    assert main([*args, "--oversample", "3"]) == 2
    assert "add --filter" in capsys.readouterr().err
    assert main([*args, "--filter", "--real", "fashion-mnist", "--classifier-steps", "2"]) == 2
    assert "classes" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
