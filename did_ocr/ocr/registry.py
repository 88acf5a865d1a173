"""The OCR engines by name, the default one, and one built engine per process and device.

Why a registry apart from the engines: ``--help`` and argument checks list
and check names without importing any engine; an engine's module (and its
library: EasyOCR imports torch and torchvision, RapidOCR ONNX Runtime) is
imported only when it is built, so ``did-ocr read`` never imports an engine
it does not use. Building one costs from a fraction of a second (RapidOCR)
to seconds (EasyOCR), so :func:`get_ocr` keeps one per engine and device.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from did_ocr.errors import DidOcrError
from did_ocr.ocr.engine import OcrEngine

#: engine name -> "module:class" (imported when first built)
ENGINES = {"rapidocr": "did_ocr.ocr.rapid:RapidOcr", "easyocr": "did_ocr.ocr.easy:EasyOcr"}
#: the engine every entry point uses unless told otherwise: the one that reads the most words on the
#: real-appearance validation sets (docs/ocr-engines.md)
DEFAULT_OCR = "rapidocr"


def check_engine(name: str) -> str:
    """``name`` if it is a known engine, else one clear error naming the choices."""
    if name not in ENGINES:
        raise DidOcrError(f"unknown OCR engine {name!r}; choose one of {', '.join(ENGINES)}")
    return name


def engine_list(spec: str, what: str = "OCR engines") -> list[str]:
    """The engines of a comma-separated ``spec`` (``rapidocr,easyocr``), each known and given once; one clear
    error naming ``what`` otherwise."""
    names = [name.strip() for name in spec.split(",") if name.strip()]
    if not names or set(names) - set(ENGINES) or len(set(names)) != len(names):
        raise DidOcrError(f"{what} {spec!r}: give one or more of {', '.join(ENGINES)}, comma-separated, each once")
    return names


def _engine_class(name: str) -> type[OcrEngine]:
    module_name, attr = ENGINES[check_engine(name)].split(":")
    return getattr(importlib.import_module(module_name), attr)


@functools.lru_cache(maxsize=4)
def _engine_for(name: str, device: str) -> OcrEngine:
    return _engine_class(name)(device)


def describe_engine(name: str) -> dict[str, Any]:
    """What :meth:`OcrEngine.describe` says of the process's engine ``name``, without building (loading) it."""
    return {"engine": name, **_engine_class(name).installed()}


def get_ocr(engine: str = DEFAULT_OCR, device: str = "auto") -> OcrEngine:
    """The process-wide engine ``engine`` for a device (built on first use; ``auto`` and ``cpu`` share one on CPU)."""
    from did_ocr.device import device_name

    return _engine_for(check_engine(engine), device_name(device))
