"""What every OCR engine returns: words with boxes, and lines of them in reading order.

Why engine-independent: the pipeline, the large-photo refinement, the
sample consensus, the bench, the page and the API work with words and
lines, whichever engine (:mod:`did_ocr.ocr.engine`) found them. Engines
return word boxes in detection order; :func:`group_lines` groups boxes that
share a text line (they overlap vertically) and returns the lines in reading
order: top to bottom, and left to right within a line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


Box = list[list[float]]  # 4 corner points (x, y), clockwise from top-left

# A word joins a line when its vertical centre lies within the line's extent
# (widened by this fraction of the line height) ...
_LINE_CENTRE_SLACK = 0.25
# ... and their vertical overlap is at least this fraction of the smaller height.
_LINE_MIN_OVERLAP = 0.4


@dataclass(frozen=True)
class OcrWord:
    """One recognized box (a word; some engines give a run of words): its text, confidence in [0, 1], 4 corners."""

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
