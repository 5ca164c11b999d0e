"""Geometric synchronisation of the tiled watermark: estimate the scale and rotation that an
image went through, from the lattice of peaks its periodic mark leaves in the power spectrum.

A pattern repeated with period T has its energy on the frequencies k / T. After scaling by s
and rotating by theta, those peaks sit at R(theta) k / (s T) (Kutter 1998, "Watermarking
resisting to translation, rotation and scaling"; Kalker, Depovere, Haitsma & Maes 1999). The
search scores every (s, theta) on a grid by the whitened spectral power found at the lattice
points, on a spectrum max-filtered so the grid can be coarse, then refines the best few on the
raw spectrum. Translation needs no search here: the detector's fold is cyclic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

SCALE_RANGE = (0.4, 2.6)  # down-scaled to 40 % .. up-scaled to 260 %
MAX_ANGLE_DEG = 10.0
PEAK_TOLERANCE_BINS = 2.0  # grid spacing, in spectrum bins at the outermost lattice point
REFINE_MIN_PEAK = 4.0  # whitened power a template peak needs to enter the sub-bin fit
POWER_CLIP = 60.0  # one strong peak (JPEG's 8-px grid, stripes) must not outvote the lattice


@dataclass(frozen=True)
class Candidate:
    score: float  # mean whitened power at the lattice points (about 1 with no mark)
    scale: float  # the image is the tile grid magnified by this factor
    angle: float  # radians, the rotation applied to the tile grid


def whitened_power(residual: np.ndarray) -> np.ndarray:
    """Power spectrum (rfft2 layout) divided by its local average: peaks stand out as >> 1."""
    height, width = residual.shape
    window = np.outer(np.hanning(height), np.hanning(width))  # limits leakage from the borders
    power = np.abs(np.fft.rfft2(residual * window)) ** 2  # (H, W // 2 + 1)
    background = ndimage.uniform_filter(power, size=9, mode="wrap")
    # The filter's running sums can dip below zero where the spectrum is empty (flat images).
    return power / np.maximum(background, 1e-9 * power.mean() + 1e-30)


def _lattice_bins(
    freqs: np.ndarray, shape: tuple[int, int], scale: np.ndarray, angle: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Spectrum coordinates (row, col) of tile frequencies (n, 2) = (fy, fx) in cycles/tile px
    under each hypothesis (m,): returns two (m, n) arrays, folded onto the rfft half plane."""
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    fy, fx = freqs[None, :, 0], freqs[None, :, 1]
    ry = (cos * fy + sin * fx) / scale[:, None]  # cycles per image pixel
    rx = (-sin * fy + cos * fx) / scale[:, None]
    flip = rx < 0  # conjugate symmetry: (fy, fx) and (-fy, -fx) have the same power
    ry, rx = np.where(flip, -ry, ry), np.where(flip, -rx, rx)
    return (ry * shape[0]) % shape[0], rx * shape[1], flip


def _scores(power: np.ndarray, freqs: np.ndarray, scale: np.ndarray, angle: np.ndarray):
    height = power.shape[0]
    width = 2 * (power.shape[1] - 1)
    rows, cols, _ = _lattice_bins(freqs, (height, width), scale, angle)
    values = ndimage.map_coordinates(power, [rows.ravel(), cols.ravel()], order=1, mode="wrap")
    return values.reshape(rows.shape).mean(axis=1)


def _grid(n_pixels: int, f_max: float, max_scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Hypotheses spaced so the outermost lattice point moves at most PEAK_TOLERANCE_BINS."""
    scales, angles = [], []
    scale = SCALE_RANGE[0]
    max_angle = np.deg2rad(MAX_ANGLE_DEG)
    while scale <= min(SCALE_RANGE[1], max_scale):
        step = PEAK_TOLERANCE_BINS * scale / (f_max * n_pixels)  # relative, also radians
        count = int(np.ceil(max_angle / step))
        for angle in np.linspace(-max_angle, max_angle, 2 * count + 1):
            scales.append(scale)
            angles.append(angle)
        scale *= 1.0 + step
    return np.array(scales), np.array(angles)


def find_candidates(
    residual: np.ndarray,
    freqs: np.ndarray,
    tile: int,
    keep: int = 4,
    prior_scales: tuple[float, ...] = (1.0,),
) -> list[Candidate]:
    """The ``keep`` most likely (scale, angle) pairs for the tile, best first, then the best
    angle at each of ``prior_scales`` (a rotated but not rescaled image is common, and a
    search over angles alone is far less often fooled by the picture's own peaks).

    ``freqs`` (n, 2) are the template frequencies, (fy, fx) in cycles/tile px; ``tile`` is the
    period in pixels: a scale at which not even two periods fit is not tried.
    """
    ratio = whitened_power(residual)
    power = np.minimum(ratio, POWER_CLIP)
    f_max = float(np.hypot(freqs[:, 0], freqs[:, 1]).max())
    # Coarse: max-filtering widens every peak to +-2 bins, so the grid may step that far.
    coarse_power = ndimage.maximum_filter(power, size=5, mode="wrap")
    n_pixels = max(residual.shape)
    scale, angle = _grid(n_pixels, f_max, min(residual.shape) / (2 * tile))
    coarse = _scores(coarse_power, freqs, scale, angle)
    # Distinct hypotheses: skip the neighbours (within 3 grid steps) of one already picked.
    step = PEAK_TOLERANCE_BINS * scale / (f_max * n_pixels)
    picked: list[int] = []
    for index in np.argsort(coarse)[::-1]:
        if all(
            abs(np.log(scale[index] / scale[j])) > 3 * step[j]
            or abs(angle[index] - angle[j]) > 3 * step[j]
            for j in picked
        ):
            picked.append(int(index))
        if len(picked) == keep:
            break
    for prior in prior_scales:
        near = np.flatnonzero(np.abs(np.log(scale / prior)) <= step)
        if near.size:
            best = int(near[np.argmax(coarse[near])])
            if best not in picked:
                picked.append(best)
    # Fine: +-2 coarse steps around each (the widened coarse peak may sit off the true one),
    # on a spectrum widened by only +-1 bin.
    fine_power = ndimage.maximum_filter(power, size=3, mode="wrap")
    candidates = []
    for index in picked:
        offsets = np.linspace(-2 * step[index], 2 * step[index], 13)
        ds, da = np.meshgrid(offsets, offsets, indexing="ij")
        fine_scale = scale[index] * np.exp(ds.ravel())
        fine_angle = angle[index] + da.ravel()
        fine = _scores(fine_power, freqs, fine_scale, fine_angle)
        best = int(np.argmax(fine))
        found = _refine(ratio, freqs, float(fine_scale[best]), float(fine_angle[best]))
        # A fit pulled far off by noise peaks is worse than the grid estimate.
        if (
            abs(np.log(found[0] / fine_scale[best])) > step[index]
            or abs(found[1] - fine_angle[best]) > step[index]
        ):
            found = (float(fine_scale[best]), float(fine_angle[best]))
        candidates.append(Candidate(float(fine[best]), *found))
    return sorted(candidates[:keep], key=lambda c: -c.score) + candidates[keep:]


def _refine(ratio: np.ndarray, freqs: np.ndarray, scale: float, angle: float):
    """Sub-bin estimate: locate each template peak near its predicted bin (parabola through
    the log power), then fit the similarity z' = c z (z = fx + i fy, c = e^{i angle} / scale)
    by weighted least squares. A grid estimate is off by up to a bin, which would smear the
    fold of a large image; the fit is good to about a tenth of a bin."""
    n_rows, n_cols = ratio.shape
    width = 2 * (n_cols - 1)
    rows, cols, flip = _lattice_bins(freqs, (n_rows, width), np.array([scale]), np.array([angle]))
    log_power = np.log(ratio + 1e-12)
    measured, weights = [], []
    for row, col, flipped in zip(
        np.rint(rows[0]).astype(int), np.rint(cols[0]).astype(int), flip[0]
    ):
        window_rows = np.arange(row - 2, row + 3) % n_rows
        window_cols = np.clip(np.arange(col - 2, col + 3), 1, n_cols - 2)
        patch = ratio[np.ix_(window_rows, window_cols)]
        i, j = np.unravel_index(np.argmax(patch), patch.shape)
        peak_row, peak_col = window_rows[i], window_cols[j]
        if patch[i, j] < REFINE_MIN_PEAK:
            continue
        around_rows = log_power[
            [(peak_row - 1) % n_rows, peak_row, (peak_row + 1) % n_rows], peak_col
        ]
        around_cols = log_power[peak_row, [peak_col - 1, peak_col, peak_col + 1]]
        fy = (peak_row + parabola_vertex(around_rows)) / n_rows
        fy = (fy + 0.5) % 1.0 - 0.5
        fx = (peak_col + parabola_vertex(around_cols)) / width
        z = complex(fx, fy)
        measured.append(-z if flipped else z)
        weights.append(patch[i, j])
    if len(measured) < 3:
        return scale, angle
    z_tile = freqs[:, 1] + 1j * freqs[:, 0]
    keep = []
    index = 0
    for row, col in zip(np.rint(rows[0]).astype(int), np.rint(cols[0]).astype(int)):
        window_rows = np.arange(row - 2, row + 3) % n_rows
        window_cols = np.clip(np.arange(col - 2, col + 3), 1, n_cols - 2)
        if ratio[np.ix_(window_rows, window_cols)].max() >= REFINE_MIN_PEAK:
            keep.append(index)
        index += 1
    z_tile = z_tile[keep]
    w = np.array(weights)
    c = np.sum(w * np.array(measured) * np.conj(z_tile)) / np.sum(w * np.abs(z_tile) ** 2)
    if not np.isfinite(c) or abs(c) == 0:
        return scale, angle
    return float(1.0 / abs(c)), float(np.angle(c))


def parabola_vertex(values: np.ndarray) -> float:
    """Offset (-0.5..0.5) of the vertex of the parabola through three equally spaced values."""
    left, centre, right = values
    curvature = left - 2 * centre + right
    if curvature >= 0:
        return 0.0
    return float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))


def to_tile_grid(residual: np.ndarray, scale: float, angle: float) -> np.ndarray:
    """Resample the image so the tile is upright and back at its embedding size.

    Output pixel (u, v) reads the input at scale * R(angle) (u, v) (about the origin; any
    offset is only a cyclic shift of the tile, which the pilot finds)."""
    height, width = residual.shape
    cos, sin = np.cos(angle), np.sin(angle)
    matrix = scale * np.array([[cos, sin], [-sin, cos]])
    out_shape = (int(np.ceil(height / scale)), int(np.ceil(width / scale)))
    # Rotate about the centres so the rotated image stays inside the output.
    centre_in = np.array([(height - 1) / 2, (width - 1) / 2])
    centre_out = np.array([(out_shape[0] - 1) / 2, (out_shape[1] - 1) / 2])
    offset = centre_in - matrix @ centre_out
    return ndimage.affine_transform(
        residual, matrix, offset=offset, output_shape=out_shape, order=1, mode="constant", cval=0.0
    )
