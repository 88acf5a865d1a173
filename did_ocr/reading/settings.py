"""The settings of a reading, declared once: every entry point builds its pipeline from a :class:`ReadSettings`.

Why one object: ``did-ocr read``, ``serve``, ``enhance``, ``bench``, the
Python API and ``read --ray`` each used to carry their own list of options
and their own answer to "a DiD option given to a classical enhancer" (one
raised, one warned, two dropped it silently). Now the fields, their defaults
and the checks live here; the command line generates its options' defaults
from this class, and every entry point hands the object on unchanged.

The rule for enhancer options (:data:`ENHANCER_OPTIONS`): an option goes to
the enhancers that take it, and the enhancer registry
(:func:`did_ocr.enhancers.catalog.accepted_options`) says which those are. An
option that none of the chosen enhancers takes is an error, because it would
silently change nothing: ``read --enhancer gain --quality fast`` fails with
one line, ``bench --enhancers gain,did --quality fast`` gives ``fast`` to DiD.
A server's options go to the enhancers its requests pick that take them.

Nothing heavy is imported here: the command line's ``--help`` reads the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Mapping, Sequence

from did_ocr.enhancers.base import BACKENDS, DEFAULT_ENHANCER, QUALITY_NAMES
from did_ocr.enhancers.catalog import DID_OPTIONS
from did_ocr.errors import DidOcrError
from did_ocr.ocr.engine import DEFAULT_DETECT_SIDE
from did_ocr.ocr.registry import DEFAULT_OCR

#: the options that belong to some enhancers only (DiD's today); each goes to the enhancers that take it
ENHANCER_OPTIONS = tuple(k for k in DID_OPTIONS if k != "device")
#: below this the detector sees too little to find ordinary text
MIN_DETECT_SIDE = 256


@dataclass(frozen=True)
class ReadSettings:
    """How a photo is read: the enhancer and its options, the OCR engine, and how the pipeline runs them."""

    #: enhancer name (did_ocr.enhancers.available_enhancers)
    enhancer: str = DEFAULT_ENHANCER
    #: a DiD model.safetensors (None: the model shipped in the package)
    model: str | None = None
    #: DiD sampling, one of QUALITY_NAMES (None: the enhancer's own)
    quality: str | None = None
    #: DiD works on a copy whose longer side is at most this (0: never reduce; None: the enhancer's own)
    max_side: int | None = None
    #: how DiD's network runs, one of BACKENDS (None: auto, ONNX Runtime on a CPU where it can, else torch)
    backend: str | None = None
    #: OCR engine (did_ocr.ocr.ENGINES)
    ocr: str = DEFAULT_OCR
    #: longer side of the copy the text detector sees (the recognizer reads the full-resolution image)
    detect_side: int = DEFAULT_DETECT_SIDE
    #: re-read small words of photos the enhancer reduced from full-resolution enhancements of their regions
    refine: bool = True
    #: seed of the first sample (stochastic enhancers)
    seed: int = 0
    #: samples read and combined by vote (stochastic enhancers; a deterministic one runs once)
    samples: int = 1
    #: auto, cpu, cuda or cuda:N: where the enhancer and the OCR engine run
    device: str = "auto"
    #: CPU threads for the enhancer and the OCR engine (None: every core)
    threads: int | None = None
    #: input files hold linear (not sRGB) values
    linear: bool = False

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "ReadSettings":
        """The settings named in ``options`` (e.g. a command's parameters); others are ignored, None means default."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in options.items() if k in names and v is not None})

    def given_options(self) -> dict[str, Any]:
        """The enhancer options that were set (not None)."""
        return {k: getattr(self, k) for k in ENHANCER_OPTIONS if getattr(self, k) is not None}

    def options_for(self, name: str) -> dict[str, Any]:
        """What enhancer ``name`` is built with: the device and the given options it takes."""
        from did_ocr.enhancers.catalog import accepted_options

        accepted = accepted_options(name)
        given = {"device": self.device, **self.given_options()}
        return {k: v for k, v in given.items() if k in accepted}

    def check(self, enhancers: Sequence[str] | None = None, engines: Sequence[str] | None = None) -> "ReadSettings":
        """Refuse settings that cannot work, with one line, before anything is loaded; returns ``self``.

        ``enhancers`` and ``engines`` are the run's when it has several (the
        bench, a server); by default this reading's one. ``enhancers=()``
        checks no enhancer (the caller built it already).
        """
        from did_ocr.device import device_name
        from did_ocr.enhancers.catalog import accepted_options, available_enhancers
        from did_ocr.ocr.registry import check_engine

        names = [self.enhancer] if enhancers is None else list(enhancers)
        unknown = [n for n in names if n not in available_enhancers()]
        if unknown:
            raise DidOcrError(f"unknown enhancer {unknown[0]!r}; choose one of: {', '.join(available_enhancers())}")
        for engine in [self.ocr] if engines is None else engines:
            check_engine(engine)
        misplaced = [k for k in self.given_options() if names and not any(k in accepted_options(n) for n in names)]
        if misplaced:
            takers = [n for n in available_enhancers() if misplaced[0] in accepted_options(n)]
            verb = "applies" if len(misplaced) == 1 else "apply"
            raise DidOcrError(f"{', '.join(misplaced)} only {verb} to {', '.join(takers)}, not to {', '.join(names)}; "
                              f"leave {'it' if len(misplaced) == 1 else 'them'} out or choose one of those")
        if self.quality is not None and self.quality not in QUALITY_NAMES:
            raise DidOcrError(f"unknown quality {self.quality!r}; choose one of {', '.join(QUALITY_NAMES)}")
        if self.backend is not None and self.backend not in BACKENDS:
            raise DidOcrError(f"unknown DiD backend {self.backend!r}; choose one of {', '.join(BACKENDS)}")
        _at_least("detect side", self.detect_side, MIN_DETECT_SIDE, f" (default {DEFAULT_DETECT_SIDE})")
        _at_least("samples", self.samples, 1)
        _at_least("max side", self.max_side, 0)
        _at_least("threads", self.threads, 1)
        device_name(self.device)  # a GPU that is not there is refused here (torch asked only where one may be)
        return self

    def build_enhancer(self, name: str | None = None) -> Any:
        """Enhancer ``name`` (default: this reading's) built with the options it takes."""
        from did_ocr.enhancers.catalog import build_enhancer

        name = name or self.enhancer
        return build_enhancer(name, **self.options_for(name))

    def with_run(self, enhancer: str | None = None, ocr: str | None = None) -> "ReadSettings":
        """These settings for one enhancer and engine of a run that has several (the bench, a server).

        The run's enhancer options that ``enhancer`` does not take are left
        out: they were given for the run's other enhancers.
        """
        from did_ocr.enhancers.catalog import accepted_options

        enhancer = enhancer or self.enhancer
        dropped = {k: None for k in self.given_options() if k not in accepted_options(enhancer)}
        return replace(self, enhancer=enhancer, ocr=ocr or self.ocr, **dropped)


def _at_least(what: str, value: int | None, low: int, hint: str = "") -> None:
    if value is not None and value < low:
        raise DidOcrError(f"{what} {value} is too small; use at least {low}{hint}")


def limit_threads(threads: int | None) -> None:
    """Keep torch, OpenCV and ONNX Runtime (read at engine build) to ``threads`` CPU threads (None: leave them)."""
    import os

    if threads is None:
        return
    import sys

    os.environ["OMP_NUM_THREADS"] = str(threads)  # torch imported later reads it, as ONNX Runtime sessions do
    import cv2

    cv2.setNumThreads(threads)
    if "torch" in sys.modules:  # never imported for this: a read on ONNX Runtime runs without torch
        sys.modules["torch"].set_num_threads(threads)
