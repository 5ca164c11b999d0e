"""Exponential moving average of weights (Yazici et al. 2019, "The Unusual Effectiveness of
Averaging in GAN Training"). Samples come from the averaged generator."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    def __init__(self, module: nn.Module, decay: float, start: int = 0):
        self.decay = decay
        self.start = start
        self.shadow = copy.deepcopy(module).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, module: nn.Module, step: int) -> None:
        # Warm-up (as in TF's ExponentialMovingAverage with num_updates): short runs are not
        # dominated by the random initial weights.
        decay = 0.0 if step < self.start else min(self.decay, (1 + step) / (10 + step))
        ema_params = [p for p in self.shadow.parameters()]
        params = [p.detach() for p in module.parameters()]
        if decay == 0.0:
            torch._foreach_copy_(ema_params, params)
        else:
            torch._foreach_lerp_(ema_params, params, 1.0 - decay)
        for ema_buffer, buffer in zip(self.shadow.buffers(), module.buffers()):
            ema_buffer.copy_(buffer)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.shadow.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.shadow.load_state_dict(state)
