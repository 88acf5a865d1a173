"""The one path from a capture to its words: load, enhance, read (refining large photos), combine the samples.

Why one module: ``did-ocr read``, the bench, the Python API and the web page
must give the same words for the same photo and settings. They all build a
:class:`Pipeline` and call it; none of them strings the steps together
itself. It sits above :mod:`did_ocr.enhancers` (which only make images) and
:mod:`did_ocr.ocr` (which only reads text): the OCR package knows nothing of
enhancers, and the enhancers nothing of OCR.

What a pipeline is built from, and every default, is one
:class:`did_ocr.reading.settings.ReadSettings`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from did_ocr.enhancers.base import Enhancer
from did_ocr.ocr.consensus import combine
from did_ocr.ocr.engine import OcrEngine
from did_ocr.ocr.words import OcrLine, OcrWord, join_lines
from did_ocr.reading.refine import refine_words
from did_ocr.reading.settings import ReadSettings, limit_threads

#: the settings of every caller that gives none
DEFAULTS = ReadSettings()


@dataclass
class Reading:
    """What a pipeline found in one capture."""

    lines: list[OcrLine]
    #: the enhanced image of every sample read (sRGB float32, H x W x 3); one for deterministic enhancers
    images: list[np.ndarray]
    #: seconds per step: ``enhance_s``, ``ocr_s``; ``load_s`` and ``total_s`` when the pipeline loaded the file
    timings: dict[str, float] = field(default_factory=dict)
    #: the dark capture the enhancer saw (linear RGB float32)
    capture: np.ndarray | None = field(default=None, repr=False)
    #: the OCR engine that read it
    ocr: str = ""

    @property
    def text(self) -> str:
        """The reading-order text: lines joined by newlines."""
        return join_lines(self.lines)

    @property
    def enhanced(self) -> np.ndarray:
        """The (first sample's) enhanced image."""
        return self.images[0]

    @property
    def samples(self) -> int:
        return len(self.images)

    @property
    def words(self) -> list[OcrWord]:
        """Every recognized box in reading order (line by line, left to right)."""
        return [word for line in self.lines for word in line.words]

    def record(self, source: str, enhancer: str) -> dict[str, Any]:
        """The JSON form shared by ``read --json`` and ``POST /read``."""
        out: dict[str, Any] = {"file": source, "enhancer": enhancer, "ocr": self.ocr, "lines": [ln.to_dict() for ln in self.lines],
                               "text": self.text, "timings": {k: round(v, 3) for k, v in self.timings.items()}}
        if self.samples > 1:
            out["samples"] = self.samples
        return out


class Pipeline:
    """An enhancer and an OCR engine, built once, applied to any number of captures."""

    def __init__(self, enhancer: Enhancer, ocr: OcrEngine, detect_side: int = DEFAULTS.detect_side,
                 refine: bool = DEFAULTS.refine) -> None:
        self.enhancer = enhancer
        self.ocr = ocr
        self.detect_side = detect_side
        #: re-read words from full-resolution enhancements of their regions when the enhancer
        #: works on a reduced copy (large photos with DiD; see did_ocr.reading.refine)
        self.refine = refine

    @classmethod
    def build(cls, settings: ReadSettings = DEFAULTS, enhancer: Enhancer | None = None) -> "Pipeline":
        """The pipeline of ``settings``: its enhancer (or a built ``enhancer``) and the process's OCR engine.

        The settings are checked first, so that a misspelt engine or a
        misplaced option costs nothing; ``settings.threads`` applies to the process.
        """
        from did_ocr.ocr.registry import get_ocr

        settings.check(enhancers=() if enhancer is not None else None)
        limit_threads(settings.threads)
        built = enhancer or settings.build_enhancer()
        return cls(built, get_ocr(settings.ocr, settings.device), settings.detect_side, settings.refine)

    @property
    def name(self) -> str:
        return self.enhancer.name

    def read(self, capture: np.ndarray, seed: int = 0, samples: int = 1) -> Reading:
        """Enhance a linear-RGB capture ``samples`` times (seeds seed, seed+1...) and read it.

        The readings of several samples are combined by a confidence-weighted
        vote per text box (:func:`did_ocr.ocr.consensus.combine`); a
        deterministic enhancer runs once whatever ``samples`` says.
        """
        images, enhance_s = self.enhance(capture, seed, samples)
        return self.read_images(capture, images, seed, enhance_s)

    def enhance(self, capture: np.ndarray, seed: int = 0, samples: int = 1) -> tuple[list[np.ndarray], float]:
        """The enhancer's ``samples`` outputs for a capture (seeds seed, seed+1...; one if deterministic) and the seconds spent."""
        t0 = time.perf_counter()
        images = [self.enhancer.enhance(capture, seed=seed + i)
                  for i in range(samples if self.enhancer.stochastic else 1)]
        return images, time.perf_counter() - t0

    def read_images(self, capture: np.ndarray, images: list[np.ndarray], seed: int = 0,
                    enhance_s: float = 0.0) -> Reading:
        """Read the enhancer's outputs ``images`` (sample i made with seed + i) for ``capture``, and combine them.

        Why apart from :meth:`read`: the bench enhances once and reads the
        same images with every OCR engine it compares.
        """
        timings = {"enhance_s": enhance_s, "ocr_s": 0.0}
        readings = [self.read_sample(capture, image, seed + i, timings) for i, image in enumerate(images)]
        return Reading(combine(readings), list(images), timings, capture, self.ocr.name)

    def read_sample(self, capture: np.ndarray, image: np.ndarray, seed: int = 0,
                    timings: dict[str, float] | None = None) -> list[OcrWord]:
        """The words of ``image``, the enhancer's sample ``seed`` for ``capture``.

        Where the enhancer worked on a reduced copy (and ``refine`` is on), this
        runs the enhancer again, once per merged word region at full
        resolution (:func:`did_ocr.reading.refine.refine_words`), so it may
        cost more than the first enhancement. Seconds are added to ``timings``
        (``enhance_s`` for those enhancements, ``ocr_s`` for reading) when given.
        """
        timings = {"enhance_s": 0.0, "ocr_s": 0.0} if timings is None else timings
        t0 = time.perf_counter()
        words = self.ocr.read_words(image, self.detect_side)
        timings["ocr_s"] += time.perf_counter() - t0
        scale = self.enhancer.working_scale(capture.shape)
        if self.refine and words and scale < 1.0:
            words, spent = refine_words(words, capture, self.enhancer, self.ocr, scale, seed)
            for key, seconds in spent.items():
                timings[key] += seconds
        return words

    def read_file(self, path: str | os.PathLike[str], linear: bool = False, seed: int = 0, samples: int = 1,
                  data: bytes | None = None) -> Reading:
        """Load a file (or its ``data``, e.g. an upload, named ``path`` in errors) and :meth:`read` it."""
        from did_ocr.capture.load import load_capture, load_capture_bytes

        t0 = time.perf_counter()
        capture = load_capture(path, linear=linear) if data is None else load_capture_bytes(data, str(path), linear=linear)
        load_s = time.perf_counter() - t0
        reading = self.read(capture, seed=seed, samples=samples)
        reading.timings = {"load_s": load_s, **reading.timings, "total_s": time.perf_counter() - t0}
        return reading
