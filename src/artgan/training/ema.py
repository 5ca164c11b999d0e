"""Exponential moving average of weights (Yazici et al. 2019, "The Unusual Effectiveness of
Averaging in GAN Training"). Samples come from the averaged generator.

The update is one multi-tensor ("foreach") lerp over all parameters and one copy over all
buffers, not a Python loop of small ops per tensor: on a CPU the loop's per-op overhead was a
visible part of a small model's step (bench/train_throughput.py)."""

from __future__ import annotations

import copy

import torch
from torch import nn


def ema_decay(decay: float, step: int, start: int = 0) -> float:
    """The decay used at ``step``: 0 (a plain copy) before ``start``, then warmed up as in TF's
    ExponentialMovingAverage with num_updates, so short runs are not dominated by the random
    initial weights."""
    return 0.0 if step < start else min(decay, (1 + step) / (10 + step))


class EMA:
    def __init__(self, module: nn.Module, decay: float, start: int = 0):
        self.decay = decay
        self.start = start
        self.shadow = copy.deepcopy(module).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, module: nn.Module, step: int) -> None:
        decay = ema_decay(self.decay, step, self.start)
        ema_params = list(self.shadow.parameters())
        params = [p.detach() for p in module.parameters()]
        if decay == 0.0:
            torch._foreach_copy_(ema_params, params)
        else:  # ema += (1 - decay) * (param - ema), i.e. decay * ema + (1 - decay) * param
            torch._foreach_lerp_(ema_params, params, 1.0 - decay)
        # Batch-norm statistics are not averaged (they are re-measured for samples, see
        # GAN.refresh_ema_statistics); the live ones are carried along meanwhile.
        buffers = list(self.shadow.buffers())
        if buffers:
            torch._foreach_copy_(buffers, list(module.buffers()))

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.shadow.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.shadow.load_state_dict(state)
