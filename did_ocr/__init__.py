"""did-ocr: read text from photos taken in the dark.

A dark capture is reconstructed by "Diffusion in the Dark" (DiD, a multi-scale,
patch-trained conditional diffusion model) and then read by an offline OCR
engine (RapidOCR by default, or EasyOCR)::

    from did_ocr import Reader
    reader = Reader()                      # loads DiD and the OCR engine once
    result = reader.read("night_sign.png")
    print(result.text)

This module must stay import-light: ``did-ocr --version`` imports it and must
answer without loading torch, so :class:`Reader` is imported on first use.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Reader", "ReadResult", "__version__"]

_LAZY = {"Reader": "did_ocr.reading.api", "ReadResult": "did_ocr.reading.api"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'did_ocr' has no attribute {name!r}")
