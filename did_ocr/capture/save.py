"""Writing images: sRGB PNGs for people and OCR, 16-bit linear PNGs for RAW-like data.

All writes are atomic (see :mod:`did_ocr.fileio`).
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from did_ocr.capture.colorspace import to_uint8
from did_ocr.fileio import atomic_path


def _write(path: str | os.PathLike[str], rgb: np.ndarray) -> None:
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    with atomic_path(path) as tmp:
        ok, buf = cv2.imencode(".png", bgr)
        if not ok:
            raise OSError(f"could not encode PNG for {path}")
        tmp.write_bytes(buf.tobytes())


def save_srgb_png(path: str | os.PathLike[str], srgb: np.ndarray) -> None:
    """Save sRGB floats in [0, 1] (H, W, 3) or uint8 as an 8-bit PNG."""
    rgb = srgb if srgb.dtype == np.uint8 else to_uint8(srgb)
    _write(path, rgb)


def save_linear_png16(path: str | os.PathLike[str], linear: np.ndarray) -> None:
    """Save linear floats in [0, 1] (H, W, 3) as a 16-bit PNG without any tone curve (RAW-like)."""
    rgb16 = (np.clip(linear, 0.0, 1.0) * 65535.0 + 0.5).astype(np.uint16)
    _write(path, rgb16)
