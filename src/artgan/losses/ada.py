"""Adaptive discriminator augmentation (ADA): Karras et al. 2020, "Training Generative
Adversarial Networks with Limited Data" (NeurIPS).

Every image the discriminator sees, real or generated, passes through one differentiable
pipeline (gradients reach G through its augmented fakes). Each transform is applied to each
sample with probability ``p``; because D never sees only clean images, it cannot memorise a
small training set, and because each transform is skipped with probability ``1 - p`` the
augmentations do not "leak" into G's images while ``p`` stays below about 0.8 (paper, Sec. 2.2).

The pipeline is the paper's "bgc" one plus cutout, with its constants (StyleGAN2-ADA's
``augment.py``):

- geometric, composed into one 3x3 matrix per sample and resampled once (``F.grid_sample``,
  bilinear, reflection padding): x-flip, 90-degree rotation, integer translation (up to 1/8 of
  the side), isotropic scaling (lognormal, std 0.2 octaves), arbitrary rotation (applied twice,
  before and after the anisotropic scaling, each with probability ``1 - sqrt(1 - p)``),
  anisotropic scaling (std 0.2 octaves), fractional translation (std 1/8 of the side);
- colour, composed into one 4x4 matrix per sample: brightness (std 0.2), contrast (std 0.5
  octaves), luma flip, hue rotation (any angle, about the grey axis), saturation (std 1 octave);
  grey images take the mean of the matrix rows (hue and saturation do nothing to them);
- cutout last: a square of half the side, at a uniform centre, set to 0.

At ``p == 0`` the pipeline is skipped (exactly the identity, no random numbers drawn). The work
is batched on the images' device in float32 (autocast off) and the result returns in the
input's dtype. Randomness comes from torch's global generator, which checkpoints save, so a
resumed run draws the same augmentations.

``p`` follows the overfitting heuristic r_t = E[sign(D(real))] (Sec. 3): the signs of D's
outputs on (augmented) reals are summed over ``interval`` discriminator steps; then
``p += sign(r_t - target) * images / (kimg * 1000)``, clamped to [0, 1), where ``images`` is
the number of real images judged in the interval. Under torch.distributed the sums are
all-reduced first, so every process holds the same ``p``. ``p`` and the partial sums are
training state (:meth:`AdaptiveAugment.state_dict`), saved and restored on resume.
"""

from __future__ import annotations

import math

import torch
import torch.distributed as dist
import torch.nn.functional as F

P_MAX = math.nextafter(1.0, 0.0)  # p stays in [0, 1)

# The paper's strengths (StyleGAN2-ADA's AugmentPipe defaults).
INT_TRANSLATION_MAX = 0.125  # integer translation, fraction of the side
SCALE_STD = 0.2  # isotropic scaling, octaves
ROTATE_MAX = 1.0  # arbitrary rotation, fraction of pi (so any angle)
ANISO_STD = 0.2  # anisotropic scaling, octaves
FRAC_TRANSLATION_STD = 0.125  # fractional translation, fraction of the side
BRIGHTNESS_STD = 0.2  # added to images in [-1, 1]
CONTRAST_STD = 0.5  # octaves
HUE_MAX = 1.0  # fraction of pi
SATURATION_STD = 1.0  # octaves
CUTOUT_SIZE = 0.5  # fraction of the side


def _gate(values: torch.Tensor, p: float, neutral: float) -> torch.Tensor:
    """``values`` per sample with probability ``p``, else the neutral value (no change)."""
    keep = torch.rand(values.shape[0], *([1] * (values.dim() - 1)), device=values.device) < p
    return torch.where(keep, values, torch.full_like(values, neutral))


def _matrix(rows: list[list], batch: int, device: torch.device) -> torch.Tensor:
    """A (B, N, N) matrix from rows of per-sample tensors (B,) or Python numbers."""
    out = []
    for row in rows:
        for v in row:
            out.append(v if torch.is_tensor(v) else torch.full((batch,), float(v), device=device))
    n = len(rows)
    return torch.stack(out, dim=1).reshape(batch, n, n)  # (B, N, N)


def _translate2d(tx, ty, b, dev) -> torch.Tensor:
    return _matrix([[1, 0, tx], [0, 1, ty], [0, 0, 1]], b, dev)


def _scale2d(sx, sy, b, dev) -> torch.Tensor:
    return _matrix([[sx, 0, 0], [0, sy, 0], [0, 0, 1]], b, dev)


def _rotate2d(cos, sin, b, dev) -> torch.Tensor:
    return _matrix([[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]], b, dev)


def geometric_matrix(b: int, h: int, w: int, p: float, device: torch.device) -> torch.Tensor:
    """(B, 3, 3): the inverse transform (output pixel -> input pixel), in pixels about the
    image centre. Each factor is the inverse of its transform, composed as G_inv @ T_inv."""
    g = torch.eye(3, device=device).expand(b, 3, 3)
    # x-flip
    i = _gate(torch.floor(torch.rand(b, device=device) * 2), p, 0.0)
    g = g @ _scale2d(1 - 2 * i, 1, b, device)
    # 90-degree rotations, exact cosines and sines (inverse: rotate by -90 * i degrees)
    i = _gate(torch.floor(torch.rand(b, device=device) * 4), p, 0.0).long()
    cos = torch.tensor([1.0, 0.0, -1.0, 0.0], device=device)[i]
    sin = torch.tensor([0.0, -1.0, 0.0, 1.0], device=device)[i]
    g = g @ _rotate2d(cos, sin, b, device)
    # integer translation
    t = _gate((torch.rand(b, 2, device=device) * 2 - 1) * INT_TRANSLATION_MAX, p, 0.0)
    g = g @ _translate2d(-torch.round(t[:, 0] * w), -torch.round(t[:, 1] * h), b, device)
    # isotropic scaling
    s = _gate(torch.exp2(torch.randn(b, device=device) * SCALE_STD), p, 1.0)
    g = g @ _scale2d(1 / s, 1 / s, b, device)
    # arbitrary rotation, split around the anisotropic scaling (a random scaling axis)
    p_rot = 1 - math.sqrt(max(0.0, 1 - p))
    theta = _gate((torch.rand(b, device=device) * 2 - 1) * math.pi * ROTATE_MAX, p_rot, 0.0)
    g = g @ _rotate2d(torch.cos(-theta), torch.sin(-theta), b, device)
    s = _gate(torch.exp2(torch.randn(b, device=device) * ANISO_STD), p, 1.0)
    g = g @ _scale2d(1 / s, s, b, device)
    theta = _gate((torch.rand(b, device=device) * 2 - 1) * math.pi * ROTATE_MAX, p_rot, 0.0)
    g = g @ _rotate2d(torch.cos(-theta), torch.sin(-theta), b, device)
    # fractional translation
    t = _gate(torch.randn(b, 2, device=device) * FRAC_TRANSLATION_STD, p, 0.0)
    return g @ _translate2d(-t[:, 0] * w, -t[:, 1] * h, b, device)


def apply_geometric(x: torch.Tensor, g_inv: torch.Tensor) -> torch.Tensor:
    """Resample ``x`` (B, C, H, W) once through the per-sample inverse transforms."""
    b, _, h, w = x.shape
    to_unit = _scale2d(2 / w, 2 / h, b, x.device)  # pixels about the centre -> [-1, 1]
    from_unit = _scale2d(w / 2, h / 2, b, x.device)
    theta = (to_unit @ g_inv @ from_unit)[:, :2, :]  # (B, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (B, H, W, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def colour_matrix(b: int, channels: int, p: float, device: torch.device) -> torch.Tensor:
    """(B, 4, 4): the colour transform, acting on (r, g, b, 1) in [-1, 1]."""
    c = torch.eye(4, device=device).expand(b, 4, 4)
    # brightness
    v = _gate(torch.randn(b, device=device) * BRIGHTNESS_STD, p, 0.0)
    c = _matrix([[1, 0, 0, v], [0, 1, 0, v], [0, 0, 1, v], [0, 0, 0, 1]], b, device) @ c
    # contrast
    v = _gate(torch.exp2(torch.randn(b, device=device) * CONTRAST_STD), p, 1.0)
    c = _matrix([[v, 0, 0, 0], [0, v, 0, 0], [0, 0, v, 0], [0, 0, 0, 1]], b, device) @ c
    axis = torch.tensor([1.0, 1.0, 1.0, 0.0], device=device) / math.sqrt(3)  # the grey axis
    outer = torch.outer(axis, axis)  # (4, 4)
    eye = torch.eye(4, device=device)
    # luma flip (a Householder reflection through the plane orthogonal to grey)
    i = _gate(torch.floor(torch.rand(b, device=device) * 2), p, 0.0)
    c = (eye - 2 * outer * i[:, None, None]) @ c
    if channels > 1:
        # hue: rotation about the grey axis (Rodrigues)
        theta = _gate((torch.rand(b, device=device) * 2 - 1) * math.pi * HUE_MAX, p, 0.0)
        c = _rotate_about(axis, theta, b, device) @ c
        # saturation: scale the part orthogonal to grey
        s = _gate(torch.exp2(torch.randn(b, device=device) * SATURATION_STD), p, 1.0)
        c = (outer + (eye - outer) * s[:, None, None]) @ c
    return c


def _rotate_about(axis: torch.Tensor, theta: torch.Tensor, b: int, dev) -> torch.Tensor:
    x, y, z = (float(a) for a in axis[:3].tolist())
    s, co = torch.sin(theta), torch.cos(theta)
    cc = 1 - co
    rows = [
        [x * x * cc + co, x * y * cc - z * s, x * z * cc + y * s, 0],
        [y * x * cc + z * s, y * y * cc + co, y * z * cc - x * s, 0],
        [z * x * cc - y * s, z * y * cc + x * s, z * z * cc + co, 0],
        [0, 0, 0, 1],
    ]
    return _matrix(rows, b, dev)


def apply_colour(x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    b, channels, h, w = x.shape
    flat = x.reshape(b, channels, h * w)  # (B, C, HW)
    if channels == 3:
        flat = c[:, :3, :3] @ flat + c[:, :3, 3:]
    else:  # grey (or any other count): each channel as a grey value
        rows = c[:, :3, :].mean(dim=1, keepdim=True)  # (B, 1, 4)
        flat = flat * rows[:, :, :3].sum(dim=2, keepdim=True) + rows[:, :, 3:]
    return flat.reshape(b, channels, h, w)


def apply_cutout(x: torch.Tensor, p: float) -> torch.Tensor:
    b, _, h, w = x.shape
    size = _gate(torch.full((b, 1, 1), CUTOUT_SIZE, device=x.device), p, 0.0)  # (B, 1, 1)
    centre = torch.rand(b, 2, 1, 1, device=x.device)  # (B, 2, 1, 1)
    cx = (torch.arange(w, device=x.device).reshape(1, 1, w) + 0.5) / w  # (1, 1, W)
    cy = (torch.arange(h, device=x.device).reshape(1, h, 1) + 0.5) / h  # (1, H, 1)
    outside_x = (cx - centre[:, 0]).abs() >= size / 2  # (B, 1, W)
    outside_y = (cy - centre[:, 1]).abs() >= size / 2  # (B, H, 1)
    mask = (outside_x | outside_y).to(x.dtype)  # (B, H, W)
    return x * mask.unsqueeze(1)


def ada_augment(x: torch.Tensor, p: float) -> torch.Tensor:
    """Augment a batch of images (B, C, H, W) in [-1, 1] with probability ``p`` per transform
    and sample; differentiable with respect to ``x``; the identity at ``p == 0``."""
    if p <= 0 or x.dim() != 4:
        return x
    b, channels, h, w = x.shape
    with torch.autocast(x.device.type, enabled=False):
        y = x.float()
        y = apply_geometric(y, geometric_matrix(b, h, w, p, x.device))
        y = apply_colour(y, colour_matrix(b, channels, p, x.device))
        y = apply_cutout(y, p)
    return y.to(x.dtype)


class AdaptiveAugment:
    """The ADA pipeline and its probability ``p``, tuned from D's outputs on real images.

    Call it on images (anything not 4-D passes unchanged); call :meth:`observe` once per
    discriminator step with D's outputs on the (augmented) reals. ``boundary`` is the score
    that separates "real" from "fake" for the loss (0 for logits and hinge; the midpoint of
    the targets for least squares).
    """

    def __init__(
        self,
        p: float = 0.0,
        target: float = 0.6,
        kimg: float = 100.0,
        interval: int = 4,
        boundary: float = 0.0,
    ):
        self.p = float(p)
        self.target, self.kimg, self.interval = float(target), float(kimg), int(interval)
        self.boundary = float(boundary)
        self._reset_sums()

    def _reset_sums(self) -> None:
        self.sign_sum: torch.Tensor | float = 0.0  # sum of sign(D(real) - boundary)
        self.score_count = 0  # how many scores were summed
        self.image_count = 0  # how many real images D judged
        self.steps = 0  # discriminator steps since the last adjustment

    def __bool__(self) -> bool:
        return True

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return ada_augment(x, self.p)

    def observe(self, real_scores: torch.Tensor, images: int) -> dict[str, torch.Tensor]:
        """Accumulate one D step's signs on reals; every ``interval`` steps adjust ``p``.
        Returns ``ada_p`` (the p this step used) and ``ada_rt`` (this step's sign mean) for
        the log."""
        device = real_scores.device
        used_p = torch.tensor(self.p, device=device)
        signs = torch.sign(real_scores.detach().float() - self.boundary)
        self.sign_sum = self.sign_sum + signs.sum()
        self.score_count += signs.numel()
        self.image_count += int(images)
        self.steps += 1
        if self.steps >= self.interval:
            self._adjust(device)
        return {"ada_p": used_p, "ada_rt": signs.mean()}

    def _adjust(self, device: torch.device) -> None:
        sums = torch.stack(
            [
                torch.as_tensor(self.sign_sum, dtype=torch.float64, device=device),
                torch.tensor(float(self.score_count), dtype=torch.float64, device=device),
                torch.tensor(float(self.image_count), dtype=torch.float64, device=device),
            ]
        )
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(sums, op=dist.ReduceOp.SUM)
        sign_sum, score_count, image_count = sums.tolist()
        r_t = sign_sum / max(1.0, score_count)
        step = math.copysign(1.0, r_t - self.target) if r_t != self.target else 0.0
        self.p = min(max(self.p + step * image_count / (self.kimg * 1000), 0.0), P_MAX)
        self._reset_sums()

    # --- training state (tensors and plain containers only) ------------------------------
    def state_dict(self) -> dict:
        return {
            "p": self.p,
            "sign_sum": float(self.sign_sum),
            "score_count": self.score_count,
            "image_count": self.image_count,
            "steps": self.steps,
        }

    def load_state_dict(self, state: dict) -> None:
        self.p = float(state["p"])
        self.sign_sum = float(state["sign_sum"])
        self.score_count = int(state["score_count"])
        self.image_count = int(state["image_count"])
        self.steps = int(state["steps"])
