"""Image restoration metrics and a classical inpainting baseline, in numpy/scipy.

- ``ssim_map``: the local SSIM of Wang et al. 2004 ("Image Quality Assessment: From Error
  Visibility to Structural Similarity") with their settings: a Gaussian window of sigma 1.5
  (truncated at 3.5 sigma, as scikit-image's ``gaussian_weights=True``), K1 = 0.01,
  K2 = 0.03, population (co)variances. Averaged over all pixels it is scikit-image's
  ``structural_similarity``; averaged over a hole it measures the fill alone.
- ``hole_psnr`` / ``hole_ssim``: PSNR and mean SSIM over the pixels of a mask.
- ``harmonic_fill``: the hole filled with the solution of Laplace's equation whose boundary
  values are the known pixels around it (the simplest diffusion inpainting; smooth, no texture).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse.linalg import spsolve

K1, K2, SIGMA, TRUNCATE = 0.01, 0.03, 1.5, 3.5


def ssim_map(a: np.ndarray, b: np.ndarray, data_range: float = 255.0) -> np.ndarray:
    """Per-pixel SSIM of two (H, W) or (H, W, C) images (per channel for colour)."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    if a.ndim == 3:
        return np.stack([ssim_map(a[..., c], b[..., c], data_range) for c in range(a.shape[2])], -1)

    def blur(x: np.ndarray) -> np.ndarray:
        return ndimage.gaussian_filter(x, SIGMA, truncate=TRUNCATE, mode="reflect")

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    return ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )


def hole_psnr(output: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> float:
    """PSNR (dB, 8-bit range) over the pixels where ``mask`` (H, W) is true, all channels."""
    diff = output.astype(np.float64)[mask] - reference.astype(np.float64)[mask]
    mse = float(np.mean(diff**2))
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


def hole_ssim(output: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> float:
    """Mean SSIM (Wang et al.) over the pixels where ``mask`` (H, W) is true."""
    return float(ssim_map(output, reference)[mask].mean())


def harmonic_fill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Fill ``mask`` (H, W bool) of a uint8 (H, W[, C]) image with the harmonic interpolant of
    the surrounding pixels: the discrete Laplace equation (4-neighbour) inside the hole, known
    pixels as boundary values. Pixels outside the image are treated as mirrored (zero flux)."""
    squeeze = image.ndim == 2
    x = image.astype(np.float64)
    if squeeze:
        x = x[:, :, None]
    height, width = mask.shape
    holes = np.flatnonzero(mask)
    if holes.size == 0:
        return image.copy()
    index = -np.ones(height * width, dtype=np.int64)
    index[holes] = np.arange(holes.size)
    rows, cols = np.divmod(holes, width)
    matrix = sparse.lil_matrix((holes.size, holes.size))
    rhs = np.zeros((holes.size, x.shape[2]))
    flat = x.reshape(-1, x.shape[2])  # (H * W, C)
    for k, (r, c) in enumerate(zip(rows, cols)):
        neighbours = 0
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            rr, cc = r + dr, c + dc
            if not (0 <= rr < height and 0 <= cc < width):
                continue  # mirrored boundary: this neighbour equals the pixel itself
            neighbours += 1
            j = rr * width + cc
            if index[j] >= 0:
                matrix[k, index[j]] = -1.0
            else:
                rhs[k] += flat[j]
        matrix[k, k] = neighbours
    solution = spsolve(matrix.tocsr(), rhs)
    out = x.copy().reshape(-1, x.shape[2])
    out[holes] = solution.reshape(holes.size, -1)
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8).reshape(x.shape)
    return out[:, :, 0] if squeeze else out
