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


class StandIn:
    """A model in name only: the flag and the two methods, as test doubles of models have."""

    def __init__(self):
        self.training, self.calls = True, []

    def eval(self):
        self.calls.append("eval")
        self.training = False

    def train(self, mode=True):
        self.calls.append(f"train({mode})")
        self.training = mode


def test_evaluating_a_stand_in_model_uses_its_flag_and_methods():
    model = StandIn()
    with evaluating(model):
        assert not model.training
    assert model.training and model.calls == ["eval", "train(True)"]
