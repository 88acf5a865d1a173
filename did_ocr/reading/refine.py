"""Re-read the words of a large photo from a full-resolution enhancement of their own region.

DiD reconstructs a photo larger than ``max_side`` (default 1024 px) on a reduced
copy, because its cost grows with the pixel count, and scales the result
back. A 4000x3000 phone photo is then reconstructed at a quarter of its
resolution: print 20 pixels tall in the photo is 5 in the copy. The detector
often still finds such a word, but the recognizer, which reads the word's box
from the scaled-back reconstruction, gets no letters from it; plain ``gain``,
which works at full resolution, read more words than DiD on large photos for
that reason alone (README, "Large photos").

So, when the enhancer worked on a reduced copy, each word found that is
less than the OCR engine's ``recognizer_height`` pixels tall in that copy
(taller words already give the recognizer, which reads every word at that
height, all the pixels it uses: 64 for EasyOCR, 48 for PP-OCR) is read a second time: its region (the box widened by its
height on every side, for the context DiD's cascade and the recognizer's
contrast need) is cut from the full-resolution capture, enhanced on its own
and the word's box read there. Regions that overlap are merged and enhanced
once. The whole photo is still what the detector searched; only the letters
come from the finer reconstruction. Photos that the enhancer works on whole
are not touched, and neither is the further reduction of a noisy capture
(:mod:`did_ocr.imaging.noise`): that one reads better than full resolution,
so the enhancer's ``working_scale`` reports only the reduction for cost.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np

from did_ocr.enhancers.base import Enhancer
from did_ocr.ocr.engine import OcrEngine
from did_ocr.ocr.words import OcrWord

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive), pixels of the full-resolution capture

#: context kept around a word, as a multiple of its height on every side ...
CONTEXT = 1.0
#: ... and at least this many pixels (the cascade's windows are 32 px)
MIN_CONTEXT = 16


@dataclass
class Region:
    """A rectangle of the capture enhanced once, and the indices of the words read in it."""

    rect: Rect
    members: list[int] = field(default_factory=list)


def word_rect(word: OcrWord) -> Rect:
    """The word's box as whole pixels (the axis-aligned hull of its corners)."""
    return (math.floor(word.left), math.floor(word.top), math.ceil(word.right), math.ceil(word.bottom))


def context_rect(rect: Rect, shape: tuple[int, ...], context: float = CONTEXT, min_pad: int = MIN_CONTEXT) -> Rect:
    """``rect`` widened by ``context`` x its height (at least ``min_pad`` px) on every side, clipped to the image.

    A rectangle that lies outside the image comes back empty (x1 <= x0 or y1 <= y0).
    """
    x0, y0, x1, y1 = rect
    pad = max(min_pad, round(context * (y1 - y0)))
    return (max(0, x0 - pad), max(0, y0 - pad), min(shape[1], x1 + pad), min(shape[0], y1 + pad))


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def merge_regions(rects: list[Rect]) -> list[Region]:
    """Overlapping rectangles merged into their hull, repeatedly, until no two regions overlap."""
    regions = [Region(r, [i]) for i, r in enumerate(rects)]
    merged = True
    while merged:
        merged = False
        for i in range(len(regions)):
            for j in range(i + 1, len(regions)):
                a, b = regions[i].rect, regions[j].rect
                if _overlap(a, b):
                    hull = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    regions[i] = Region(hull, regions[i].members + regions[j].members)
                    del regions[j]
                    merged = True
                    break
            if merged:
                break
    return regions


def refine_words(words: list[OcrWord], capture: np.ndarray, enhancer: Enhancer, ocr: OcrEngine,
                 scale: float, seed: int = 0) -> tuple[list[OcrWord], dict[str, float]]:
    """Small words read again from full-resolution enhancements of their regions; (words, seconds spent).

    ``scale`` is the enhancer's working scale for ``capture``: words shorter
    than the engine's ``recognizer_height`` at that scale are re-read. A re-read word
    keeps its box (full-image corners) and takes the finer reading's text and
    confidence; where the finer reading finds nothing in the box, the first
    reading stays. Seconds are ``enhance_s`` and ``ocr_s``.
    """
    rects = [word_rect(w) for w in words]
    small = [i for i, (_, y0, _, y1) in enumerate(rects) if (y1 - y0) * scale < ocr.recognizer_height]
    out, enhance_s, ocr_s = list(words), 0.0, 0.0
    for region in merge_regions([context_rect(rects[i], capture.shape) for i in small]):
        x0, y0, x1, y1 = region.rect
        t0 = time.perf_counter()
        enhanced = enhancer.enhance(np.ascontiguousarray(capture[y0:y1, x0:x1]), seed=seed)
        t1 = time.perf_counter()
        for i in (small[k] for k in region.members):
            bx0, by0, bx1, by1 = rects[i]
            finer = ocr.recognize_box(enhanced, (bx0 - x0, bx1 - x0, by0 - y0, by1 - y0))
            if finer is not None:
                out[i] = dataclasses.replace(words[i], text=finer.text, confidence=finer.confidence)
        enhance_s += t1 - t0
        ocr_s += time.perf_counter() - t1
    return out, {"enhance_s": enhance_s, "ocr_s": ocr_s}
