"""Invisible, robust image watermark: a periodic spread-spectrum tile in the luminance.

Method (after Kutter 1998, "Watermarking resisting to translation, rotation and scaling";
Kalker, Depovere, Haitsma & Maes 1999, periodic tiling; Pereira & Pun 2000, a Fourier
template for geometric synchronisation; Cox, Miller & McKellips 1999, informed embedding):

- The 32-bit payload gets a CRC-16 and a rate-1/3 convolutional code (:mod:`.watermark_code`):
  162 coded bits. The real and imaginary parts of the DFT of a 64 x 64 tile in the annulus
  0.08..0.24 cycles/pixel are shared out (pseudo-randomly, by a fixed key) between the coded
  bits, a known pilot, and 8 boosted template peaks. Measured on photos and paintings, this
  band is where the host image interferes least per unit of mark while JPEG 50 and a 0.5x
  resize still keep the signal; lower frequencies carry far more picture.
- The tile is repeated over the whole image and the same change is added to R, G and B (a
  luminance-only change), at the strength that gives PSNR 40.2 dB (never less). On flat
  areas a visibility ceiling (issue 16) caps the change at 2 grey levels; the energy it cuts
  there is spent on the textured areas, up to their higher ceiling, so a picture with flat
  areas still carries the full mark (before, such pictures ended at 42-44 dB and a 160 px
  painting could lose its mark to JPEG 50). The strength
  leans mildly towards smooth areas (where the detector, which divides by local contrast,
  hears the mark best): measured at equal PSNR this survives JPEG 50 better than a uniform
  strength, and far better than the usual perceptual masking towards texture.
- Informed embedding: the embedder runs the detector's front end on the marked image and
  moves energy between the coded bits so that the picture's own interference is cancelled
  where it opposes a bit (the total energy, hence the PSNR, stays the same). This is what
  lets small and busy pictures carry the mark through JPEG, cropping and resizing.
- Detection whitens the luminance (local-mean removal and local contrast normalisation over
  a few pixels, so edges stay local), folds it modulo the tile (a crop only shifts the tile
  cyclically), finds the shift by phase correlation with the pilot (to a fraction of a pixel),
  weighs each frequency ring by its noise, and runs the Viterbi decoder twice: the second time
  with each ring weighed by the mark amplitude the first pass found in it (JPEG and
  downscaling weaken the outer rings most). When the pilot peak is strong, the decoder keeps
  the 64 best codewords (list Viterbi) and takes the first whose CRC matches (CRC-aided list
  decoding, as in 5G's polar-code decoders): it reads marks that plain Viterbi gets a few
  bits wrong, at no cost to the embedding, so every mark made before reads at least as
  well. A payload is reported only if its CRC matches and the pilot peak is significant.
- Pictures that are texture from edge to edge (grass, gravel) swamp those spread-spectrum
  bits at 128-191 px: their own projection on a bit's coefficients is 2-3 times the mark, and
  they could not be read even untouched. For them the embedder switches the coded bits to
  format 2, dither modulation (:mod:`.watermark_dm`): each bit's soft value is moved onto a
  lattice that encodes the bit, so the picture's own projection drops out. It is used only
  where format 1 reads weakly on the marked picture itself (soft-value SNR below
  DM_MAX_SS_SNR); every other picture is marked exactly as before. The detector reads both
  formats with the same pilot, template and searches; a format-2 mark is also found by its
  lattice fit alone, which the texture's weak pilot needs (see _accept for the false-positive
  arithmetic). What an attack changes of the picture still counts: a 90 % crop removes a fifth
  of the texture that was summed, which moves the soft values by about half a step.
- If the image was scaled or rotated, the detector tries the common scales 0.5x and 2x, then
  the scale and angle read from the template peaks in the power spectrum
  (:mod:`.watermark_sync`); the image is resampled back to the tile grid and read again.
- A small image turned by a few degrees shows its template peaks too faintly to be found
  (a 128-191 px image turned 5 degrees was read 75 % of the time), so the detector then
  sweeps the angle itself, in the spirit of the exhaustive search of Kutter 1998: the central
  square is turned every 0.5 degrees up to 7, the pilot's correlation peak (which is what
  coherence at the right angle maximises) ranks the angles, and the best two are decoded.
  The sweep changed only the detector.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage

from ..errors import DataError
from .watermark_code import (
    CONSTRAINT,
    CRC_BITS,
    RATE_INVERSE,
    bits_to_int,
    conv_encode,
    crc16,
    int_to_bits,
    list_viterbi_decode,
    viterbi_decode,
)
from .watermark_dm import coset_targets, lattice_fit, lattice_soft, reach
from .watermark_sync import find_candidates, parabola_vertex, to_tile_grid

PAYLOAD_BITS = 32
MIN_SIZE = 128  # short side in pixels; smaller images are not marked
TILE = 64  # period of the pattern in pixels at embedding time
BAND = (0.08, 0.24)  # cycles/pixel: survives JPEG 50 and a 0.5x resize; host texture is weaker here
PILOT_FRACTION = 0.15  # share of the tile's degrees of freedom given to the known pilot
TEMPLATE_PEAKS = 8  # boosted pilot bins: peaks in the spectrum from which scale/angle are read
TEMPLATE_RADII = (0.15, 0.21)
TEMPLATE_BOOST = 4.0  # amplitude of a template bin relative to a data bin
TARGET_PSNR_DB = 40.2  # issue 15's floor is 40 dB; the embedder never goes below this
LEGACY_PSNR_DB = 40.5  # the target before the energy cut on flat areas was re-spent
KEY = 0x61727467  # "artg": fixes the pattern; detection needs the same key
PILOT_MIN_Z = 3.5  # significance of the pilot's shift peak required to report a payload
CHANCE_AGREEMENT = 7.0  # codeword agreement (in sigmas) that Viterbi finds in pure noise
# CRC-aided list decoding: when the pilot stands out clearly (a mark is almost surely there),
# the LIST_SIZE best codewords are tried and the first whose CRC matches is taken. Each try is
# one more chance for an unmarked image to pass the CRC, so only reads whose pilot reaches
# LIST_MIN_PILOT_Z get the list: measured on 300 unmarked images, 0.2 % of reads do (38.7 %
# reach PILOT_MIN_Z), so the list adds about 2e-5 false positives per image (see _accept).
LIST_SIZE = 64
LIST_MIN_PILOT_Z = 4.5
MIN_DETECT_SIZE = 48  # below this nothing is read (a 128 px image at 0.375x)
STRENGTH_EXPONENT = -0.3  # strength map: (local contrast + floor) ** exponent, see strength_map
STRENGTH_FLOOR = 2.0  # grey levels
STRENGTH_SIGMA = 3.0  # px: window of the local contrast
# Visibility ceiling (issue 16 item 8): on a flat area the mark may move a pixel by at most
# FLAT_MAX_DEVIATION grey levels, below the smallest just-noticeable difference of the Chou & Li
# (1995) luminance-adaptation model (3 levels, at mid grey; 6 at white, 20 at black), so flat
# margins and skies stay flat to the eye. Texture masks more: the ceiling grows by
# MASKING_SLOPE times the local RMS contrast. bench/watermark.py prints the measured maxima.
FLAT_MAX_DEVIATION = 2.0  # grey levels
MASKING_SLOPE = 1.0
# The ceiling cuts the mark on flat areas; the energy cut there is given back to the pixels
# that texture masks, up to their own ceiling, until the PSNR target is met (a few rescalings:
# each can only land at or below the target, since clipping grows slower than the strength).
RESPEND_ROUNDS = 6
RESPEND_MAX_STEP = 2.0  # the largest rescaling per round (flat pictures cannot meet the target)
INFORMED_ROUNDS = 2  # embed, read, rebalance the coded bits' energy; twice
GAIN_RANGE = (0.3, 3.0)  # per-bit amplitude limits of the informed embedding
CODED_BITS = RATE_INVERSE * (PAYLOAD_BITS + CRC_BITS + CONSTRAINT - 1)
# Format 2 (dither modulation of the coded bits, :mod:`.watermark_dm`): used where the picture
# swamps the spread-spectrum bits, i.e. where the first format's informed embedding still
# leaves its soft values with an SNR (mean / spread of the margins, untouched) below
# DM_MAX_SS_SNR. Measured at 128-191 px: grass and gravel 0.5-0.75, every other picture >= 2.
DM_MAX_SS_SNR = 1.0
DM_ROUNDS = 4  # embed, read the bits' soft values, move them onto their lattice points again
DM_MIN_PILOT = 0.5  # the pilot keeps at least this amplitude when the data bits need more
DM_SHIFT_PEAKS = 8  # pilot correlation peaks (each with its 8 neighbours) tried as the shift
DM_FIT_GATE = 0.33  # lattice fit that counts as a format-2 mark by itself (6 sigmas, see _accept)
# Detector front end (measured best of a sweep on photos and paintings, clean/JPEG/resized):
HIGHPASS_SIGMA = 2.0  # px: the picture's slow variations removed before reading
CONTRAST_SIGMA = 1.5  # px: window of the local contrast that the residual is divided by
COMMON_SCALES = (0.5, 2.0)  # halved / doubled: read before the template's estimates
# Small-angle sweep (after the template, which small images show too faintly): the central
# square of the residual is turned in steps fine enough that the fold stays coherent out to
# its corners, the pilot picks the best angles, and only those are decoded (each decode is one
# more chance for a false CRC match, so few of them).
SWEEP_MAX_DEG = 7.0
SWEEP_STEP_DEG = 0.5
SWEEP_SIDE = 192  # px: the central square turned at each angle (cost independent of size)
SWEEP_DECODES = 2
SYNC_SCALE = 2.0  # filters twice as wide when looking for the template (scale unknown yet)
CONTRAST_FLOOR = 1.0  # grey levels: keeps flat areas from blowing up
CLIP = 3.0  # residuals beyond 3 local-contrast units are edges, not mark
LUMA = np.array([0.299, 0.587, 0.114])


class WatermarkSizeError(DataError, ValueError):
    """The image is too small to carry the watermark."""


@dataclass(frozen=True)
class WatermarkResult:
    found: bool
    payload: int | None  # the decoded id when found
    bits: str  # best-guess payload bits, "" when nothing could be read
    confidence: float  # 0..1: how cleanly the codeword was read (about 0 on unmarked images)
    bit_errors_corrected: int | None  # coded bits the decoder had to flip
    mark_format: int | None = None  # 1 spread spectrum, 2 dither modulation (when found)


@dataclass(frozen=True)
class TileLayout:
    """Which DFT coefficient of the tile carries what (fixed by KEY)."""

    rows: np.ndarray  # (n_bins,) rfft2 row of each in-band coefficient
    cols: np.ndarray
    radius: np.ndarray  # cycles/pixel
    pilot: np.ndarray  # (n_bins,) complex pilot value (0 where the bin carries data)
    bit_of: np.ndarray  # (n_bins, 2) coded-bit index of the real/imag part, -1 for pilot
    sign_of: np.ndarray  # (n_bins, 2) spreading sign
    amplitude: np.ndarray  # (n_bins,) 1, or TEMPLATE_BOOST on the template peaks
    template: np.ndarray  # (n_bins,) bool: the few boosted pilot bins that reveal geometry


def _template_bins(fy: np.ndarray, fx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of TEMPLATE_PEAKS bins at well separated angles (so rotation is unambiguous)
    and radii in TEMPLATE_RADII (mid band: sharp in the spectrum, survive JPEG and resizing)."""
    angles = (np.arange(TEMPLATE_PEAKS) + rng.uniform(0.2, 0.8, TEMPLATE_PEAKS)) * (
        np.pi / TEMPLATE_PEAKS
    ) - np.pi / 2
    radii = rng.uniform(*TEMPLATE_RADII, TEMPLATE_PEAKS)
    targets = np.stack([radii * np.sin(angles), radii * np.cos(angles)], axis=1)  # (fy, fx)
    distance = np.hypot(fy[None, :] - targets[:, :1], fx[None, :] - targets[:, 1:])
    return np.argmin(distance, axis=1)


@lru_cache(maxsize=1)
def tile_layout() -> TileLayout:
    fy = np.fft.fftfreq(TILE)[:, None]
    fx = np.fft.rfftfreq(TILE)[None, :]
    radius = np.hypot(fy, fx)
    # Column 0 and the Nyquist column are their own conjugates: leave them out, so every chosen
    # coefficient is an independent complex number (two real degrees of freedom).
    inside = (radius >= BAND[0]) & (radius <= BAND[1])
    inside[:, 0] = False
    inside[:, -1] = False
    rows, cols = np.nonzero(inside)
    rng = np.random.default_rng(KEY)
    template = np.zeros(rows.size, dtype=bool)
    template[_template_bins(fy[rows, 0], fx[0, cols], rng)] = True
    # Pilot: the template bins plus a random share of the other degrees of freedom.
    free = np.flatnonzero(np.repeat(~template, 2))  # dof index = 2 * bin + (0 real, 1 imag)
    order = rng.permutation(free)
    n_pilot = int(round(PILOT_FRACTION * free.size))
    bit_of = np.full(2 * rows.size, -1, dtype=np.int64)
    bit_of[order[n_pilot:]] = np.arange(free.size - n_pilot) % CODED_BITS
    sign_of = rng.choice([-1.0, 1.0], size=2 * rows.size)
    bit_of, sign_of = bit_of.reshape(-1, 2), sign_of.reshape(-1, 2)  # (n_bins, re/im)
    amplitude = np.where(template, TEMPLATE_BOOST, 1.0)
    pilot_parts = np.where(bit_of < 0, sign_of, 0.0) * amplitude[:, None]
    pilot = pilot_parts[:, 0] + 1j * pilot_parts[:, 1]
    return TileLayout(rows, cols, radius[rows, cols], pilot, bit_of, sign_of, amplitude, template)


def _coded_bits(payload: int) -> np.ndarray:
    info = (payload << CRC_BITS) | crc16(payload, PAYLOAD_BITS)
    return conv_encode(int_to_bits(info, PAYLOAD_BITS + CRC_BITS))


def tile_pattern(payload: int, bit_gain: np.ndarray | None = None) -> np.ndarray:
    """The (TILE, TILE) zero-mean, unit-RMS pattern that carries ``payload``.

    ``bit_gain`` (CODED_BITS,) scales the coefficients of each coded bit (informed embedding);
    pilot and template keep amplitude 1 / TEMPLATE_BOOST."""
    layout = tile_layout()
    coded = 1.0 - 2.0 * _coded_bits(payload)  # bit 0 -> +1
    if bit_gain is not None:
        coded = coded * bit_gain
    data = layout.bit_of >= 0
    parts = np.where(data, layout.sign_of * coded[np.where(data, layout.bit_of, 0)], layout.sign_of)
    parts = parts * layout.amplitude[:, None]
    spectrum = np.zeros((TILE, TILE // 2 + 1), dtype=np.complex128)
    spectrum[layout.rows, layout.cols] = parts[:, 0] + 1j * parts[:, 1]
    tile = np.fft.irfft2(spectrum, s=(TILE, TILE))
    return tile / tile.std()


def _normalise_payload(payload: int | bytes) -> int:
    if isinstance(payload, (bytes, bytearray)):
        payload = int.from_bytes(hashlib.sha256(payload).digest()[:4], "big")
    if not 0 <= int(payload) < 1 << PAYLOAD_BITS:
        raise ValueError(f"watermark payload must fit in {PAYLOAD_BITS} bits, got {payload}")
    return int(payload)


UNTIMED_FIELDS = ("created",)  # record fields left out of its id (see payload_for_record)


def payload_for_record(record: dict | str | bytes) -> int:
    """A 32-bit id for a generation record (a dict, its JSON text or any bytes): the first four
    bytes of its SHA-256, so a detected id can be matched against stored records. A dict's
    creation time is left out: the same model, seed and parameters give the same id, hence
    the same pixels, whenever they run."""
    if isinstance(record, dict):
        record = {k: v for k, v in record.items() if k not in UNTIMED_FIELDS}
        record = json.dumps(record, sort_keys=True)
    if isinstance(record, str):
        record = record.encode()
    return int.from_bytes(hashlib.sha256(record).digest()[:4], "big")


def _luma(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image.astype(np.float64)
    return image[..., :3].astype(np.float64) @ LUMA


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise DataError(f"watermark needs a uint8 image, got {image.dtype}; convert it first")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
        raise DataError(
            f"watermark needs an (H, W) or (H, W, 3) image, got shape {tuple(image.shape)}"
        )
    return image


def embed(
    image: np.ndarray,
    payload: int | bytes,
    legacy_strength: bool = False,
    mark_format: int | None = None,
) -> np.ndarray:
    """Return a copy of ``image`` (uint8, (H, W) or (H, W, 3)) carrying ``payload``.

    ``mark_format``: 1, the spread-spectrum bits; 2, the dither-modulated bits (for pictures
    whose texture swamps the first, :mod:`.watermark_dm`); None (default) picks 2 only where
    the first reads weakly on the marked picture itself. :func:`detect` reads both.
    ``legacy_strength=True`` embeds format 1 with the strength rule artgan had before (PSNR
    target 40.5 dB, the energy that the flat-area ceiling cuts left unspent), for comparisons.

    Raises :class:`WatermarkSizeError` if the short side is below ``MIN_SIZE``.
    """
    image = _check_image(image)
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIZE:
        raise WatermarkSizeError(
            f"image is {width}x{height}; the watermark needs at least {MIN_SIZE} px on the "
            "short side, so this image is left unmarked"
        )
    if mark_format not in (None, 1, 2):
        raise ValueError(f"mark_format must be 1, 2 or None, got {mark_format!r}")
    payload = _normalise_payload(payload)
    coded = 1.0 - 2.0 * _coded_bits(payload)  # (CODED_BITS,) +1 / -1
    host = _tile_spectrum(fold(whiten(_luma(image))))
    gain = np.ones(CODED_BITS)
    weight = strength_map(image)
    marked = _embed_pattern(image, tile_pattern(payload, gain), weight, legacy_strength)
    for _ in range(INFORMED_ROUNDS):
        reading = _tile_spectrum(fold(whiten(_luma(marked))))
        gain = _informed_gain(reading, host, coded, gain)
        marked = _embed_pattern(image, tile_pattern(payload, gain), weight, legacy_strength)
    if legacy_strength or mark_format == 1:
        return marked
    margins = _measured_soft(marked) * coded
    if mark_format is None and margins.mean() >= DM_MAX_SS_SNR * margins.std():
        return marked
    # The soft value a unit of coefficient amplitude gives, from the first format's reading.
    host_margins = _soft_at(_ring_whitened(host)) * coded
    slope = float(np.sum(margins - host_margins) / np.sum(_bit_sizes() * gain))
    return _embed_dm(image, payload, weight, host, max(slope, 1e-6))


def _measured_soft(image: np.ndarray) -> np.ndarray:
    """Every coded bit's soft value as the detector reads ``image`` at no shift."""
    return _soft_at(_ring_whitened(_tile_spectrum(fold(whiten(_luma(image))))))


@lru_cache(maxsize=1)
def _bit_sizes() -> np.ndarray:
    """How many real coefficients (degrees of freedom) carry each coded bit: (CODED_BITS,)."""
    layout = tile_layout()
    return np.bincount(layout.bit_of[layout.bit_of >= 0], minlength=CODED_BITS).astype(float)


def _pilot_energy() -> float:
    layout = tile_layout()
    return float(np.sum(np.where(layout.bit_of < 0, layout.amplitude[:, None] ** 2, 0.0)))


@lru_cache(maxsize=1)
def _unit_rms() -> float:
    """RMS of the first format's tile before normalisation (every gain 1): format 2's tiles
    are divided by it, so both spend the same energy at the same amplitude."""
    return float(_dm_tile(1.0, np.ones(CODED_BITS), normalise=False).std())


def _dm_tile(pilot: float, data: np.ndarray, normalise: bool = True) -> np.ndarray:
    """Format 2's (TILE, TILE) pattern: the pilot and template at ``pilot`` times their first
    format amplitude, and coded bit j's coefficients at the signed amplitude ``data[j]``."""
    layout = tile_layout()
    is_data = layout.bit_of >= 0
    parts = np.where(
        is_data,
        layout.sign_of * data[np.where(is_data, layout.bit_of, 0)],
        layout.sign_of * pilot * layout.amplitude[:, None],
    )
    spectrum = np.zeros((TILE, TILE // 2 + 1), dtype=np.complex128)
    spectrum[layout.rows, layout.cols] = parts[:, 0] + 1j * parts[:, 1]
    tile = np.fft.irfft2(spectrum, s=(TILE, TILE))
    return tile / _unit_rms() if normalise else tile


def _embed_dm(
    image: np.ndarray, payload: int, weight: np.ndarray, host: np.ndarray, slope: float
) -> np.ndarray:
    """Format 2: move every coded bit's soft value onto the nearest point of its bit's lattice
    (:func:`.watermark_dm.coset_targets`), within the first format's energy, so the picture's
    own projection no longer interferes. The detector's front end is not linear (it divides by
    local contrast and by the ring noise, which the mark raises), so the move is corrected on
    what the marked picture reads, DM_ROUNDS times. The data bits' energy that the step leaves
    over goes to the pilot; if they need more, the pilot keeps DM_MIN_PILOT of its amplitude
    and the moves are shortened (distortion compensation, Chen & Wornell 2001)."""
    sizes = _bit_sizes()
    pilot_energy = _pilot_energy()
    budget = pilot_energy + float(sizes.sum())  # the first format's total at unit gains
    host_soft = _soft_at(_ring_whitened(host))
    lattice_points = coset_targets(host_soft, _coded_bits(payload).astype(float))
    targets = host_soft + reach(slope, sizes) * (lattice_points - host_soft)
    data = (targets - host_soft) / (slope * sizes)
    for round_ in range(DM_ROUNDS):
        data_energy = float(np.sum(sizes * data**2))
        room = budget - DM_MIN_PILOT**2 * pilot_energy
        shrink = min(1.0, np.sqrt(room / max(data_energy, 1e-12)))
        pilot = np.sqrt((budget - shrink**2 * data_energy) / pilot_energy)
        marked = _embed_pattern(image, _dm_tile(pilot, shrink * data), weight)
        if round_ < DM_ROUNDS - 1:
            error = targets - _measured_soft(marked)
            data = shrink * data + error / (slope * sizes)
    return marked


def local_contrast(image: np.ndarray) -> np.ndarray:
    """Local RMS contrast of the luminance (grey levels): 0 on a flat area."""
    luma = _luma(image)
    detail = luma - ndimage.gaussian_filter(luma, HIGHPASS_SIGMA)
    return np.sqrt(ndimage.gaussian_filter(detail**2, STRENGTH_SIGMA))


def strength_map(image: np.ndarray) -> np.ndarray:
    """Relative mark amplitude per pixel (RMS 1): a little stronger in smooth areas and weaker
    on busy texture, (local contrast + STRENGTH_FLOOR) ** STRENGTH_EXPONENT. The detector
    divides by local contrast, so a grey level of mark on texture counts for less than one on
    a smooth area; measured at equal PSNR, this mild tilt survives JPEG 50 better."""
    weight = (local_contrast(image) + STRENGTH_FLOOR) ** STRENGTH_EXPONENT
    return weight / np.sqrt(np.mean(weight**2))


def visibility_ceiling(image: np.ndarray) -> np.ndarray:
    """The largest change (grey levels) the mark may make at each pixel: FLAT_MAX_DEVIATION
    on flat areas, more where texture masks it."""
    return FLAT_MAX_DEVIATION + MASKING_SLOPE * local_contrast(image)


def _embed_pattern(
    image: np.ndarray,
    tile: np.ndarray,
    weight: np.ndarray | float = 1.0,
    legacy_strength: bool = False,
) -> np.ndarray:
    """Add the tiled unit-RMS pattern, times ``weight`` (a strength map or 1), never beyond the
    visibility ceiling, at the strength that meets TARGET_PSNR_DB once clipped to it: what
    the ceiling takes from flat areas goes to the textured ones (up to their own, higher
    ceiling), so a picture with flat areas keeps the full mark energy the PSNR target allows.
    Only a picture flat nearly everywhere stays above the target. ``legacy_strength`` gives
    the mark as it was before (scaled for LEGACY_PSNR_DB, then clipped: pictures with flat
    areas ended at 42-44 dB), for comparisons."""
    height, width = image.shape[:2]
    reps = (-(-height // TILE), -(-width // TILE))
    pattern = np.tile(tile, reps)[:height, :width] * weight  # anchored at (0, 0)
    target_db = LEGACY_PSNR_DB if legacy_strength else TARGET_PSNR_DB
    target_mse = 255.0**2 / 10 ** (target_db / 10)
    ceiling = np.floor(visibility_ceiling(image))  # whole levels: rounding cannot pass it
    limit = np.inf if legacy_strength else ceiling
    strength = np.sqrt(target_mse)  # a unit-RMS pattern times this meets the target unclipped
    best = None
    for _ in range(1 if legacy_strength else RESPEND_ROUNDS):
        marked = _apply(image, np.clip(strength * pattern, -limit, limit))
        mse = np.mean((marked - image.astype(np.float64)) ** 2)
        if mse <= target_mse and not legacy_strength:
            best = marked  # the strength only grows, so the last one within the target wins
        strength *= min(np.sqrt(target_mse / max(mse, 1e-12)), RESPEND_MAX_STEP)
    while best is None:  # rounding pushed every round past the target (or before: one round)
        best = _apply(image, np.clip(strength * pattern, -ceiling, ceiling))
        mse = np.mean((best - image.astype(np.float64)) ** 2)
        if mse > target_mse and not legacy_strength:
            strength *= 0.99
            best = None
    return best


def _informed_gain(
    spectrum: np.ndarray, host_spectrum: np.ndarray, coded: np.ndarray, gain: np.ndarray
) -> np.ndarray:
    """Informed embedding (Cox, Miller & McKellips 1999; Malvar & Florencio 2003): the
    embedder knows the picture, so it reads the detector's soft value of every coded bit on
    the marked image (``spectrum``: its folded tile at the in-band bins; the tile is anchored
    at (0, 0), so no shift) and moves the energy of the data coefficients from bits the
    picture already supports to bits it opposes, keeping the total (hence the PSNR) fixed.
    Most of the picture's interference survives JPEG, cropping and resizing, and so does its
    cancellation.

    Model per coded bit j (n_j coefficients, gain a_j): margin_j = g n_j a_j + h_j, with h_j
    the picture's interference (and the detector's nonlinearity). The new gains maximise the
    smallest margin, within GAIN_RANGE (hopeless bits are left to the error correction), at
    equal energy sum_j n_j a_j^2.
    """
    layout = tile_layout()
    n = np.bincount(layout.bit_of[layout.bit_of >= 0], minlength=CODED_BITS).astype(float)
    noise = _ring_noise(spectrum)
    margin = _soft_bits(spectrum / noise) * coded  # (CODED_BITS,) as the detector reads them
    host = _soft_bits(host_spectrum / noise) * coded
    slope = max(float(np.sum(margin - host) / np.sum(n * gain)), 1e-9) * n  # g n_j
    offset = margin - slope * gain  # h_j

    def gains_for(level: float) -> np.ndarray:  # smallest gains giving every margin >= level
        return np.clip((level - offset) / slope, *GAIN_RANGE)

    budget = float(np.sum(n))  # sum n_j a_j^2 with every a_j = 1
    low, high = float(offset.min()), float(np.max(offset + slope * GAIN_RANGE[1]))
    for _ in range(40):  # bisection on the common margin
        level = 0.5 * (low + high)
        low, high = (level, high) if np.sum(n * gains_for(level) ** 2) < budget else (low, level)
    new_gain = gains_for(low)
    return new_gain * np.sqrt(budget / np.sum(n * new_gain**2))


def _apply(image: np.ndarray, delta: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        delta = delta[..., None]
        out = image.astype(np.float64)
        out[..., :3] += delta
    else:
        out = image + delta
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def whiten(luma: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Remove the slowly varying picture and equalise local contrast: what is left is mostly
    texture noise with the mark riding on it at a similar level everywhere. ``scale`` is the
    magnification of the tile in ``luma`` (the filters' widths follow it)."""
    detail = luma - ndimage.gaussian_filter(luma, HIGHPASS_SIGMA * scale)
    local_rms = np.sqrt(ndimage.gaussian_filter(detail**2, CONTRAST_SIGMA * scale))
    normalised = detail / (local_rms + CONTRAST_FLOOR)
    return np.clip(normalised, -CLIP, CLIP)


def fold(residual: np.ndarray, period: int = TILE) -> np.ndarray:
    """Sum the image's tiles: (H, W) -> (period, period). Crops only shift the result
    cyclically."""
    height, width = residual.shape
    padded = np.zeros((-(-height // period) * period, -(-width // period) * period))
    padded[:height, :width] = residual
    blocks = padded.reshape(padded.shape[0] // period, period, padded.shape[1] // period, period)
    return blocks.sum(axis=(0, 2))  # (period, period)


def _folded_spectrum(residual: np.ndarray, period: int) -> np.ndarray:
    """The tile's in-band spectrum read from an image in which the tile is ``period`` px wide
    (32 after halving, 128 after doubling): the fold of that period holds the same frequencies
    at the same integer indices, so no resampling is needed. (n_bins,) complex."""
    layout = tile_layout()
    rows = np.rint(np.fft.fftfreq(TILE) * TILE).astype(int)[layout.rows] % period
    return np.fft.rfft2(fold(residual, period))[rows, layout.cols]


@dataclass(frozen=True)
class _Reading:
    pilot_z: float
    payload: int
    crc_ok: bool
    agreement_z: float  # correlation of the soft bits with the re-encoded codeword, in sigmas
    bit_errors: int
    bits: str
    lattice_fit: float | None = None  # format 2 only (:func:`.watermark_dm.lattice_fit`)


def _tile_spectrum(folded: np.ndarray) -> np.ndarray:
    """The folded tile's DFT at the in-band coefficients: (n_bins,) complex."""
    layout = tile_layout()
    return np.fft.rfft2(folded)[layout.rows, layout.cols]


def _ring_noise(spectrum: np.ndarray) -> np.ndarray:
    """Per-coefficient noise level: host energy falls with frequency, so each ring of the band
    is weighed by its own mean power (template bins left out: their boost would bias it)."""
    layout = tile_layout()
    ring = np.clip(((layout.radius - BAND[0]) / 0.02).astype(int), 0, None)
    power = np.where(layout.template, 0.0, np.abs(spectrum) ** 2)
    ring_power = np.bincount(ring, power) / np.maximum(np.bincount(ring, ~layout.template), 1)
    return np.sqrt(ring_power[ring]) + 1e-12


def _align(spectrum: np.ndarray, shift: tuple[float, float]) -> np.ndarray:
    """Undo a cyclic shift (dy, dx) of the tile: bin k gets back its phase 2 pi k.d / TILE."""
    layout = tile_layout()
    ky = np.fft.fftfreq(TILE)[layout.rows]
    kx = np.fft.rfftfreq(TILE)[layout.cols]
    return spectrum * np.exp(2j * np.pi * (ky * shift[0] + kx * shift[1]))


def _soft_bits(aligned: np.ndarray) -> np.ndarray:
    """Despread the (shift-corrected, whitened) coefficients: one soft value per coded bit."""
    layout = tile_layout()
    parts = np.stack([aligned.real, aligned.imag], axis=1) * layout.sign_of  # (n_bins, 2)
    data = layout.bit_of >= 0
    return np.bincount(layout.bit_of[data], parts[data], minlength=CODED_BITS)


def read_tile(folded: np.ndarray, list_size: int = LIST_SIZE) -> _Reading:
    """Find the tile's shift with the pilot, then decode the payload from the folded tile."""
    return read_spectrum(_tile_spectrum(folded), list_size)


def read_spectrum(spectrum: np.ndarray, list_size: int = LIST_SIZE) -> _Reading:
    """Decode the folded tile's in-band spectrum (n_bins,): find the tile's shift with the
    pilot, then the payload (from a list of ``list_size`` codewords when the pilot is strong;
    1 is plain Viterbi, as artgan read before), in either format: format 2 first where its
    lattice stands out by itself, else format 1, then format 2 once more at no shift."""
    whitened = _ring_whitened(spectrum)
    surface = _pilot_surface(spectrum)
    pilot_z, shift = _surface_peak(surface)
    fit, dm_shift = _dm_lattice(whitened, _dm_shifts(surface))
    if fit >= DM_FIT_GATE:
        dm = _decode(lattice_soft(_soft_at(whitened, dm_shift)), list_size, pilot_z, fit)
        if dm.crc_ok:
            return dm
    ss = _read_ss(whitened, pilot_z, shift, list_size)
    if _accept(ss) or fit >= DM_FIT_GATE:
        return ss
    # A format-2 mark that an attack has blurred: its lattice no longer stands out, and the
    # pilot of a texture is no better than chance, so it is decoded once, where an image
    # that was not cropped has its tile: at no shift, refined to an eighth of a pixel by the
    # fit (a 0.5x resize moves it by a fraction of a pixel; measured on 8 texture photos at
    # 128-191 px halved: 4 read, 3 at exactly no shift). One decode per read, whatever the
    # pilot: see _accept for what that costs.
    fit, dm_shift = _dm_lattice(whitened, np.zeros((1, 2)))
    size = list_size if pilot_z >= LIST_MIN_PILOT_Z else 1
    dm = _decode(lattice_soft(_soft_at(whitened, dm_shift)), size, pilot_z, fit)
    return dm if dm.crc_ok else max(ss, dm, key=lambda reading: reading.agreement_z)


def _read_ss(
    whitened: np.ndarray, pilot_z: float, shift: tuple[float, float], list_size: int
) -> _Reading:
    """Format 1: despread the aligned coefficients and decode."""
    aligned = _align(whitened, shift)
    soft = _soft_bits(aligned)
    info = viterbi_decode(soft, PAYLOAD_BITS + CRC_BITS)
    # Second pass, weighing each frequency ring by the mark amplitude it showed on the pilot
    # and the first pass's codeword (maximal-ratio combining): JPEG and downscaling weaken
    # the outer rings far more than the inner ones.
    weights = _ring_gains(aligned, 1.0 - 2.0 * conv_encode(info))
    soft = _soft_bits(aligned * weights)
    size = list_size if pilot_z >= LIST_MIN_PILOT_Z else 1
    return _decode(soft, size, pilot_z)


def _ring_whitened(spectrum: np.ndarray) -> np.ndarray:
    return spectrum / _ring_noise(spectrum)


def _soft_at(whitened: np.ndarray, shift: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Every coded bit's soft value, the tile shifted back by ``shift``: (CODED_BITS,)."""
    return _soft_bits(_align(whitened, shift))


def _dm_lattice(whitened: np.ndarray, shifts: np.ndarray) -> tuple[float, tuple[float, float]]:
    """Format 2's lattice fit and the tile shift where it is best: the whole ``shifts`` (n, 2)
    tried, then the best refined to an eighth of a pixel (resizing and turning leave
    fractional shifts)."""
    whole = shifts[int(np.argmax(lattice_fit(_soft_at_shifts(whitened, shifts))))]
    offsets = np.arange(-0.5, 0.501, 0.125)
    grid = whole + np.stack(np.meshgrid(offsets, offsets), -1).reshape(-1, 2)
    fits = lattice_fit(_soft_at_shifts(whitened, grid))  # the grid includes the whole shift
    best = int(np.argmax(fits))
    return float(fits[best]), (float(grid[best, 0]), float(grid[best, 1]))


def _soft_at_shifts(whitened: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """:func:`_soft_at` for many shifts (n, 2) at once: (n, CODED_BITS)."""
    layout = tile_layout()
    ky = np.fft.fftfreq(TILE)[layout.rows]
    kx = np.fft.rfftfreq(TILE)[layout.cols]
    aligned = whitened * np.exp(2j * np.pi * (shifts[:, :1] * ky + shifts[:, 1:] * kx))
    parts = np.stack([aligned.real, aligned.imag], axis=-1) * layout.sign_of  # (n, bins, 2)
    order, starts = _despreading_order()
    return np.add.reduceat(parts.reshape(len(shifts), -1)[:, order], starts, axis=1)


@lru_cache(maxsize=1)
def _despreading_order() -> tuple[np.ndarray, np.ndarray]:
    """The data's real degrees of freedom sorted by coded bit, and where each bit starts."""
    bit_of = tile_layout().bit_of.ravel()
    order = np.flatnonzero(bit_of >= 0)
    order = order[np.argsort(bit_of[order], kind="stable")]
    starts = np.searchsorted(bit_of[order], np.arange(CODED_BITS))
    return order, starts


def _dm_shifts(surface: np.ndarray) -> np.ndarray:
    """Whole-pixel shifts (n, 2) to try for format 2: none, and the DM_SHIFT_PEAKS highest
    local maxima of the pilot's correlation surface, each with its 8 neighbours (a weak pilot
    often ranks the true shift among its first few peaks, not first)."""
    peaks = surface == ndimage.maximum_filter(surface, size=3, mode="wrap")
    order = np.argsort(np.where(peaks, surface, -np.inf), axis=None)[::-1][:DM_SHIFT_PEAKS]
    shifts = {(0, 0)}
    for y, x in zip(*np.unravel_index(order, surface.shape)):
        shifts.update(((y + dy) % TILE, (x + dx) % TILE) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    return np.array(sorted(shifts), dtype=float)


def _decode(soft: np.ndarray, size: int, pilot_z: float, fit: float | None = None) -> _Reading:
    """The first of the ``size`` best codewords whose CRC matches (else the best), as a
    reading."""
    candidates = list_viterbi_decode(soft, PAYLOAD_BITS + CRC_BITS, size)
    info = next((bits for bits in candidates if _crc_matches(bits)), candidates[0])
    payload = bits_to_int(info[:PAYLOAD_BITS])
    crc_ok = _crc_matches(info)
    recoded = 1.0 - 2.0 * conv_encode(info)
    agreement_z = float(soft @ recoded / (np.linalg.norm(soft) + 1e-12))
    bit_errors = int(np.sum(np.sign(soft) != recoded))
    bits = format(payload, f"0{PAYLOAD_BITS}b")
    return _Reading(pilot_z, payload, crc_ok, agreement_z, bit_errors, bits, fit)


def _crc_matches(info: np.ndarray) -> bool:
    """Whether decoded info bits (payload, then CRC) carry their payload's CRC."""
    return bits_to_int(info[PAYLOAD_BITS:]) == crc16(bits_to_int(info[:PAYLOAD_BITS]), PAYLOAD_BITS)


def _pilot_peak(spectrum: np.ndarray) -> tuple[float, tuple[float, float]]:
    """Phase correlation of the folded tile's in-band spectrum with the pilot: the peak's
    significance (z) and the cyclic shift (dy, dx) of the tile, to a fraction of a pixel."""
    return _surface_peak(_pilot_surface(spectrum))


def _pilot_surface(spectrum: np.ndarray) -> np.ndarray:
    """(TILE, TILE) phase correlation with the pilot at every cyclic shift of the tile."""
    layout = tile_layout()
    # A cyclic shift d multiplies bin k by exp(-2 pi i k.d / T).
    cross = np.zeros((TILE, TILE // 2 + 1), dtype=np.complex128)
    phase_only = spectrum / (np.abs(spectrum) + 1e-12)
    cross[layout.rows, layout.cols] = phase_only * np.conj(layout.pilot)
    return np.fft.irfft2(cross, s=(TILE, TILE))


def _surface_peak(surface: np.ndarray) -> tuple[float, tuple[float, float]]:
    peak = np.unravel_index(np.argmax(surface), surface.shape)
    pilot_z = float((surface[peak] - surface.mean()) / (surface.std() + 1e-12))
    return pilot_z, _subpixel(surface, peak)


def _subpixel(surface: np.ndarray, peak: tuple[int, int]) -> tuple[float, float]:
    """Shift of the correlation peak to a fraction of a pixel (a parabola through each axis)."""
    y, x = peak
    around_y = surface[[(y - 1) % TILE, y, (y + 1) % TILE], x]
    around_x = surface[y, [(x - 1) % TILE, x, (x + 1) % TILE]]
    return y + parabola_vertex(around_y), x + parabola_vertex(around_x)


def _ring_gains(aligned: np.ndarray, recoded: np.ndarray) -> np.ndarray:
    """Per-bin weight: the mean mark amplitude of the bin's frequency ring, measured on the
    pilot and on the data bits as the first decode read them (negative rings get 0)."""
    layout = tile_layout()
    parts = np.stack([aligned.real, aligned.imag], axis=1) * layout.sign_of  # (n_bins, 2)
    expected = np.where(layout.bit_of < 0, 1.0, recoded[np.maximum(layout.bit_of, 0)])
    agreement = parts * expected / layout.amplitude[:, None]  # mark amplitude, per dof
    ring = np.clip(((layout.radius - BAND[0]) / 0.02).astype(int), 0, None)
    gain = np.bincount(ring, agreement.sum(axis=1)) / np.maximum(2 * np.bincount(ring), 1)
    return np.maximum(gain, 0.0)[ring]


def _template_frequencies() -> np.ndarray:
    layout = tile_layout()
    rows, cols = layout.rows[layout.template], layout.cols[layout.template]
    return np.stack(
        [np.fft.fftfreq(TILE)[rows], np.fft.rfftfreq(TILE)[cols]], axis=1
    )  # (TEMPLATE_PEAKS, 2): (fy, fx) in cycles per pixel of the tile grid


def _accept(reading: _Reading) -> bool:
    """A payload counts only if its CRC matches and the pilot's shift peak stands out (or, in
    format 2, the lattice fit does): an unmarked image passes the CRC once in 65,536 reads,
    and the pilot test in about a third of reads (measured: the largest of 4,096 shift
    correlations has median z 3.4 there). With at most 10 reads per image (2 of them from the
    angle sweep) that is about 5e-5 false positives per image, 20 times below the 0.1 %
    target, while a weak mark with the right shift still passes. A read whose pilot reaches
    LIST_MIN_PILOT_Z (0.2 % of reads on unmarked images) tries LIST_SIZE codewords against the
    CRC: 10 x 0.002 x 64 / 65,536, another 2e-5 per image.

    Format 2 adds at most two decodes per read, and its readings need only their CRC:
    - where its lattice fit reaches DM_FIT_GATE by itself (list of LIST_SIZE). Without the
      mark, the fit at one shift is 0 +- 0.056 (1 / sqrt(2 x 162): the keyed dither makes
      each bit's term zero-mean whatever the picture), so the gate is 5.9 sigmas; a read tries
      at most 73 whole shifts and 81 fractional ones, so about 150 x 2e-9 = 3e-7 of reads
      pass it, and then the CRC at most 64 / 65,536 of the time: nothing measurable
      (measured on 30 unmarked bench images, 293 reads: the best fit of a read is
      0.15 +- 0.03, at most 0.23);
    - once at no shift where format 1 failed, whatever the pilot (a texture's pilot is no
      better than chance, so it cannot gate this read), with the list only where the pilot
      reaches LIST_MIN_PILOT_Z as in format 1: 10 x (1 + 0.002 x 64) / 65,536 = 1.7e-4 per
      image. With format 1's 7e-5, about 2.4e-4 per image in all, 4 times below the target.
    """
    return reading.crc_ok and (reading.lattice_fit is not None or reading.pilot_z >= PILOT_MIN_Z)


def _confidence(reading: _Reading) -> float:
    """0 for the agreement an unmarked image gives, 1 for an error-free read."""
    clean = np.sqrt(CODED_BITS)  # every soft value agreeing with the codeword
    return float(
        np.clip((reading.agreement_z - CHANCE_AGREEMENT) / (clean - CHANCE_AGREEMENT), 0.0, 1.0)
    )


def _readings(
    luma: np.ndarray, residual: np.ndarray, angle_sweep: bool, list_size: int
) -> Iterator[_Reading]:
    """Reads of the image, cheapest and likeliest first: as it is; halved or doubled; then at
    the scales and angles that the template peaks suggest; then (``angle_sweep``) at the
    small angles where the pilot stands out most."""
    yield read_spectrum(_folded_spectrum(residual, TILE), list_size)
    for scale in COMMON_SCALES:
        if min(luma.shape) / scale >= MIN_DETECT_SIZE:
            folded = _folded_spectrum(whiten(luma, scale), round(TILE * scale))
            yield read_spectrum(folded, list_size)
    # The template is looked for on a coarser residual that keeps it at every scale.
    candidates = find_candidates(whiten(luma, SYNC_SCALE), _template_frequencies(), TILE)
    whitened: dict[int, np.ndarray] = {}  # by scale in 5 % steps: candidates often share one
    for candidate in candidates:
        if min(luma.shape) / candidate.scale < MIN_DETECT_SIZE:
            continue
        key = round(np.log(candidate.scale) / np.log(1.05))
        if key not in whitened:
            whitened[key] = whiten(luma, candidate.scale)
        grid = to_tile_grid(whitened[key], candidate.scale, candidate.angle)
        yield read_tile(fold(grid), list_size)
    for angle in _swept_angles(residual) if angle_sweep else ():
        yield read_tile(fold(to_tile_grid(residual, 1.0, angle)), list_size)


def _swept_angles(residual: np.ndarray) -> list[float]:
    """The SWEEP_DECODES angles (radians) at which the pilot stands out most, trying every
    SWEEP_STEP_DEG up to SWEEP_MAX_DEG on the residual's central square. At 0.5 degrees the
    worst misalignment (0.25 degrees) turns the outermost band frequency by under a radian
    at 150 px from the centre, so a 192 px square folds coherently."""
    height, width = residual.shape
    side = min(SWEEP_SIDE, height, width)
    top, left = (height - side) // 2, (width - side) // 2
    centre = residual[top : top + side, left : left + side]
    angles = np.deg2rad(np.arange(-SWEEP_MAX_DEG, SWEEP_MAX_DEG + 1e-9, SWEEP_STEP_DEG))
    angles = angles[angles != 0.0]  # the image as it is was read first
    scores = [_pilot_peak(_tile_spectrum(fold(to_tile_grid(centre, 1.0, a))))[0] for a in angles]
    best = np.argsort(scores)[::-1][:SWEEP_DECODES]
    return [float(angles[i]) for i in best]


def detect(
    image: np.ndarray, angle_sweep: bool = True, list_size: int = LIST_SIZE
) -> WatermarkResult:
    """Look for the watermark in a uint8 image of any size, RGB or grey.

    Tries the image as it is, then (if nothing is found) halved and doubled, then the
    scale/rotation candidates from the template peaks, then a sweep of small rotations (which
    finds the angle of a turned image too small to show its template; ``angle_sweep=False``
    leaves it out, as artgan's detector was before it, for comparisons). When a read's pilot
    is strong, the ``list_size`` best codewords are tried against the CRC (``list_size=1``:
    plain Viterbi, as artgan read before, for comparisons). ``bits`` is the best guess of the
    payload even when nothing is found.
    """
    image = _check_image(image)
    if min(image.shape[:2]) < MIN_DETECT_SIZE:
        return WatermarkResult(False, None, "", 0.0, None)
    luma = _luma(image)
    residual = whiten(luma)
    if not np.any(residual):  # a flat image carries nothing
        return WatermarkResult(False, None, "", 0.0, None)
    reading = None
    for attempt in _readings(luma, residual, angle_sweep, list_size):
        if reading is None or attempt.agreement_z > reading.agreement_z:
            reading = attempt  # the most plausible guess, for ``bits``
        if _accept(attempt):
            reading = attempt
            break
    found = _accept(reading)
    return WatermarkResult(
        found=found,
        payload=reading.payload if found else None,
        bits=reading.bits,
        confidence=_confidence(reading),
        bit_errors_corrected=reading.bit_errors if found else None,
        mark_format=(1 if reading.lattice_fit is None else 2) if found else None,
    )
