"""The enhancer interface, and the names the command line needs before any enhancer is built.

An enhancer turns a dark capture into an image that OCR can read. Every
enhancer, DiD and the classical baselines alike, has the same contract so that
``read``, ``enhance`` and ``bench`` treat them interchangeably:

* input: linear RGB, float32, shape (H, W, 3), values in [0, 1]
  (what :func:`did_ocr.capture.load_capture` returns);
* output: display sRGB, float32, shape (H, W, 3), values in [0, 1]
  (what is written to PNG and handed to OCR).

Enhancers are built by name through :func:`did_ocr.enhancers.catalog.build_enhancer`.
This module imports nothing of the enhancers themselves, so that both the
implementations (which subclass :class:`Enhancer`) and the catalog (which
imports them lazily) can depend on it without a loop, and listing names or
parsing options never loads torch.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

# What `read` and `enhance` use without --enhancer: DiD with the model shipped in did_ocr/weights/.
DEFAULT_ENHANCER = "did"

# How DiD samples (did_ocr.enhancers.did.QUALITIES), from the cheapest: one denoiser evaluation per window,
# a short sampler from the previous scale's estimate at the upper scales, the published 18 Heun steps everywhere.
# The default is the one that read the most words on the benchmark (README, Results); it is also the cheapest.
QUALITY_NAMES = ("onestep", "fast", "full")
DEFAULT_QUALITY = "onestep"
# How DiD's network runs (did_ocr.enhancers.did): auto is ONNX Runtime on a CPU where the model has an up-to-date
# export beside it (the shipped one has), with no torch import; torch everywhere else (CUDA, models without export).
BACKENDS = ("auto", "onnx", "torch")
# DiD works on a copy whose longer side is at most this many pixels (its cost grows with the pixel count);
# the pipeline re-reads small words from full-resolution reconstructions of their regions (reading/refine.py).
DEFAULT_MAX_SIDE = 1024


class Enhancer(abc.ABC):
    """Turns a dark linear-RGB capture into a readable sRGB image."""

    #: registry name, e.g. "gain" or "did"
    name: str = ""
    #: whether different seeds give different outputs (only then is reading several samples useful)
    stochastic: bool = False

    @abc.abstractmethod
    def enhance(self, linear_rgb: np.ndarray, seed: int = 0) -> np.ndarray:
        """Return the enhanced image as sRGB float32 (H, W, 3) in [0, 1].

        ``seed`` only matters for stochastic enhancers (DiD): the same image and
        seed always give the same output.
        """

    def working_scale(self, shape: tuple[int, ...]) -> float:
        """The scale at which an image of ``shape`` is enhanced (1.0: full resolution).

        Below 1 the enhancer works on a reduced copy and scales the result
        back, and the finest detail is lost; the pipeline then re-reads small
        words from enhancements of their own regions at full resolution
        (:mod:`did_ocr.reading.refine`). The classical enhancers work at full
        resolution.
        """
        return 1.0

    def __call__(self, linear_rgb: np.ndarray, seed: int = 0) -> np.ndarray:
        return self.enhance(linear_rgb, seed=seed)

    def describe(self) -> dict[str, Any]:
        """Settings that identify this enhancer's output (recorded by the bench)."""
        return {"name": self.name}
