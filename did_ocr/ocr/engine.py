"""The OCR interface every engine implements: recognition of given boxes, and detection + recognition.

Why an interface: the words we read are capped by the recognizer, and the
best offline one changes (EasyOCR's CRAFT + english_g2; PP-OCR on ONNX
Runtime through RapidOCR). The pipeline, the large-photo refinement, the
sample consensus, the bench, the web page and the API only call the methods
below and get :class:`~did_ocr.ocr.words.OcrWord` boxes back, so an engine is
one module and a name in :data:`did_ocr.ocr.registry.ENGINES`, which builds
each once per process.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np

from did_ocr.ocr.words import OcrWord

#: longer side of the copy the text detector sees (the recognizer reads the full-resolution image).
#: Measured on 12-megapixel photos (docs, "Large photos"): with DiD, which reconstructs a copy
#: capped at 1024 px, 1280 reads as many words as 2560 in about 4x less detector time and half the
#: memory; an enhancer that works at full resolution (gain) loses some small text at 1280, which
#: ``--detect-side 2560`` recovers.
DEFAULT_DETECT_SIDE = 1280

Rect = tuple[int, int, int, int]  # x0, x1, y0, y1: an axis-aligned box in pixels (EasyOCR's order)


class OcrEngine(ABC):
    """Reads sRGB images (H x W x 3, float in [0, 1] or uint8); built once, called many times."""

    #: the name in :data:`ENGINES`
    name: str = ""
    #: the height, in pixels, at which the recognizer reads every word box: a word taller than this in
    #: an image gives it all the pixels it uses (the large-photo refinement re-reads shorter ones)
    recognizer_height: int = 32

    @abstractmethod
    def read_words(self, srgb: np.ndarray, detect_side: int = DEFAULT_DETECT_SIDE) -> list[OcrWord]:
        """Every word found and read, boxes in the image's pixels, in detection order.

        The detector sees a copy whose longer side is at most ``detect_side``;
        the recognizer reads the full-resolution image.
        """

    @abstractmethod
    def recognize_boxes(self, srgb: np.ndarray, boxes: list[Rect]) -> list[OcrWord | None]:
        """Read given axis-aligned boxes ``(x0, x1, y0, y1)`` (no detection); None where nothing is read."""

    def recognize_box(self, srgb: np.ndarray, box: Rect) -> OcrWord | None:
        """Read one box (see :meth:`recognize_boxes`)."""
        return self.recognize_boxes(srgb, [box])[0]

    @classmethod
    @abstractmethod
    def installed(cls) -> dict[str, Any]:
        """The installed library's version and model files with their SHA-256, read without building an engine."""

    def describe(self) -> dict[str, Any]:
        """What decides this engine's words, for a bench protocol: library version, model files and hashes."""
        return {"engine": self.name, **self.installed()}


def model_files(paths: list[Path]) -> dict[str, str]:
    """``{file name: sha256}`` of an engine's model files."""
    from did_ocr.fileio import file_sha256

    return {p.name: file_sha256(p) for p in paths}


def as_uint8(srgb: np.ndarray) -> np.ndarray:
    """An sRGB image as contiguous uint8 (float input in [0, 1])."""
    from did_ocr.capture.colorspace import to_uint8

    return np.ascontiguousarray(srgb if srgb.dtype == np.uint8 else to_uint8(srgb))


def rect_box(rect: Rect) -> list[list[float]]:
    """The 4 corners of an axis-aligned ``(x0, x1, y0, y1)`` box, clockwise from top-left."""
    x0, x1, y0, y1 = (float(v) for v in rect)
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
