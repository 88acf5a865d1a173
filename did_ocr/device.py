"""Choosing the torch device from ``--device auto|cpu|cuda``."""

from __future__ import annotations

import torch

from did_ocr.errors import DidOcrError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU; a clear error when CUDA is asked for but absent."""
    text = str(name)
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if text.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DidOcrError("--device cuda was requested but no CUDA device is available; use --device cpu or auto")
        return torch.device(text)
    if text == "cpu":
        return torch.device("cpu")
    raise DidOcrError(f"unknown device {text!r}; use one of {', '.join(DEVICE_CHOICES)}")
