"""Choosing the torch device from ``--device auto|cpu|cuda``.

One place decides, so that the enhancer and the OCR reader of a command run
on the same device and a request that cannot be met fails with one clear line
instead of a CUDA traceback deep inside a model. The choice list is defined
here once for every command; torch is imported only when a device is resolved,
so the command line can offer the choices without loading it.
"""

from __future__ import annotations

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
