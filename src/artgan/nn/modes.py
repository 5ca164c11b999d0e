"""Run a module in evaluation mode for a while, then give it back as it was."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def evaluating(module) -> Iterator[None]:
    """``module.eval()`` inside the block. Afterwards every submodule gets back its own
    training flag, also when the block raised: a sampling call that fails must not leave a
    model in eval mode (frozen batch statistics, no dropout) for the training that follows, and
    a model whose parts were in different modes keeps them so. ``None`` does nothing; any other
    object with ``training``, ``eval()`` and ``train(mode)`` (a stand-in model) gets its one
    flag back."""
    if module is None:
        yield
        return
    if not isinstance(module, nn.Module):
        training = module.training
        module.eval()
        try:
            yield
        finally:
            module.train(training)
        return
    flags = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, training in flags:
            m.training = training
