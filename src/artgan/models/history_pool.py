"""A history of generated images for the discriminator (Shrivastava et al. 2017, "Learning from
Simulated and Unsupervised Images through Adversarial Training"; used by CycleGAN).

The discriminator is updated on fakes drawn from a buffer of the last ``size`` generated images
rather than only the newest batch, which damps oscillation. As in the CycleGAN reference code:
while the buffer is filling, each new image is stored and returned; once full, each new image is,
with probability 1/2, returned as is, or stored in place of a random old one, which is returned
instead. Draws use torch's global generator, so a run's RNG state (restored on resume) fixes them;
the buffer itself is part of the training state (:meth:`state_dict`).
"""

from __future__ import annotations

import torch


class HistoryPool:
    def __init__(self, size: int = 50):
        self.size = size
        self.images: torch.Tensor | None = None  # (n, C, H, W), n <= size, detached
        self.count = 0

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """Images for the discriminator, one per input image (B, C, H, W)."""
        images = images.detach()
        if self.size == 0:
            return images
        out = []
        for image in images:
            if self.count < self.size:
                self._store(self.count, image)
                self.count += 1
                out.append(image)
            elif torch.rand(1).item() < 0.5:
                k = int(torch.randint(0, self.size, (1,)).item())
                assert self.images is not None
                old = self.images[k].clone()
                self.images[k] = image
                out.append(old)
            else:
                out.append(image)
        return torch.stack(out)

    def _store(self, k: int, image: torch.Tensor) -> None:
        if self.images is None or self.images.shape[1:] != image.shape:
            self.images = image.new_zeros((self.size, *image.shape))
        self.images[k] = image

    def state_dict(self) -> dict:
        """Tensors and plain values only (for ``torch.load(weights_only=True)``)."""
        held = self.images[: self.count].cpu() if self.images is not None else torch.empty(0)
        return {"size": self.size, "count": self.count, "images": held}

    def load_state_dict(self, state: dict, device: torch.device | str = "cpu") -> None:
        self.count = int(state["count"])
        images = state["images"]
        if self.count == 0:
            self.images = None
            return
        self.images = images.new_zeros((self.size, *images.shape[1:])).to(device)
        self.images[: self.count] = images.to(device)
