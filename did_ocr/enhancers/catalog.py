"""The enhancer registry: built-in enhancers by name, built lazily (a module loads only when its enhancer is built).

Why a registry: ``read``, ``enhance`` and ``bench`` take the enhancer as a
name on the command line, and listing or checking names must not load torch
(DiD) or OpenCV (the baselines).

Options: every entry knows the options it takes (:func:`accepted_options`),
and an option an enhancer does not take is an error, so a misspelt or stale
option cannot be ignored without a word. Which of a reading's settings go to
which enhancer is decided once, by :class:`did_ocr.reading.settings.ReadSettings`,
which asks this registry.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from did_ocr.enhancers.base import DEFAULT_ENHANCER, DEFAULT_QUALITY, QUALITY_NAMES, Enhancer
from did_ocr.errors import DidOcrError

__all__ = ["DEFAULT_ENHANCER", "DEFAULT_QUALITY", "QUALITY_NAMES", "accepted_options", "available_enhancers",
           "build_enhancer", "register"]

#: what the DiD factories (did_ocr.enhancers.did) take; the ablations fix their sampling quality
DID_OPTIONS = ("device", "model", "quality", "max_side", "backend")
ABLATION_OPTIONS = tuple(k for k in DID_OPTIONS if k != "quality")


@dataclass
class _Entry:
    target: str | Callable[..., Enhancer]  # a factory, or a lazy "module:attribute" reference to one
    options: tuple[str, ...] | None  # None: the factory's keyword parameters

    def factory(self) -> Callable[..., Enhancer]:
        if not callable(self.target):
            module_name, attr = self.target.split(":")
            self.target = getattr(importlib.import_module(module_name), attr)
        return self.target

    def accepted(self) -> tuple[str, ...]:
        if self.options is not None:
            return self.options
        params = inspect.signature(self.factory()).parameters.values()
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            raise TypeError(f"{self.target}: a factory taking **kwargs must be registered with its options")
        return tuple(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


_REGISTRY: dict[str, _Entry] = {}


def register(name: str, target: str | Callable[..., Enhancer], options: Sequence[str] | None = None) -> None:
    """Register an enhancer factory under ``name``.

    ``target`` is a callable or a lazy ``"module:attribute"`` reference;
    ``options`` the keyword options it takes (default: read from its signature).
    """
    _REGISTRY[name] = _Entry(target, None if options is None else tuple(options))


def available_enhancers() -> list[str]:
    """Names of all registered enhancers, in registration order."""
    return list(_REGISTRY)


def _entry(name: str) -> _Entry:
    entry = _REGISTRY.get(name)
    if entry is None:
        raise DidOcrError(f"unknown enhancer {name!r}; choose one of: {', '.join(available_enhancers())}")
    return entry


def accepted_options(name: str) -> tuple[str, ...]:
    """The keyword options enhancer ``name`` takes (e.g. ``device``, ``model``, ``quality``, ``max_side`` for DiD)."""
    return _entry(name).accepted()


def build_enhancer(name: str, **options: Any) -> Enhancer:
    """Build the enhancer registered as ``name`` with ``options``, each of which it must take."""
    entry = _entry(name)
    accepted = entry.accepted()
    unknown = [key for key in options if key not in accepted]
    if unknown:
        takes = ", ".join(accepted) or "no options"
        raise DidOcrError(f"enhancer {name!r} has no option {unknown[0]!r}; it takes: {takes}")
    return entry.factory()(**options)


# DiD (diffusion) and its ablations come first.
register("did", "did_ocr.enhancers.did:make_did", DID_OPTIONS)
register("did-fast", "did_ocr.enhancers.did:make_did_fast", ABLATION_OPTIONS)
register("did-full", "did_ocr.enhancers.did:make_did_full", ABLATION_OPTIONS)
register("did-noilvr", "did_ocr.enhancers.did:make_did_noilvr", ABLATION_OPTIONS)
register("did-single", "did_ocr.enhancers.did:make_did_single", ABLATION_OPTIONS)
register("did-fullsize", "did_ocr.enhancers.did:make_did_fullsize", DID_OPTIONS)
register("did-nonorm", "did_ocr.enhancers.did:make_did_nonorm", DID_OPTIONS)
# Classical baselines.
register("none", "did_ocr.enhancers.classical:NoEnhancer")
register("gain", "did_ocr.enhancers.classical:GainEnhancer")
register("gamma", "did_ocr.enhancers.classical:GammaEnhancer")
register("he", "did_ocr.enhancers.classical:HistEqEnhancer")
register("clahe", "did_ocr.enhancers.classical:ClaheEnhancer")
register("nlm", "did_ocr.enhancers.classical:NlmEnhancer")
