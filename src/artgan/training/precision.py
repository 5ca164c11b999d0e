"""Which floating-point precision a run trains in.

``auto`` uses bf16 autocast on CUDA GPUs that do bf16 natively (Ampere and later; bf16 keeps
fp32's exponent range, so no loss scaling is needed) and fp32 everywhere else. On a CPU, bf16
must be asked for (``--train.precision bf16``): it about doubles DCGAN training speed on CPUs
with AVX-512 BF16 or AMX (bench/train_throughput.py measures speed and quality), but CPU users
also train likelihood models whose reported figures should not move with the hardware.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch

NATIVE_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.cache
def cpu_has_native_bf16() -> bool:
    """True when /proc/cpuinfo lists a bf16 matrix instruction set (Linux x86)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return any(flag in flags for flag in NATIVE_BF16_CPU_FLAGS)
    return False


def native_bf16(device: torch.device) -> bool:
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return cpu_has_native_bf16()
    return False


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``precision`` (auto | fp32 | bf16), or None for plain fp32."""
    if precision == "bf16":
        return torch.bfloat16
    if precision == "auto" and device.type == "cuda" and native_bf16(device):
        return torch.bfloat16
    return None
