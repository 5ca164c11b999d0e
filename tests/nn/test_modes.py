import pytest
from torch import nn

from artgan.nn.modes import evaluating


def test_evaluating_restores_each_part_also_after_an_error():
    model = nn.Sequential(nn.BatchNorm1d(2), nn.Dropout(), nn.Linear(2, 2))
    model[1].eval()  # parts in different modes
    with pytest.raises(RuntimeError), evaluating(model):
        assert not any(m.training for m in model.modules())
        raise RuntimeError("sampling failed")
    assert [m.training for m in model.modules()] == [True, True, False, True]


def test_evaluating_none_does_nothing():
    with evaluating(None):
        pass
