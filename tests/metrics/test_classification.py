"""Accuracy for classifier runs: class folders matched to the run's classes by name."""

import json

import pytest
import torch

from artgan.errors import DataError
from artgan.metrics.classification import accuracy_scores, folder_class_names, label_map

NAMES = ["T-shirt/top", "Trouser", "Ankle boot"]


def test_folder_names_match_class_names_ignoring_case_and_punctuation():
    assert label_map(["Ankle boot", "T-shirt_top", "trouser"], NAMES, "f").tolist() == [2, 0, 1]
    with pytest.raises(DataError, match="does not know: Sock"):
        label_map(["Sock", "Trouser"], NAMES, "f")


def test_labels_json_names_the_classes_of_the_folders(tmp_path):
    (tmp_path / "labels.json").write_text(json.dumps({"classes": {"a": "Trouser"}}))
    assert folder_class_names(str(tmp_path), ["a", "Ankle boot"]) == ["Trouser", "Ankle boot"]
    (tmp_path / "labels.json").write_text("{broken")
    with pytest.raises(DataError, match="labels.json is unreadable"):
        folder_class_names(str(tmp_path), ["a"])


class Constant:
    """A classifier that says class 1 for every image."""

    class_names = NAMES

    def predict(self, x):
        return torch.ones(len(x), dtype=torch.long)


def test_accuracy_overall_and_per_class():
    images = torch.zeros(4, 1, 16, 16, dtype=torch.uint8)
    scores = accuracy_scores(Constant(), images, torch.tensor([1, 1, 0, 2]))
    assert scores["accuracy"] == 0.5
    assert scores["per_class"] == {"T-shirt/top": 0.0, "Trouser": 1.0, "Ankle boot": 0.0}
