"""Per-class metrics of conditional generators: known answers."""

import numpy as np
import pytest

from artgan.errors import DataError
from artgan.metrics.per_class import class_accuracy, intra_fid


def test_intra_fid_is_zero_for_identical_classes_and_the_mean_shift_otherwise():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(400, 3))
    labels = np.repeat([0, 1], 200)
    shift = np.where(labels[:, None] == 1, [2.0, 0.0, 0.0], 0.0)  # class 1 moved by 2 on axis 0
    result = intra_fid(real, labels, real + shift, labels, class_names=["a", "b"])
    # Same covariance: FID = |mu_1 - mu_2|^2, i.e. 0 for class a and 4 for class b.
    assert result.per_class["a"] == pytest.approx(0.0, abs=1e-6)
    assert result.per_class["b"] == pytest.approx(4.0, rel=1e-6)
    assert result.mean == pytest.approx(2.0, rel=1e-6)
    assert result.counts == {"a": (200, 200), "b": (200, 200)}


def test_intra_fid_sees_swapped_classes_that_plain_fid_cannot():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, (300, 2)), rng.normal(5, 1, (300, 2))
    real, labels = np.concatenate([a, b]), np.repeat([0, 1], 300)
    swapped = intra_fid(real, labels, np.concatenate([b, a]), labels)
    right = intra_fid(real, labels, real, labels)
    assert right.mean == pytest.approx(0.0, abs=1e-6)
    assert swapped.mean > 40  # |(5, 5)|^2 = 50 in each class


def test_intra_fid_needs_two_samples_of_each_class():
    with pytest.raises(DataError, match="class '1' has 1 real"):
        intra_fid(np.zeros((3, 2)), [0, 0, 1], np.zeros((4, 2)), [0, 0, 1, 1])
    with pytest.raises(DataError, match="integer"):
        intra_fid(np.zeros((2, 2)), [0.5, 1.0], np.zeros((2, 2)), [0, 1])


def test_class_accuracy_overall_per_class_and_confusion():
    requested = [0, 0, 1, 1, 2, 2]
    predicted = [0, 1, 1, 1, 0, 2]
    result = class_accuracy(predicted, requested, class_names=["x", "y", "z"])
    assert result.accuracy == pytest.approx(4 / 6)
    assert result.per_class == {"x": 0.5, "y": 1.0, "z": 0.5}
    assert result.confusion.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_class_accuracy_takes_logits():
    logits = np.array([[3.0, 0.0], [0.0, 1.0], [2.0, 1.0]])
    result = class_accuracy(logits, [0, 1, 1])
    assert result.accuracy == pytest.approx(2 / 3)
    assert result.confusion.shape == (2, 2)
