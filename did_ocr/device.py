"""Choosing the torch device from ``--device auto|cpu|cuda``.

One place decides, so that the enhancer and the OCR reader of a command run
on the same device and a request that cannot be met fails with one clear line
instead of a CUDA traceback deep inside a model. The choice list is defined
here once for every command; torch is imported only when a device is resolved,
so the command line can offer the choices without loading it, and where
the machine surely has no GPU (:func:`no_cuda_here`), ``auto`` is decided
without it (:func:`device_name`): a command that runs no torch model (an
ONNX Runtime OCR engine after a classical enhancer) never pays the seconds
of importing it.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from did_ocr.errors import DidOcrError

if TYPE_CHECKING:
    import torch

#: what --device accepts on every command (``cuda:N`` is accepted too where a device is resolved)
DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` or ``cuda:N`` only if that GPU exists."""
    import torch

    text = str(name).strip().lower()
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if text == "cpu":
        return torch.device("cpu")
    if text == "cuda" or text.startswith("cuda:"):
        return _cuda_device(text)
    raise DidOcrError(f"unknown device {str(name)!r}; use one of {', '.join(DEVICE_CHOICES)}")


def no_cuda_here() -> bool:
    """Whether this machine surely has no CUDA GPU, told without importing torch: macOS, or Linux without
    NVIDIA's driver (no ``/proc/driver/nvidia``, ``/dev/nvidiactl`` or WSL's ``/dev/dxg``), where
    ``torch.cuda.is_available()`` is False. Elsewhere torch is asked."""
    if sys.platform == "darwin":
        return True
    driver = ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/dxg")
    return sys.platform.startswith("linux") and not any(os.path.exists(path) for path in driver)


def device_name(name: str | torch.device = "auto") -> str:
    """:func:`resolve_device` as a string ("cpu", "cuda", "cuda:N"); torch is imported only where a GPU may be."""
    text = str(name).strip().lower()
    if text == "cpu" or (text == "auto" and no_cuda_here()):
        return "cpu"
    return str(resolve_device(text))


def _cuda_device(text: str) -> torch.device:
    import torch

    if not torch.cuda.is_available():
        raise DidOcrError(f"--device {text} was requested but no CUDA device is available; use --device cpu or auto")
    try:
        device = torch.device(text)
    except RuntimeError:
        raise DidOcrError(f"invalid CUDA device {text!r}; use cuda or cuda:N") from None
    count = torch.cuda.device_count()
    if device.index is not None and device.index >= count:
        raise DidOcrError(f"--device {text}: there {'is' if count == 1 else 'are'} only {count} CUDA device(s) "
                          f"(cuda:0..cuda:{count - 1})")
    return device
