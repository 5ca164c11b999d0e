"""Audio helpers: reading and writing sound files, resampling, log-mel spectrograms and the
spectrogram sheet that stands for a batch of sounds in previews.

Reading uses soundfile (libsndfile: WAV, FLAC, OGG/Vorbis; the ``audio`` extra) and falls back
to the standard library's ``wave`` for PCM WAV when soundfile is not installed. Resampling is
scipy's polyphase filter (``resample_poly``, Kaiser-windowed FIR). Generated sound is written as
16-bit PCM WAV with the standard library, which every player opens.

The mel filterbank is written here rather than taken from torchaudio (whose wheels pin one torch
version) or librosa (numba, heavy); it is the HTK mel scale with unnormalised triangles, the
default of torchaudio's ``MelSpectrogram`` and the front end of VGGish (Hershey et al. 2017).
"""

from __future__ import annotations

import io
import math
import wave
from pathlib import Path

import numpy as np
import torch

from .errors import DataError

SAMPLE_RATE = 16_000  # WaveGAN's rate (Donahue et al. 2019)
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


# ----------------------------------------------------------------------------- reading


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Decode ``path`` to float32 samples (frames, channels) in [-1, 1] and its sample rate.
    Raises DataError when the file cannot be decoded."""
    path = Path(path)
    try:
        import soundfile
    except ImportError:
        soundfile = None
    if soundfile is not None:
        try:
            data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        except (RuntimeError, OSError, ValueError, TypeError) as error:  # LibsndfileError too
            raise DataError(f"cannot decode {path.name}: {error}") from None
    elif path.suffix.lower() == ".wav":
        data, rate = _read_pcm_wav(path)
    else:
        raise DataError(f"reading {path.suffix} files needs soundfile: pip install 'artgan[audio]'")
    if data.shape[0] == 0:
        raise DataError(f"{path.name} holds no samples")
    if not np.isfinite(data).all():
        raise DataError(f"{path.name} holds NaN or infinite samples")
    return np.clip(data, -1.0, 1.0), int(rate)


def _read_pcm_wav(path: Path) -> tuple[np.ndarray, int]:
    """Integer PCM WAV with the standard library (8-bit unsigned, 16/24/32-bit signed)."""
    try:
        with wave.open(str(path), "rb") as handle:
            channels, width = handle.getnchannels(), handle.getsampwidth()
            rate, raw = handle.getframerate(), handle.readframes(handle.getnframes())
    except (wave.Error, EOFError, OSError) as error:
        raise DataError(
            f"cannot decode {path.name}: {error} (float WAVs need pip install 'artgan[audio]')"
        ) from None
    if width == 1:
        samples = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 3:  # little-endian 24-bit: widen to 32-bit by placing the bytes high
        b = np.frombuffer(raw, np.uint8)[: len(raw) // 3 * 3].reshape(-1, 3)
        wide = (
            (b[:, 0].astype(np.int32) << 8)
            | (b[:, 1].astype(np.int32) << 16)
            | (b[:, 2].astype(np.int32) << 24)
        )
        samples = wide.astype(np.float32) / 2.0**31
    elif width in (2, 4):
        samples = np.frombuffer(raw, f"<i{width}").astype(np.float32) / 2.0 ** (8 * width - 1)
    else:
        raise DataError(f"cannot decode {path.name}: {8 * width}-bit samples")
    frames = len(samples) // channels
    return samples[: frames * channels].reshape(frames, channels), rate  # (frames, channels)


def to_mono(samples: np.ndarray) -> np.ndarray:
    """(frames, channels) -> (frames,) by averaging the channels."""
    return samples.mean(axis=1) if samples.ndim == 2 else samples


def resample(samples: np.ndarray, rate_from: int, rate_to: int) -> np.ndarray:
    """Polyphase resampling along the last axis (exact rational ratio)."""
    if rate_from == rate_to:
        return samples
    from scipy.signal import resample_poly

    g = math.gcd(int(rate_from), int(rate_to))
    out = resample_poly(samples, rate_to // g, rate_from // g, axis=-1)
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def load_mono(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A file as mono float32 samples at ``sample_rate``: (frames,)."""
    samples, rate = read_audio(path)
    return resample(to_mono(samples), rate, sample_rate)


# ----------------------------------------------------------------------------- writing


def wav_bytes(samples, sample_rate: int) -> bytes:
    """Samples in [-1, 1], (T,) or (channels, T), as a 16-bit PCM WAV file."""
    x = samples.detach().float().cpu().numpy() if isinstance(samples, torch.Tensor) else samples
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2:
        raise ValueError(f"audio must be (T,) or (channels, T), got shape {x.shape}")
    pcm = np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(x.shape[0])
        handle.setsampwidth(2)
        handle.setframerate(int(sample_rate))
        handle.writeframes(pcm.T.tobytes())  # interleaved (T, channels)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- spectrograms


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None
) -> torch.Tensor:
    """Triangular filters equally spaced on the HTK mel scale: (n_mels, n_fft // 2 + 1)."""
    fmax = sample_rate / 2 if fmax is None else fmax
    bins = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None] - lower) / (centre - lower)
    falling = (upper - bins[None]) / (upper - centre)
    return torch.from_numpy(np.maximum(0.0, np.minimum(rising, falling))).float()


def as_waves(waves) -> torch.Tensor:
    """(N, 1, T), (N, T) or (T,) samples -> a float32 (N, T) tensor on the CPU."""
    x = torch.as_tensor(waves).detach().float().cpu()
    if x.dim() == 3:
        if x.shape[1] != 1:
            raise ValueError(f"expected mono audio (N, 1, T), got {tuple(x.shape)}")
        x = x[:, 0]
    elif x.dim() == 1:
        x = x[None]
    return x


def mel_spectrogram(
    waves,
    sample_rate: int,
    n_fft: int,
    hop: int,
    n_mels: int,
    win_length: int | None = None,
    fmin: float = 0.0,
    fmax: float | None = None,
    power: float = 2.0,
    center: bool = True,
    normalized: bool = True,
) -> torch.Tensor:
    """Mel spectrogram of each wave (periodic Hann window): (N, n_mels, frames). ``normalized``
    divides magnitudes by the window's sum, so a full-scale sine peaks near 0.5 (power 0.25)."""
    x = as_waves(waves)
    win_length = win_length or n_fft
    window = torch.hann_window(win_length)
    spec = torch.stft(
        x, n_fft, hop, win_length, window, center=center, pad_mode="reflect", return_complex=True
    ).abs()  # (N, F, frames)
    if normalized:
        spec = spec / window.sum()
    fb = mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax)
    return torch.einsum("mf,nft->nmt", fb, spec.pow(power))


# Display settings of the sheet: 80 mel bands up to Nyquist, about 256 columns per clip.
SHEET_MELS, SHEET_FFT, SHEET_DB_RANGE = 80, 1024, 80.0


def spectrogram_sheet(
    waves, sample_rate: int, columns: int | None = None, padding: int = 2
) -> np.ndarray:
    """A uint8 RGB picture of log-mel spectrograms, one tile per sound (low pitch at the
    bottom), on one fixed decibel scale (0 dB = a full-scale sine, 80 dB of range) so quiet
    and loud sounds compare at a glance."""
    from matplotlib import colormaps

    x = as_waves(waves)
    n, length = x.shape
    hop = max(1, length // 256)
    n_fft = min(SHEET_FFT, 1 << max(1, (length - 1).bit_length()))
    mel = mel_spectrogram(x, sample_rate, n_fft, hop, SHEET_MELS)  # (N, mels, frames)
    db = 10.0 * torch.log10(mel.clamp_min(1e-12) / 0.25)  # 0 dB: full-scale sine
    level = ((db + SHEET_DB_RANGE) / SHEET_DB_RANGE).clamp(0, 1).flip(1)  # low bands at bottom
    tiles = colormaps["magma"](level.repeat_interleave(2, dim=1).numpy())[..., :3]
    tiles = np.round(tiles * 255).astype(np.uint8)  # (N, 2 * mels, frames, 3)
    columns = columns or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / columns)
    _, h, w, _ = tiles.shape
    sheet = np.full(
        (rows * (h + padding) + padding, columns * (w + padding) + padding, 3), 255, np.uint8
    )
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        top, left = padding + r * (h + padding), padding + c * (w + padding)
        sheet[top : top + h, left : left + w] = tile
    return sheet
