"""Noise for denoising data, and mixing it into clean speech at a chosen SNR.

Four kinds, each drawn from a torch generator (so a seeded batch is the same after a resume):

- ``white``: independent N(0, 1) samples, flat spectrum.
- ``pink``: white noise shaped to a 1/f power spectrum (amplitude 1/sqrt(f) in the FFT, the
  bins below 20 Hz held at 20 Hz's), as from fans and traffic.
- ``hum``: mains hum, 50 or 60 Hz with its harmonics up to 1 kHz; amplitudes fall as 1/k with a
  random spread, random phases (transformers and ground loops).
- ``babble``: 3 to 6 other utterances summed, each moved by a random circular shift (a crowd
  of talkers), built from the clean clips of the same data set.

``mix_at_snr`` scales the noise so that 10 log10(P_clean / P_noise) over the whole clip is the
asked SNR, and scales the pair (clean and mixture together, keeping the SNR) down when the
mixture would pass full scale.
"""

from __future__ import annotations

import math

import torch

from ..audio import SAMPLE_RATE
from ..errors import ConfigError

NOISE_KINDS = ("white", "pink", "hum", "babble")
PINK_FLOOR_HZ = 20.0
HUM_TOP_HZ = 1000.0
BABBLE_TALKERS = (3, 6)
PEAK = 0.99  # a mixture louder than this is scaled down (pair and SNR kept)


def parse_noise_kinds(text: str) -> list[str]:
    """``"white,pink"`` -> ["white", "pink"]; an unknown kind is an error naming the valid."""
    kinds = [k.strip().lower() for k in str(text).split(",") if k.strip()]
    unknown = [k for k in kinds if k not in NOISE_KINDS]
    if unknown or not kinds:
        raise ConfigError(
            f"data.noise must be a comma list of {', '.join(NOISE_KINDS)}, got {text!r}"
        )
    return list(dict.fromkeys(kinds))


def white_noise(n: int, length: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(n, length, generator=generator)  # (n, T)


def pink_noise(n: int, length: int, generator: torch.Generator) -> torch.Tensor:
    spectrum = torch.fft.rfft(torch.randn(n, length, generator=generator))  # (n, T // 2 + 1)
    hz = torch.fft.rfftfreq(length, 1.0 / SAMPLE_RATE).clamp_min(PINK_FLOOR_HZ)
    return torch.fft.irfft(spectrum / hz.sqrt(), n=length)  # (n, T)


def hum_noise(n: int, length: int, generator: torch.Generator) -> torch.Tensor:
    t = torch.arange(length, dtype=torch.float64) / SAMPLE_RATE  # (T,)
    mains = torch.where(torch.rand(n, generator=generator) < 0.5, 50.0, 60.0).double()  # (n,)
    out = torch.zeros(n, length, dtype=torch.float64)
    for k in range(1, int(HUM_TOP_HZ // 50) + 1):
        amplitude = (0.5 + torch.rand(n, generator=generator).double()) / k  # (n,)
        phase = 2 * math.pi * torch.rand(n, generator=generator).double()
        wave = torch.sin(2 * math.pi * k * mains[:, None] * t + phase[:, None])  # (n, T)
        out += torch.where(k * mains[:, None] <= HUM_TOP_HZ, amplitude[:, None] * wave, 0.0)
    return out.float()


def babble_noise(
    n: int,
    length: int,
    generator: torch.Generator,
    talkers: torch.Tensor,
    exclude: list[int] | None = None,
) -> torch.Tensor:
    """Sums of 3 to 6 rows of ``talkers`` (N, T) clean clips, each circularly shifted; row
    ``i`` of the result leaves out talker ``exclude[i]`` (the clip it will be mixed into)."""
    if len(talkers) < 2:
        raise ConfigError("babble noise needs at least two clean clips to build it from")
    out = torch.zeros(n, length)
    low, high = BABBLE_TALKERS
    for i in range(n):
        count = int(torch.randint(low, high + 1, (1,), generator=generator))
        rows = torch.randint(len(talkers) - 1, (count,), generator=generator).tolist()
        shifts = torch.randint(length, (count,), generator=generator).tolist()
        for row, shift in zip(rows, shifts):
            if exclude is not None and row >= exclude[i]:
                row += 1  # every talker but the excluded one, equally likely
            out[i] += torch.roll(talkers[row, :length].float().cpu(), shift)
    return out  # (n, T)


def make_noise(
    kinds: list[str],
    n: int,
    length: int,
    generator: torch.Generator,
    talkers: torch.Tensor | None = None,
    exclude: list[int] | None = None,
) -> tuple[torch.Tensor, list[str]]:
    """(n, T) noise, each row of a kind drawn uniformly from ``kinds``, and the kinds drawn;
    babble comes from ``talkers`` (N, T), row ``i`` without talker ``exclude[i]``."""
    picks = [kinds[i] for i in torch.randint(len(kinds), (n,), generator=generator).tolist()]
    out = torch.zeros(n, length)
    for kind in kinds:
        rows = [i for i, k in enumerate(picks) if k == kind]
        if not rows:
            continue
        if kind == "babble":
            left_out = [exclude[i] for i in rows] if exclude is not None else None
            out[rows] = babble_noise(len(rows), length, generator, talkers, left_out)
        else:
            maker = {"white": white_noise, "pink": pink_noise, "hum": hum_noise}[kind]
            out[rows] = maker(len(rows), length, generator)
    return out, picks


def power(x: torch.Tensor) -> torch.Tensor:
    return x.double().pow(2).mean(-1)  # (n,)


def mix_at_snr(
    clean: torch.Tensor, noise: torch.Tensor, snr_db: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(noisy, clean) for (n, T) clean speech and noise and (n,) SNRs in dB: the noise scaled
    to the SNR, and both scaled down together where the mixture would pass ``PEAK``. A silent
    clean row stays silent (there is no level to set the noise from)."""
    clean64, noise64 = clean.double(), noise.double()
    target = power(clean64) / 10.0 ** (snr_db.double() / 10.0)  # (n,)
    gain = torch.sqrt(target / power(noise64).clamp_min(1e-20))
    noisy = clean64 + gain[:, None] * noise64
    peak = noisy.abs().amax(-1).clamp_min(1e-12)
    shrink = torch.clamp(PEAK / peak, max=1.0)[:, None]
    return (noisy * shrink).float(), (clean64 * shrink).float()


def snr_db(clean: torch.Tensor, noisy: torch.Tensor) -> torch.Tensor:
    """The SNR of ``noisy`` against ``clean`` over each (n, T) row, in dB."""
    noise = noisy.double() - clean.double()
    return 10.0 * torch.log10(power(clean) / power(noise).clamp_min(1e-20))
