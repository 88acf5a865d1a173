"""sRGB <-> linear RGB transfer functions (IEC 61966-2-1).

Captures are processed in linear light, where the sensor's noise model and the
exposure scaling are physically meaningful; OCR and files on disk use sRGB.
Works on NumPy arrays and on torch tensors alike.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

ArrayT = TypeVar("ArrayT")


def srgb_to_linear(x: ArrayT) -> ArrayT:
    """Decode sRGB values in [0, 1] to linear light in [0, 1]."""
    if isinstance(x, np.ndarray):
        x = np.clip(x, 0.0, 1.0)
        return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(x.dtype, copy=False)
    import torch

    x = torch.clamp(x, 0.0, 1.0)  # type: ignore[arg-type]
    return torch.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)  # type: ignore[return-value]


def linear_to_srgb(x: ArrayT) -> ArrayT:
    """Encode linear light in [0, 1] to sRGB values in [0, 1]."""
    if isinstance(x, np.ndarray):
        x = np.clip(x, 0.0, 1.0)
        return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1 / 2.4) - 0.055).astype(x.dtype, copy=False)
    import torch

    x = torch.clamp(x, 0.0, 1.0)  # type: ignore[arg-type]
    return torch.where(x <= 0.0031308, x * 12.92, 1.055 * torch.pow(x, 1 / 2.4) - 0.055)  # type: ignore[return-value]


def to_uint8(srgb: np.ndarray) -> np.ndarray:
    """Quantize sRGB floats in [0, 1] to uint8 with rounding."""
    return (np.clip(srgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def linear_to_srgb8(linear: np.ndarray) -> np.ndarray:
    """Linear light in [0, 1] -> sRGB uint8 (encode, then quantize with rounding): what an 8-bit file holds."""
    return to_uint8(linear_to_srgb(linear))
