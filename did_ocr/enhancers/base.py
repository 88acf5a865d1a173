"""The enhancer interface and its registry.

An enhancer turns a dark capture into an image that OCR can read. Every
enhancer, DiD and the classical baselines alike, has the same contract so that
``read``, ``enhance`` and ``bench`` treat them interchangeably:

* input: linear RGB, float32, shape (H, W, 3), values in [0, 1]
  (what :func:`did_ocr.capture.load_capture` returns);
* output: display sRGB, float32, shape (H, W, 3), values in [0, 1]
  (what is written to PNG and handed to OCR).

Enhancers are built by name through :func:`build_enhancer`; factories are
registered with :func:`register` and are only imported when asked for, so that
listing names never loads torch.
"""

from __future__ import annotations

import abc
import importlib
from typing import Any, Callable

import numpy as np

from did_ocr.errors import DidOcrError


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

    def __call__(self, linear_rgb: np.ndarray, seed: int = 0) -> np.ndarray:
        return self.enhance(linear_rgb, seed=seed)

    def describe(self) -> dict[str, Any]:
        """Settings that identify this enhancer's output (recorded by the bench)."""
        return {"name": self.name}


# name -> "module:factory"; the factory is called with keyword options.
_REGISTRY: dict[str, str] = {}
_FACTORIES: dict[str, Callable[..., Enhancer]] = {}


def register(name: str, target: str | Callable[..., Enhancer]) -> None:
    """Register an enhancer factory under ``name``.

    ``target`` is either a callable or a lazy ``"module:attribute"`` reference.
    """
    if callable(target):
        _FACTORIES[name] = target
    else:
        _REGISTRY[name] = target


def available_enhancers() -> list[str]:
    """Names of all registered enhancers, in registration order."""
    _ensure_builtin()
    return list(dict.fromkeys([*_REGISTRY, *_FACTORIES]))


def build_enhancer(name: str, **options: Any) -> Enhancer:
    """Build the enhancer registered as ``name``.

    Options a factory does not accept are ignored, so callers can pass common
    settings (``device``, ``quality``...) to any enhancer.
    """
    _ensure_builtin()
    if name not in _FACTORIES:
        if name not in _REGISTRY:
            known = ", ".join(available_enhancers())
            raise DidOcrError(f"unknown enhancer {name!r}; choose one of: {known}")
        module_name, attr = _REGISTRY[name].split(":")
        _FACTORIES[name] = getattr(importlib.import_module(module_name), attr)
    factory = _FACTORIES[name]
    import inspect

    params = inspect.signature(factory).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        options = {k: v for k, v in options.items() if k in params}
    return factory(**options)


_BUILTINS_LOADED = False


def _ensure_builtin() -> None:
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        importlib.import_module("did_ocr.enhancers.catalog")
