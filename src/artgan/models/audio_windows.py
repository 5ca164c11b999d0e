"""Sounds of any length through a network that takes a fixed window (SEGAN's 16,384 samples).

The sound is cut into windows that overlap by half a window; the last window is moved back to
end at the sound's end, so every window is whole, and a sound shorter than a window is
zero-padded to one window and cut back after. Each window's output is weighted by a
raised-cosine cross-fade across the part it shares with each neighbour (1 elsewhere), and the
weighted outputs are summed and divided by the summed weights: where two windows overlap, one
fades out as the other fades in (sin^2 + cos^2 = 1), so no seam or level change is heard.

Inside, a window's edges fade to nothing; the sound's own first and last samples would sit on
the unfaded outer edges of the first and last windows, where a convolutional network sees no
context and SEGAN clicked. So the sound is first extended by a mirrored margin at both ends
(``EDGE_MARGIN`` of a window) and the margin is cut off after: those edges fall outside it.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import DataError

EDGE_MARGIN = 1 / 16  # of a window, mirrored onto each end of the sound before windowing


def window_starts(length: int, window: int, hop: int) -> list[int]:
    """Start offsets of windows covering ``length`` samples (the last one ends at the end)."""
    if length <= window:
        return [0]
    starts = list(range(0, length - window, hop))
    starts.append(length - window)
    return starts


def fade(length: int, fade_in: int, fade_out: int) -> np.ndarray:
    """Weights of one window: raised-cosine ramps over its first ``fade_in`` and last
    ``fade_out`` samples, 1 between."""
    weights = np.ones(length, dtype=np.float64)
    for size, at_start in ((fade_in, True), (fade_out, False)):
        if size <= 0:
            continue
        ramp = np.sin(0.5 * np.pi * (np.arange(size) + 0.5) / size) ** 2  # 0 -> 1
        if at_start:
            weights[:size] *= ramp
        else:
            weights[length - size :] *= ramp[::-1]
    return weights


def enhance_any_length(model, samples, seed: int = 0, batch_size: int = 8) -> np.ndarray:
    """``model.denoise`` over a mono (T,) sound of any length T >= 1: (T,) float32."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if x.size == 0:
        raise DataError("the sound holds no samples")
    if not np.isfinite(x).all():
        raise DataError("the sound holds NaN or infinite samples")
    window = model.window
    margin = min(int(window * EDGE_MARGIN), len(x) - 1)  # "reflect" needs a longer sound
    extended = np.pad(x, margin, mode="reflect") if margin > 0 else x
    length = max(len(extended), window)
    padded = np.pad(extended, (0, length - len(extended)))
    starts = window_starts(length, window, window // 2)
    out = np.zeros(length, dtype=np.float64)
    total = np.zeros(length, dtype=np.float64)
    generator = torch.Generator().manual_seed(int(seed))
    for first in range(0, len(starts), batch_size):
        chunk = starts[first : first + batch_size]
        noisy = torch.from_numpy(np.stack([padded[s : s + window] for s in chunk]))[:, None]
        clean = model.denoise(noisy, generator=generator)[:, 0].double().numpy()  # (b, window)
        for k, start in enumerate(chunk):
            i = first + k
            fade_in = starts[i - 1] + window - start if i > 0 else 0
            fade_out = start + window - starts[i + 1] if i + 1 < len(starts) else 0
            weights = fade(window, fade_in, fade_out)
            out[start : start + window] += clean[k] * weights
            total[start : start + window] += weights
    return (out / total)[margin : margin + len(x)].astype(np.float32)
