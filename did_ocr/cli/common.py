"""What ``read``, ``enhance`` and ``bench`` share: options, enhancer building, per-file error handling.

One bad file among many must not stop the others: :func:`for_each_input`
runs a function per input, turns a :class:`DidOcrError` (or any unexpected
failure) into one ``error: FILE: reason`` line on stderr, and records that
the command must exit non-zero at the end.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, TypeVar

import click

from did_ocr.errors import DidOcrError

T = TypeVar("T")
DEFAULT_ENHANCER = "did"


def enhancer_options(func: Callable) -> Callable:
    """--enhancer, --device, --seed, --linear, --model, --quality, --max-side."""
    options = [
        click.option("--enhancer", "-e", default=DEFAULT_ENHANCER, show_default=True,
                     help="Enhancer: did (diffusion), did-fast, did-full, gain, gamma, he, clahe, nlm, none, or a DiD ablation."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed of the diffusion sampler."),
        click.option("--linear", is_flag=True, help="The files hold linear (not sRGB) values, e.g. 16-bit linear PNGs."),
        click.option("--model", type=click.Path(dir_okay=False), default=None,
                     help="A DiD model.safetensors (default: the model shipped in the package)."),
        click.option("--quality", type=click.Choice(["fast", "full"]), default=None,
                     help="DiD sampling: fast (few steps at the upper scales) or full (18 Heun steps everywhere)."),
        click.option("--max-side", type=click.IntRange(min=0), default=None,
                     help="DiD works on a copy downscaled to this longer side (0: never downscale; default 1024)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_from_options(enhancer: str, device: str, model: str | None, quality: str | None,
                       max_side: int | None, **extra: Any):
    """Build the chosen enhancer with the options that apply to it."""
    from did_ocr.enhancers import build_enhancer

    opts: dict[str, Any] = {"device": device, **extra}
    for key, value in (("model", model), ("quality", quality), ("max_side", max_side)):
        if value is not None:
            opts[key] = value
    return build_enhancer(enhancer, **opts)


@dataclass
class Outcome:
    """Collects failures so the command can exit non-zero after processing everything."""

    failures: list[str] = field(default_factory=list)

    def exit(self) -> None:
        if self.failures:
            n = len(self.failures)
            click.echo(f"{n} input{'s' if n > 1 else ''} failed", err=True)
            sys.exit(2)


def for_each_input(paths: Iterable[str], work: Callable[[str], T], outcome: Outcome, progress: bool = False) -> list[tuple[str, T]]:
    """Run ``work`` on every path; failures become one stderr line each and are recorded in ``outcome``."""
    from tqdm import tqdm

    paths = list(paths)
    done: list[tuple[str, T]] = []
    bar = tqdm(paths, desc="images", unit="img", disable=not progress or len(paths) < 3, file=sys.stderr)

    def report(line: str) -> None:  # through tqdm, so an error line never lands inside the progress bar
        bar.write(f"error: {line}", file=sys.stderr)

    for path in bar:
        try:
            done.append((path, work(path)))
        except DidOcrError as exc:
            message = str(exc)
            report(message if message.startswith(str(path)) else f"{path}: {message}")
            outcome.failures.append(path)
        except (MemoryError, RuntimeError, ValueError, OSError) as exc:
            report(f"{path}: could not be processed ({type(exc).__name__}: {exc}); set DID_OCR_DEBUG=1 for details")
            if os.environ.get("DID_OCR_DEBUG"):
                traceback.print_exc()
            outcome.failures.append(path)
    return done
