"""PP-OCR's text detector and recognizer, run on ONNX Runtime by our own small code.

Why not the rapidocr package, whose models these are: importing it costs
about 1.2 s (it parses its YAML configuration with OmegaConf at import time),
paid by every ``did-ocr read``, against 0.04 s for ``onnxruntime``. So this
module does what RapidOCR's pipeline did with our settings, step by step,
with the same numbers: on 420 images (benchmarks/ppocr_port_check.py) it
finds the same lines to the pixel and reads the same texts with the same
confidences; word boxes within 2.1 px of RapidOCR's (:meth:`LineReading.words`).
One deliberate difference, measured: decoding recovers the spaces between
words that greedy CTC leaves out (:data:`SPACE_RECOVERY`; off, it reads what
RapidOCR reads).

- :class:`TextDetector`: the image rounded to multiples of 32, normalized,
  the DB network's probability map, then DB post-processing (threshold,
  dilation, contours, minimum-area boxes scored on the map, unclipped by
  pyclipper) and lines ordered top to bottom, left to right.
- :class:`TextRecognizer`: line crops in batches of similar shapes, each
  resized to height 48 and right-padded, greedy CTC decoding restricted to a
  set of characters, spaces recovered; each character keeps the time step
  it was read at, so :meth:`LineReading.words` can place every word in its
  crop.
- :func:`crop_line`: a line's quadrilateral cut out straight (and turned when
  it stands upright), and the way back from the crop to the image.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

#: DB post-processing, RapidOCR's configuration: pixels above THRESH are text ...
DB_THRESH = 0.3
#: ... a region is kept when its mean probability reaches BOX_THRESH ...
DB_BOX_THRESH = 0.5
#: ... at most this many regions are looked at ...
DB_MAX_CANDIDATES = 1000
#: ... and each is grown by area * UNCLIP_RATIO / perimeter (DB's training shrinks text regions; this undoes it)
DB_UNCLIP_RATIO = 1.6
#: regions (and grown boxes, + 2) whose shorter side is under this, in probability-map pixels, are dropped
DB_MIN_SIZE = 3
#: lines whose top-left corners are less than this apart vertically are one row, ordered left to right
SAME_ROW_PIXELS = 10
#: the recognizer reads lines this tall, at least this wide (rec_img_shape 3 x 48 x 320) ...
REC_HEIGHT = 48
REC_MIN_WIDTH = 320
#: ... this many at a time, in batches of similar width / height
REC_BATCH = 6
#: a crop at least this much taller than wide is a vertical line, turned before reading
UPRIGHT_RATIO = 1.5
#: a time step decoded as blank reads as a space when the space's probability there reaches this (None: greedy CTC
#: only, RapidOCR's decoding). PP-OCR often puts no space between neighbouring words ("BANGKOKINN") but gives one
#: a small probability between them; 0.05 chosen on the SVT development photos (docs, "Which OCR engine").
#: Detected lines only: in a word crop read whole it only split words (IIIT 5K crops)
SPACE_RECOVERY: float | None = 0.05
#: letters of a word read more than this many time steps apart do not tell the letter pitch (a gap, not a letter)
MAX_LETTER_STEPS = 5


def _run(session: Any, batch: np.ndarray) -> np.ndarray:
    return session.run(None, {session.get_inputs()[0].name: batch})[0]


# ---- detection --------------------------------------------------------------------------------------
class TextDetector:
    """Text-line quadrilaterals of a BGR uint8 image, with PP-OCR's DB detector (thresholds settable, for sweeps)."""

    def __init__(self, session: Any, thresh: float = DB_THRESH, box_thresh: float = DB_BOX_THRESH,
                 unclip_ratio: float = DB_UNCLIP_RATIO) -> None:
        self.session = session
        self.thresh, self.box_thresh, self.unclip_ratio = thresh, box_thresh, unclip_ratio

    def __call__(self, bgr: np.ndarray) -> np.ndarray:
        """(N, 4, 2) float32 corners (clockwise from top-left) in ``bgr``'s pixels, in reading order."""
        import cv2

        h, w = bgr.shape[:2]
        net_h, net_w = _multiple_of_32(h), _multiple_of_32(w)
        if net_h == 0 or net_w == 0:
            return np.zeros((0, 4, 2), np.float32)
        scaled = cv2.resize(bgr, (net_w, net_h)).astype(np.float32) * (1 / 255.0)
        batch = ((scaled - 0.5) / 0.5).transpose(2, 0, 1)[None]
        prob = _run(self.session, batch)[0, 0]
        quads = db_quads(prob, h, w, self.thresh, self.box_thresh, self.unclip_ratio)
        return reading_order(quads) if len(quads) else np.zeros((0, 4, 2), np.float32)


def _multiple_of_32(side: int) -> int:
    """The network wants sides divisible by 32 (Python's round: halves go to the even multiple, as RapidOCR)."""
    return int(round(side / 32) * 32)


def db_quads(prob: np.ndarray, height: int, width: int, thresh: float = DB_THRESH,
             box_thresh: float = DB_BOX_THRESH, unclip_ratio: float = DB_UNCLIP_RATIO) -> np.ndarray:
    """DB post-processing of a probability map: text regions as quadrilaterals in a ``height`` x ``width`` image."""
    import cv2

    mask = cv2.dilate((prob > thresh).astype(np.uint8), np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(mask * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    map_h, map_w = prob.shape
    quads = []
    for contour in contours[:DB_MAX_CANDIDATES]:
        corners, short = min_area_box(contour)
        if short < DB_MIN_SIZE or region_score(prob, corners) < box_thresh:
            continue
        corners, short = min_area_box(unclip(corners, unclip_ratio))
        if short < DB_MIN_SIZE + 2:
            continue
        corners[:, 0] = np.clip(np.round(corners[:, 0] / map_w * width), 0, width)
        corners[:, 1] = np.clip(np.round(corners[:, 1] / map_h * height), 0, height)
        quad = np.clip(clockwise(corners.astype(np.int32)), 0, np.array([width - 1, height - 1], np.float32))
        if int(np.linalg.norm(quad[0] - quad[1])) > 3 and int(np.linalg.norm(quad[0] - quad[3])) > 3:
            quads.append(quad)
    return np.array(quads, np.float32).reshape(-1, 4, 2)


def min_area_box(points: np.ndarray) -> tuple[np.ndarray, float]:
    """The minimum-area rectangle around ``points``: float32 corners (top-left, top-right, bottom-right,
    bottom-left) and its shorter side."""
    import cv2

    rect = cv2.minAreaRect(points)
    corners = cv2.boxPoints(rect)
    corners = corners[np.argsort(corners[:, 0], kind="stable")]  # two left corners, then two right ones
    left = corners[:2] if corners[1, 1] > corners[0, 1] else corners[1::-1]  # top first; a tie puts the 2nd on top
    right = corners[2:] if corners[3, 1] > corners[2, 1] else corners[:1:-1]
    return np.array([left[0], right[0], right[1], left[1]]), min(rect[1])


def region_score(prob: np.ndarray, corners: np.ndarray) -> float:
    """Mean probability inside a quadrilateral ("fast" score: the box, not the contour)."""
    import cv2

    h, w = prob.shape
    x0, x1 = (int(np.clip(v, 0, w - 1)) for v in (np.floor(corners[:, 0].min()), np.ceil(corners[:, 0].max())))
    y0, y1 = (int(np.clip(v, 0, h - 1)) for v in (np.floor(corners[:, 1].min()), np.ceil(corners[:, 1].max())))
    inside = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    shifted = corners - np.array([x0, y0], np.float32)
    cv2.fillPoly(inside, shifted.reshape(1, -1, 2).astype(np.int32), 1)
    return cv2.mean(prob[y0:y1 + 1, x0:x1 + 1], inside)[0]


def unclip(corners: np.ndarray, ratio: float) -> np.ndarray:
    """A quadrilateral grown by ``area * ratio / perimeter`` with round joins (pyclipper), as integer points."""
    import pyclipper

    ring = np.vstack([corners, corners[:1]]).astype(np.float64)  # closed
    x, y = ring[:, 0], ring[:, 1]
    area = abs(np.sum((x[1:-1] - x[0]) * (y[:-2] - y[2:])) / 2)  # shoelace, as GEOS sums it
    perimeter = np.sum(np.sqrt(np.diff(x) ** 2 + np.diff(y) ** 2))
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(corners, pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return np.array(offset.Execute(area * ratio / perimeter)).reshape(-1, 1, 2)


def clockwise(quad: np.ndarray) -> np.ndarray:
    """Four corners ordered top-left, top-right, bottom-right, bottom-left (the two leftmost are the left side)."""
    by_x = quad[np.argsort(quad[:, 0])]
    left, right = by_x[:2][np.argsort(by_x[:2, 1])], by_x[2:][np.argsort(by_x[2:, 1])]
    return np.array([left[0], right[0], right[1], left[1]], np.float32)


def reading_order(quads: np.ndarray) -> np.ndarray:
    """Lines top to bottom; lines whose tops are within :data:`SAME_ROW_PIXELS` of the previous form a row,
    read left to right."""
    quads = quads[np.argsort(quads[:, 0, 1], kind="stable")]
    rows = np.concatenate([[0], np.cumsum(np.diff(quads[:, 0, 1]) >= SAME_ROW_PIXELS)])
    return quads[np.lexsort((quads[:, 0, 0], rows))]


# ---- line crops -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineCrop:
    """A line cut out of an image straight: its pixels as the recognizer reads them, and where it came from."""

    pixels: np.ndarray
    #: the line's quadrilateral in the image (clockwise from top-left)
    quad: np.ndarray
    #: the cut-out was turned 90 degrees counter-clockwise (an upright line)
    turned: bool = False

    def to_image(self, x0: float, x1: float) -> list[list[float]]:
        """The axis-aligned box, in the image, of the crop's columns ``x0 .. x1`` (full crop height)."""
        import cv2

        h, w = self.pixels.shape[:2]
        points = np.array([[x0, 0], [x1, 0], [x1, h], [x0, h]], np.float64)
        if self.turned:  # back to the cut-out before turning: column x of the turned crop was row x
            h, w = w, h
            points = np.stack([w - points[:, 1], points[:, 0]], axis=1)
        straight = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        back = cv2.getPerspectiveTransform(straight, self.quad.astype(np.float32))
        (left, top), (right, bottom) = _hull(cv2.perspectiveTransform(points[None], back)[0])
        return [[left, top], [right, top], [right, bottom], [left, bottom]]


def _hull(points: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
    return (float(left), float(top)), (float(right), float(bottom))


def crop_line(bgr: np.ndarray, quad: np.ndarray) -> LineCrop:
    """A quadrilateral cut out to a rectangle (perspective, bicubic); turned when it stands upright."""
    import cv2

    quad = np.asarray(quad, np.float32)
    width = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    height = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    straight = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    pixels = cv2.warpPerspective(bgr, cv2.getPerspectiveTransform(quad, straight), (width, height),
                                 borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if pixels.shape[0] / pixels.shape[1] >= UPRIGHT_RATIO:
        return LineCrop(np.rot90(pixels), quad, turned=True)
    return LineCrop(pixels, quad)


# ---- recognition ------------------------------------------------------------------------------------
class WordSpan(NamedTuple):
    """A word of a read line and the columns of the crop it covers."""

    text: str
    #: the mean probability of its own letters (to 5 decimals, as the line's)
    confidence: float
    x0: float
    x1: float


@dataclass(frozen=True)
class LineReading:
    """What the recognizer read in one crop, and at which time step it read each character."""

    #: as decoded (spaces included)
    text: str
    #: RapidOCR's line score: the mean of the characters' probabilities (each, and the mean, to 5 decimals)
    confidence: float
    #: each character's probability, to 5 decimals
    probs: tuple[float, ...] = ()
    #: each character's time step
    steps: tuple[int, ...] = ()
    #: width of one time step in the crop's pixels
    step_width: float = 0.0

    def words(self, crop_width: int) -> list[WordSpan]:
        """The words between spaces, with their extents in the crop's pixels.

        A character is centred on its time step and as wide as the line's
        letter pitch (the mean step between neighbouring letters of a word;
        without one, the crop's width over the letters); a word spans its
        first to its last character, and two words that overlap meet half-way.
        (RapidOCR's CalRecBoxes placed words the same way, to a pixel or two;
        it gave a word the probability of the line's k-th character, k the
        word's place, where a word's own letters are used here.)
        """
        runs = _runs(self.text)
        pitch = _letter_pitch([[self.steps[i] for i in run] for run in runs])
        pitch = pitch * self.step_width if pitch else crop_width / max(1, len(self.text.strip()))
        spans: list[WordSpan] = []
        for run in runs:
            x0 = max(0.0, (self.steps[run[0]] + 0.5) * self.step_width - pitch / 2)
            x1 = min(float(crop_width), (self.steps[run[-1]] + 0.5) * self.step_width + pitch / 2)
            if spans and spans[-1].x1 > x0:  # overlapping neighbours meet half-way
                x0 = (spans[-1].x1 + x0) / 2
                spans[-1] = spans[-1]._replace(x1=x0)
            confidence = float(np.round(np.mean([self.probs[i] for i in run]), 5))
            spans.append(WordSpan("".join(self.text[i] for i in run), confidence, x0, x1))
        return spans


def _runs(text: str) -> list[list[int]]:
    """The character indices of each word (runs of characters between white space)."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, ch in enumerate(text):
        if not ch.isspace():
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    return runs + [current] if current else runs


def _letter_pitch(steps: list[list[int]]) -> float:
    """Mean time steps between neighbouring letters of the words (gaps over :data:`MAX_LETTER_STEPS` left out);
    0 when no word has two letters close enough."""
    gaps = [b - a for word in steps for a, b in itertools.pairwise(word) if b - a <= MAX_LETTER_STEPS]
    return float(np.mean(gaps)) if gaps else 0.0


class TextRecognizer:
    """PP-OCR's CTC recognizer reading BGR line crops; characters outside ``keep`` are never read."""

    def __init__(self, session: Any, keep: set[str] | None = None,
                 space_recovery: float | None = SPACE_RECOVERY) -> None:
        self.session = session
        self.space_recovery = space_recovery
        # the model's own list, with CTC's blank first and the space last (PaddleOCR's CTCLabelDecode)
        listed = session.get_modelmeta().custom_metadata_map["character"].splitlines()
        self.characters = ["blank", *listed, " "]
        self.mask = None if keep is None else np.array(
            [i == 0 or ch == " " or ch in keep for i, ch in enumerate(self.characters)])

    def __call__(self, crops: list[np.ndarray], recover_spaces: bool = True) -> list[LineReading]:
        """One reading per crop, in order. Crops are read in batches of similar width / height: each
        batch is as wide as its widest crop, and a crop's reading depends a little on its batch.
        ``recover_spaces=False`` for crops known to hold one word (see :meth:`_decode`)."""
        ratios = np.array([c.shape[1] / float(c.shape[0]) for c in crops])
        order = np.argsort(ratios)  # RapidOCR's order (not stable): it decides the batches
        out: list[LineReading] = [LineReading("", 0.0)] * len(crops)
        for start in range(0, len(crops), REC_BATCH):
            members = order[start:start + REC_BATCH]
            width = int(REC_HEIGHT * max(REC_MIN_WIDTH / REC_HEIGHT, *ratios[members]))
            inputs = [_rec_input(crops[i], width) for i in members]
            probs = _run(self.session, np.stack([pixels for pixels, _ in inputs]))
            if self.mask is not None:
                probs = np.where(self.mask, probs, 0.0)
            for i, (_, used), line in zip(members, inputs, probs):
                step_width = width / len(line) * crops[i].shape[1] / used  # padded width per step, in crop pixels
                out[i] = self._decode(line, step_width, recover_spaces)
        return out

    def _decode(self, probs: np.ndarray, step_width: float, recover_spaces: bool = True) -> LineReading:
        """Greedy CTC (the best class per time step, repeats merged, blanks dropped), with spaces recovered:
        a blank step where the space's probability reaches :attr:`space_recovery` reads as a space.
        In a crop of one word that only splits it (``recover_spaces=False``: greedy decoding).

        The line's confidence stays RapidOCR's: the mean probability of the greedy path's characters, so
        recovering a space never drops or keeps a line that greedy decoding would not.
        """
        best = probs.argmax(axis=1)
        greedy = _emitted(best)
        greedy_probs = [round(p, 5) for p in probs[greedy, best[greedy]].tolist()]
        confidence = float(np.round(np.mean(greedy_probs), 5)) if greedy_probs else 0.0
        if recover_spaces and self.space_recovery is not None:
            space = len(self.characters) - 1
            best = np.where((best == 0) & (probs[:, space] >= self.space_recovery), space, best)
        steps = _emitted(best)
        char_probs = tuple(round(p, 5) for p in probs[steps, best[steps]].tolist())
        text = "".join(self.characters[k] for k in best[steps])
        return LineReading(text, confidence, char_probs, tuple(steps.tolist()), step_width)


def _emitted(best: np.ndarray) -> np.ndarray:
    """The time steps where greedy CTC emits a character: not blank (class 0), not a repeat of the step before."""
    kept = best != 0
    kept[1:] &= best[1:] != best[:-1]
    return np.flatnonzero(kept)


def _rec_input(bgr: np.ndarray, width: int) -> tuple[np.ndarray, int]:
    """A crop at height :data:`REC_HEIGHT` keeping its aspect (at most ``width``), normalized to [-1, 1],
    zero-padded on the right to ``width``; and the width its pixels fill."""
    import cv2

    used = min(width, math.ceil(REC_HEIGHT * (bgr.shape[1] / float(bgr.shape[0]))))
    resized = cv2.resize(bgr, (used, REC_HEIGHT)).astype(np.float32).transpose(2, 0, 1)
    padded = np.zeros((3, REC_HEIGHT, width), np.float32)
    padded[:, :, :used] = (resized / 255 - 0.5) / 0.5
    return padded, used
