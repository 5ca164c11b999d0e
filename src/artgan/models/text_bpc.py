"""Bits per character of a character-level language model on held-out text (the model's own
measure: CharRNN.evaluate reports it; metrics/text.py scores runs with it for ``artgan eval``).

    BPC = -(1 / N) sum_t log2 p(c_t | c_<t)

over the N characters that follow the first one (Graves 2013; the figure char-level models
report on text8/enwik8). The text is read in a few long contiguous streams side by side, the
recurrent state carried from chunk to chunk, so nearly every character is predicted with its
full history; each stream starts from a zero state, and there are at most one per
``min_stream`` characters so the cold starts cost little. No randomness: the same model and
text give the same number.
"""

from __future__ import annotations

import math

import torch

from ..errors import DataError
from ..nn.modes import evaluating

IGNORE = -100  # cross_entropy's ignore_index: padding past a stream's end


def remap(tokens: torch.Tensor, vocabulary: list[str], model_vocabulary: list[str]) -> torch.Tensor:
    """Token ids of ``vocabulary`` -> the ids of the same characters in ``model_vocabulary``."""
    if list(vocabulary) == list(model_vocabulary):
        return tokens
    index = {ch: i for i, ch in enumerate(model_vocabulary)}
    missing = sorted(set(vocabulary) - set(index))
    used = set(tokens.unique().tolist())
    missing = [ch for ch in missing if vocabulary.index(ch) in used]
    if missing:
        raise DataError(f"the text uses characters the model never saw: {''.join(missing)!r}")
    table = torch.tensor([index.get(ch, 0) for ch in vocabulary], dtype=torch.long)
    return table[tokens.cpu()]


@torch.no_grad()
def bits_per_character(
    model, tokens: torch.Tensor, max_streams: int = 64, min_stream: int = 2000, chunk: int = 256
) -> dict:
    """BPC of ``model`` (a charrnn) on a 1-D stream of its token ids.

    Returns ``{"bpc", "characters", "streams"}``: characters is the number predicted."""
    tokens = torch.as_tensor(tokens).long().flatten().cpu()
    predicted = len(tokens) - 1
    if predicted < 1:
        raise DataError("bits per character need a held-out text of at least 2 characters")
    streams = max(1, min(max_streams, predicted // min_stream))
    length = math.ceil(predicted / streams)  # the last stream may be shorter
    inputs = torch.zeros(streams, length, dtype=torch.long)
    targets = torch.full((streams, length), IGNORE, dtype=torch.long)
    for s in range(streams):
        begin, end = s * length, min(predicted, (s + 1) * length)
        inputs[s, : end - begin] = tokens[begin:end]
        targets[s, : end - begin] = tokens[begin + 1 : end + 1]

    device = model.device
    state, total = None, 0.0
    with evaluating(model):
        for start in range(0, length, chunk):
            logits, state = model.net(inputs[:, start : start + chunk].to(device), state)
            total += torch.nn.functional.cross_entropy(
                logits.float().flatten(0, 1),
                targets[:, start : start + chunk].flatten().to(device),
                ignore_index=IGNORE,
                reduction="sum",
            ).item()
    return {"bpc": total / predicted / math.log(2.0), "characters": predicted, "streams": streams}


def held_out_bpc(model, dataset) -> dict:
    """BPC on a text dataset's held-out characters (the ``test`` split's whole stream, or the
    part a ``train`` split holds out)."""
    stream = dataset.held_out if len(dataset.held_out) else dataset.tokens
    return bits_per_character(model, remap(stream, dataset.vocabulary, model.vocabulary))
