"""Classical single-channel speech enhancement, the baselines a denoising GAN is scored against.

- ``spectral_subtraction``: pyroomacoustics' ``apply_spectral_sub`` (Boll 1979 with Berouti's
  over-subtraction and a spectral floor; the noise power per bin is the minimum over the last 12
  frames, so it needs no silence), with the library's defaults: 512-point FFT, hop 256, floor
  -25 dB, over-subtraction 30. Its streaming STFT delays the output by 256 samples, which is
  taken back here so the output lines up with the input.
- ``wiener_filter``: the Wiener filter with the decision-directed a priori SNR of Scalart &
  Vieira Filho (1996, "Speech enhancement based on a priori signal to noise estimation"), the
  baseline of SEGAN's paper. Written here: pyroomacoustics' Wiener filter is the iterative
  all-pole one of Lim & Oppenheim, which assumes white noise and detects speech by an absolute
  energy threshold, so it cannot follow pink noise, hum or babble; no maintained library has
  the decision-directed one. The noise power spectrum is the mean over the 10 % quietest frames
  of the recording (the pauses of speech).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import istft, stft

from ..errors import ConfigError

RATE = 16_000
SUBTRACTION_FFT = 512
WIENER_FFT, WIENER_HOP = 512, 128  # 32 ms Hann frames, 75 % overlap
DECISION_DIRECTED_ALPHA = 0.98  # Scalart & Vieira Filho's smoothing of the a priori SNR
MIN_PRIOR_SNR = 10 ** (-25 / 10)  # -25 dB: the gain floor that keeps musical noise down
QUIET_SHARE = 0.1


def spectral_subtraction(noisy: np.ndarray) -> np.ndarray:
    try:
        from pyroomacoustics.denoise import apply_spectral_sub
    except ImportError:
        raise ConfigError(
            "spectral subtraction needs pyroomacoustics: pip install 'artgan[audio]'"
        ) from None
    x = np.asarray(noisy, dtype=np.float64).reshape(-1)
    delay = SUBTRACTION_FFT // 2  # the streaming STFT's latency (nfft - hop)
    padded = np.pad(x, (0, delay + SUBTRACTION_FFT))
    with np.errstate(invalid="ignore", divide="ignore"):  # a silent frame: 0 / 0 gain
        y = apply_spectral_sub(padded, nfft=SUBTRACTION_FFT)
    return np.nan_to_num(y[delay : delay + len(x)], nan=0.0).astype(np.float32)


def noise_power(power: np.ndarray) -> np.ndarray:
    """(bins,) noise power: the mean over the ``QUIET_SHARE`` of frames with least energy."""
    energy = power.sum(axis=0)  # (frames,)
    count = max(1, int(round(QUIET_SHARE * len(energy))))
    quiet = np.argsort(energy)[:count]
    return power[:, quiet].mean(axis=1) + 1e-12


def wiener_filter(noisy: np.ndarray, rate: int = RATE) -> np.ndarray:
    x = np.asarray(noisy, dtype=np.float64).reshape(-1)
    overlap = WIENER_FFT - WIENER_HOP
    _, _, spectrum = stft(x, rate, "hann", WIENER_FFT, overlap)  # (bins, frames)
    power = np.abs(spectrum) ** 2
    noise = noise_power(power)
    clean_power = np.zeros_like(noise)  # |A(m-1)|^2: the last frame's clean estimate
    gains = np.empty_like(power)
    for m in range(power.shape[1]):
        posterior = power[:, m] / noise  # gamma
        prior = DECISION_DIRECTED_ALPHA * clean_power / noise + (
            1 - DECISION_DIRECTED_ALPHA
        ) * np.maximum(posterior - 1, 0)
        prior = np.maximum(prior, MIN_PRIOR_SNR)  # xi
        gains[:, m] = prior / (1 + prior)
        clean_power = gains[:, m] ** 2 * power[:, m]
    _, y = istft(gains * spectrum, rate, "hann", WIENER_FFT, overlap)
    return y[: len(x)].astype(np.float32)


BASELINES = {"spectral subtraction": spectral_subtraction, "wiener": wiener_filter}
