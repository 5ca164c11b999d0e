"""Import PyPI's torchvision beside the CPU torch wheel, for the anchors' own environments
(bench/.venv-lwgan, bench/.venv-examples); imports nothing of artgan.

PyPI's torchvision 0.28 is built against CUDA torch, so its compiled ops (``_C.so``: nms,
roi_align) cannot load with the CPU torch wheel, and its import stops where it registers fake
kernels for them. Those registrations are skipped; the datasets, transforms and ``save_image``
that the anchors use are pure Python over Pillow and torch.
"""

from __future__ import annotations

import torch.library


def import_torchvision():
    register_fake = torch.library.register_fake
    torch.library.register_fake = lambda *a, **k: lambda fn: fn
    try:
        import torchvision
    finally:
        torch.library.register_fake = register_fake
    return torchvision
