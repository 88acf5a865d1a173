"""Combining the text of several readings of one scene (e.g. several diffusion samples).

Diffusion is stochastic: two samples of the same dark capture can disagree
on an ambiguous glyph, and a hallucinated stroke rarely appears in every
sample. :func:`combine` clusters the word boxes of K readings by overlap,
takes per cluster the text with the largest total confidence (a
confidence-weighted vote), and keeps a cluster only if a majority of samples
saw something there or the winning text is confidently read. The combined
boxes then go through the same reading-order grouping as a single reading.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from did_ocr.ocr.words import OcrLine, OcrWord, group_lines


def _rect(word: OcrWord) -> tuple[float, float, float, float]:
    return word.left, word.top, word.right, word.bottom


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def combine(readings: list[list[OcrWord]], min_iou: float = 0.3, keep_confidence: float = 0.5) -> list[OcrLine]:
    """Confidence-weighted vote over K readings (lists of word boxes) -> lines in reading order."""
    k = len(readings)
    if k == 1:
        return group_lines(readings[0])
    clusters: list[list[tuple[int, OcrWord]]] = []
    for sample, words in enumerate(readings):
        for word in words:
            best, best_iou = None, min_iou
            for cluster in clusters:
                rect = tuple(np.mean([_rect(w) for _, w in cluster], axis=0))
                overlap = _iou(_rect(word), rect)  # type: ignore[arg-type]
                if overlap >= best_iou:
                    best, best_iou = cluster, overlap
            if best is None:
                clusters.append([(sample, word)])
            else:
                best.append((sample, word))
    voted: list[OcrWord] = []
    for cluster in clusters:
        weight: dict[str, float] = defaultdict(float)
        for _, word in cluster:
            weight[word.text] += word.confidence
        text = max(weight, key=lambda t: weight[t])
        support = len({sample for sample, _ in cluster})
        confidence = weight[text] / k
        winners = [w for _, w in cluster if w.text == text]
        if support < math.ceil(k / 2) and max(w.confidence for w in winners) < keep_confidence:
            continue  # seen by a minority of samples and not confidently: likely a hallucination
        box = np.mean([w.box for w in winners], axis=0).tolist()
        voted.append(OcrWord(text=text, confidence=float(confidence), box=box))
    return group_lines(voted)
