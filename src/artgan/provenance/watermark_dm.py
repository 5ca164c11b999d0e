"""Format 2 of the watermark's coded bits: spread-transform dither modulation (STDM).

The first format adds each coded bit as a spread-spectrum signal: the detector's soft value of
a bit is the mark plus the picture's own projection on the same coefficients. On pictures that
are texture from edge to edge (grass, gravel) at 128-191 px, that projection is 2-3 times the
mark at 40 dB, and no error correction can read it, even untouched (measured: soft-value SNR
0.5-0.75 against the 1.2 that decoding needs).

Dither modulation (Chen & Wornell 2001, "Quantization index modulation"; the spread-transform
form in their section V) removes the picture instead of fighting it: the embedder moves each
bit's soft value (the same projection the first format's detector computes, whitened by the
ring noise) to the nearest point of one of two interleaved lattices, ``step * (dither + bit / 2
+ k)``. The picture's projection no longer matters, only what an attack changes of it. The soft
values are divided by the ring noise measured on the received picture, so a gain that JPEG or a
resize applies to a ring scales the lattice with the values (gain invariance, as rational
dither modulation obtains by normalising with the host).

The step is fixed (STEP), so that the detector never has to guess it: a picture whose energy
budget reaches further gives the rest to the pilot, and one whose budget falls short moves
each value only part of the way (distortion compensation, Chen & Wornell 2001, section IV-B).
The pilot and the template are those of the first format, so synchronisation (shift, scale,
angle) is unchanged.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

STEP = 2.0  # lattice step, in ring-noise units of the soft values
DITHER_KEY = 0x53544D32  # "STM2": fixes the dither; the detector needs the same key


@lru_cache(maxsize=4)
def dither(n_bits: int) -> np.ndarray:
    """The keyed offset of each bit's lattice, in units of its step: (n_bits,) in [0, 1)."""
    offsets = np.random.default_rng(DITHER_KEY).uniform(0.0, 1.0, n_bits)
    offsets.flags.writeable = False  # shared by every call
    return offsets


def coset_targets(soft: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """For each bit, the point of its coset (``STEP * (dither + bit / 2 + k)``) nearest to
    ``soft``: where the embedder moves the bit's soft value. The move is at most STEP / 2,
    uniform over the picture's values, so it costs STEP ** 2 / 12 of energy on average."""
    offset = dither(soft.size) + bits / 2.0
    return (np.rint(soft / STEP - offset) + offset) * STEP


def lattice_soft(soft: np.ndarray) -> np.ndarray:
    """Decoder input: +1 on the lattice of bit 0, -1 on that of bit 1, smooth in between."""
    return np.cos(2.0 * np.pi * (soft / STEP - dither(soft.size)))


def lattice_fit(soft: np.ndarray) -> np.ndarray:
    """How well the soft values sit on the union of both lattices (either bit), averaged over
    the bits (last axis): about 1 on a fresh mark, 0 +- 1 / sqrt(2 n_bits) on a picture without
    it, whatever the picture (the keyed dither makes every bit's term zero-mean)."""
    return np.mean(np.cos(4.0 * np.pi * (soft / STEP - dither(soft.shape[-1]))), axis=-1)


def reach(slope: float, n_per_bit: np.ndarray) -> float:
    """The share of the way to its lattice point that each soft value can be moved with the
    energy of the first format's data bits (sum(n_per_bit) at unit gain), at most 1.

    A move of m in a bit's soft value costs (m / (slope n_j)) ** 2 n_j of energy (``slope``:
    the soft value that a unit coefficient amplitude gives per coefficient); full moves are
    uniform within +-STEP / 2, so the budget makes full moves on a step of
    ``slope * sqrt(12 sum(n_j) / sum(1 / n_j))``. Measured on grass and gravel at 128-191 px:
    1.3-2.6, hence STEP = 2: what is left of the picture's projection after a partial move is
    bounded by (1 - reach) STEP / 2, which stays within a quarter step down to reach 0.5."""
    full = slope * np.sqrt(12.0 * np.sum(n_per_bit) / np.sum(1.0 / n_per_bit))
    return min(1.0, full / STEP)
