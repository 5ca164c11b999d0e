"""Speech quality of an enhanced recording against its clean reference.

- ``pesq_wb``: PESQ wide band (ITU-T P.862.2), MOS-LQO 1.04 to 4.64, from the reference C code
  wrapped by PyPI ``pesq`` (the ``audio`` extra).
- ``stoi``: short-time objective intelligibility (Taal et al. 2011), 0 to 1, from PyPI
  ``pystoi``.
- ``segmental_snr``: segmental SNR as in Loizou's "Speech Enhancement: Theory and Practice"
  (2007) toolbox, which SEGAN's paper reports: 30 ms Hann-windowed frames every 7.5 ms, each
  frame's SNR clipped to [-10, 35] dB, averaged.

All take mono float arrays at 16 kHz of the same length.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

RATE = 16_000
SEGMENT_MS, MIN_SEG_SNR, MAX_SEG_SNR = 30, -10.0, 35.0
EPS = np.finfo(np.float64).eps


def _needs(module: str):
    try:
        return __import__(module)
    except ImportError:
        raise ConfigError(
            f"speech quality scores need {module}: pip install 'artgan[audio]'"
        ) from None


def _pair(clean, enhanced) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(clean, np.float64).reshape(-1), np.asarray(enhanced, np.float64).reshape(-1)
    if len(a) != len(b):
        raise ConfigError(f"reference and enhanced lengths differ: {len(a)} and {len(b)}")
    return a, b


def pesq_wb(clean, enhanced, rate: int = RATE) -> float:
    a, b = _pair(clean, enhanced)
    return float(_needs("pesq").pesq(rate, a, b, "wb"))


def stoi(clean, enhanced, rate: int = RATE) -> float:
    a, b = _pair(clean, enhanced)
    return float(_needs("pystoi").stoi(a, b, rate, extended=False))


def segmental_snr(clean, enhanced, rate: int = RATE) -> float:
    a, b = _pair(clean, enhanced)
    frame = round(SEGMENT_MS * rate / 1000)
    hop = frame // 4
    window = np.hanning(frame)
    scores = []
    for start in range(0, len(a) - frame + 1, hop):
        s = a[start : start + frame] * window
        e = b[start : start + frame] * window
        snr = 10 * np.log10(np.sum(s**2) / (np.sum((s - e) ** 2) + EPS) + EPS)
        scores.append(np.clip(snr, MIN_SEG_SNR, MAX_SEG_SNR))
    if not scores:
        raise ConfigError(f"segmental SNR needs at least {frame} samples, got {len(a)}")
    return float(np.mean(scores))


SCORES = {"pesq": pesq_wb, "stoi": stoi, "segsnr": segmental_snr}
