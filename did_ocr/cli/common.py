"""What ``read`` and ``enhance`` share: options, enhancer building, inputs, per-file error handling, output names, timing.

Why: both commands take many photos at once, and one bad file among many
must not stop the others. :func:`for_each_input` runs a function per input,
turns a :class:`DidOcrError` (or an unexpected failure of a decoder or a
model) into one ``error: FILE: reason`` line on stderr, keeps the outcome of
every file in input order, and :func:`exit_if_failed` makes the command exit
with code 2 at the end if anything failed. :func:`expand_inputs` turns
folder arguments into the images they hold (sorted; ``-r``: subfolders too)
and :func:`input_bytes` reads ``-`` from standard input.

``did-ocr read --help`` imports this module: it must not import torch,
OpenCV or an OCR engine at module level (the commands import them when they run).
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Generic, Iterable, TypeVar

import click

from did_ocr.device import DEVICE_CHOICES
from did_ocr.enhancers.base import BACKENDS, DEFAULT_MAX_SIDE, DEFAULT_QUALITY, QUALITY_NAMES
from did_ocr.imaging.noise import MIN_NOISE_SIDE
from did_ocr.errors import PER_FILE_FAILURES, DidOcrError, empty_folder
from did_ocr.reading.settings import MIN_DETECT_SIDE, ReadSettings

#: every reading setting's default, declared once (did_ocr.reading.settings)
DEFAULTS = ReadSettings()

T = TypeVar("T")
#: below this many inputs no progress bar is shown (it would only flicker)
PROGRESS_MIN_FILES = 5


def enhancer_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--enhancer, --device, --seed, --linear, the DiD options, --threads (defaults: ReadSettings)."""
    options = [
        click.option("--enhancer", "-e", default=DEFAULTS.enhancer, show_default=True,
                     help="Enhancer: did (diffusion), did-fast, did-full, gain, gamma, he, clahe, nlm, none, "
                          "or a DiD ablation."),
        click.option("--device", type=click.Choice(DEVICE_CHOICES), default=DEFAULTS.device, show_default=True,
                     help="Where DiD and the OCR engine run; auto: CUDA if available."),
        click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True, help="Seed of the diffusion sampler."),
        click.option("--linear", is_flag=True, default=DEFAULTS.linear,
                     help="The files hold linear (not sRGB) values, e.g. 16-bit linear PNGs."),
        did_options,
        click.option("--threads", type=click.IntRange(min=1), default=DEFAULTS.threads,
                     help="CPU threads for the enhancer and the OCR engine (default: every core)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def did_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--model, --quality, --max-side, --backend: the options of the enhancers that take them (DiD), given to those only."""
    options = [
        click.option("--model", type=click.Path(dir_okay=False), default=DEFAULTS.model,
                     help="A DiD model.safetensors (default: the model shipped in the package)."),
        click.option("--quality", type=click.Choice(QUALITY_NAMES), default=DEFAULTS.quality,
                     help=f"DiD sampling: onestep (one denoiser evaluation per window; default {DEFAULT_QUALITY}), "
                          "fast (6 steps from the previous scale at the upper scales) or full (the published 18 Heun "
                          "steps everywhere)."),
        click.option("--max-side", type=click.IntRange(min=0), default=DEFAULTS.max_side,
                     help=f"DiD works on a copy downscaled to this longer side (0: never downscale; default "
                          f"{DEFAULT_MAX_SIDE}); a noisy capture also down to {MIN_NOISE_SIDE}, so that each "
                          "working pixel averages enough light."),
        click.option("--backend", type=click.Choice(BACKENDS), default=DEFAULTS.backend,
                     help="How DiD's network runs: onnx (ONNX Runtime, CPU, no torch import; needs the model's "
                          "export, which the shipped model has), torch, or auto (default: onnx where it can)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def settings_from(options: dict[str, Any]) -> ReadSettings:
    """The command's reading settings from its parameters, checked (one line and exit 2 when they cannot work).

    Every command hands the result on unchanged; which enhancer takes which
    option is decided there (:mod:`did_ocr.reading.settings`).
    """
    return ReadSettings.from_options(options).check()


def ocr_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--ocr: the OCR engine (read, serve; bench takes a list)."""
    from did_ocr.ocr.registry import ENGINES

    return click.option("--ocr", type=click.Choice(list(ENGINES)), default=DEFAULTS.ocr, show_default=True,
                        help="OCR engine: rapidocr (PP-OCR on ONNX Runtime, the models in its wheel) or easyocr "
                             "(CRAFT + english_g2, offline weights).")(func)


def ray_options(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--ray-address, --actors, --actor-threads (read --ray, bench --ray); ``what`` names an actor's work."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        options = [
            click.option("--ray-address", default=None, metavar="ADDRESS",
                         help="With --ray: join this Ray cluster (default: $RAY_ADDRESS, else a local Ray on this "
                              "machine)."),
            click.option("--actors", type=click.IntRange(min=1), default=1, show_default=True,
                         help=f"With --ray: how many {what} processes (each builds its models once)."),
            click.option("--actor-threads", type=click.IntRange(min=1), default=1, show_default=True,
                         help=f"With --ray: CPUs (torch/OpenCV threads) per {what} process."),
        ]
        for option in reversed(options):
            func = option(func)
        return func
    return decorate


def detect_side_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--detect-side: the longer side of the copy the text detector sees (read, serve)."""
    return click.option("--detect-side", type=click.IntRange(min=MIN_DETECT_SIDE), default=DEFAULTS.detect_side,
                        show_default=True,
                        help="The text detector sees a copy of the enhanced image whose longer side is at most N; "
                             "the words are read from the full-resolution image. Larger finds smaller text in "
                             "big photos, at more time and memory.")(func)


def refine_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--refine/--no-refine: re-read small words of reduced photos at full resolution (read, bench)."""
    return click.option("--refine/--no-refine", default=DEFAULTS.refine, show_default=True,
                        help="When DiD reconstructs a reduced copy (photos larger than --max-side), read each word "
                             "again from a full-resolution reconstruction of its own region.")(func)


def recursive_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """-r/--recursive: folder arguments include their subfolders."""
    return click.option("--recursive", "-r", is_flag=True,
                        help="Folder arguments: also read the images in their subfolders.")(func)


def expand_inputs(args: Iterable[str], recursive: bool = False) -> list[str]:
    """Arguments as the inputs to process: files as given, ``-`` (standard input), folders as their images.

    A folder gives its supported images (by extension, case-insensitive) in
    sorted order, with its subfolders when ``recursive``; a folder holding
    none stays in the list, so that processing it gives one error line.
    """
    from did_ocr.capture.load import IMAGE_EXTENSIONS, RAW_EXTENSIONS

    args = list(args)
    if args.count("-") > 1:
        raise DidOcrError("- (standard input) is given more than once; it can be read only once")
    known = IMAGE_EXTENSIONS | RAW_EXTENSIONS
    out: list[str] = []
    for arg in args:
        folder = Path(arg)
        if arg == "-" or not folder.is_dir():
            out.append(arg)
            continue
        found = sorted(p for p in (folder.rglob("*") if recursive else folder.iterdir())
                       if p.suffix.lower() in known and p.is_file() and not p.name.startswith("."))
        out.extend([str(p) for p in found] or [arg])
    return out


def input_bytes(path: str) -> bytes | None:
    """The bytes of ``-`` (standard input), or None for a file path (the pipeline loads it).

    Also turns a folder left without images by :func:`expand_inputs` into one clear error.
    """
    if path != "-":
        if Path(path).is_dir():
            raise empty_folder(path)
        return None
    if sys.stdin is None or sys.stdin.isatty():
        raise DidOcrError("-: standard input is a terminal; pipe an image in, e.g. `did-ocr read - < photo.jpg`")
    return sys.stdin.buffer.read()


@dataclass
class Processed(Generic[T]):
    """The outcome of one input: its result, or the one-line reason it failed."""

    path: str
    result: T | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def say(text: str = "", err: bool = False) -> None:
    """Print a line without tearing an active progress bar (tqdm clears and redraws it)."""
    from tqdm import tqdm

    tqdm.write(text, file=sys.stderr if err else sys.stdout)


def _reason(path: str, exc: Exception) -> str:
    """``FILE: reason`` for an error line, naming the file as the user typed it."""
    from did_ocr.errors import file_failure

    return f"{path}: {file_failure(path, exc)}"


def for_each_input(paths: Iterable[str], work: Callable[[str], T], progress: bool = True) -> list[Processed[T]]:
    """Run ``work`` on every path, in order; each failure becomes one ``error:`` line on stderr.

    A progress bar (stderr, terminals only) is shown when ``progress`` and
    there are at least :data:`PROGRESS_MIN_FILES` inputs.
    """
    from tqdm import tqdm

    paths = list(paths)
    many = progress and len(paths) >= PROGRESS_MIN_FILES
    outcomes: list[Processed[T]] = []
    for path in tqdm(paths, desc="images", unit="img", disable=None if many else True, file=sys.stderr):
        try:
            outcomes.append(Processed(path, result=work(path)))
        except (DidOcrError, *PER_FILE_FAILURES) as exc:
            reason = _reason(path, exc)
            say(f"error: {reason}", err=True)
            if os.environ.get("DID_OCR_DEBUG") and not isinstance(exc, DidOcrError):
                traceback.print_exc()
            outcomes.append(Processed(path, error=reason.removeprefix(f"{path}: ")))
    return outcomes


def exit_if_failed(outcomes: list[Processed[Any]]) -> None:
    """Exit with code 2 (after a count on stderr) when any input failed."""
    failed = sum(not o.ok for o in outcomes)
    if failed:
        click.echo(f"{failed} of {len(outcomes)} input{'s' if len(outcomes) > 1 else ''} failed", err=True)
        sys.exit(2)


def output_names(inputs: Iterable[str], out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Output PNG per input: ``OUT/<stem>.png``, made unique (``<stem>-1.png``...) when two inputs share a stem.

    Names are compared case-insensitively (macOS and Windows folders are), and an
    output never lands on one of the inputs: ``enhance a.png -o .`` writes ``a-1.png``.
    """
    out = Path(out_dir)
    inputs = list(inputs)
    taken = {_key(Path(p)) for p in inputs}  # never overwrite an input
    names: dict[str, Path] = {}
    for path in inputs:
        if path in names:
            continue
        stem = "stdin" if path == "-" else (Path(path).stem or "image")
        target, k = out / f"{stem}.png", 1
        while _key(target) in taken:
            target, k = out / f"{stem}-{k}.png", k + 1
        taken.add(_key(target))
        names[path] = target
    return names


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path)).casefold()


@dataclass
class Stopwatch:
    """Seconds per step (``load_s``, ``enhance_s``...) of one input, and the total."""

    start: float = field(default_factory=time.perf_counter)
    last: float = 0.0
    laps: dict[str, float] = field(default_factory=dict)

    def lap(self, name: str) -> None:
        """Record the time since the previous lap (or the start) as ``<name>_s``."""
        now = time.perf_counter()
        self.laps[f"{name}_s"] = round(now - (self.last or self.start), 3)
        self.last = now

    def add(self, seconds: dict[str, float]) -> None:
        """Record steps timed elsewhere (e.g. per-sample enhance/OCR totals); restarts the lap clock."""
        self.laps.update({k: round(v, 3) for k, v in seconds.items()})
        self.last = time.perf_counter()

    def timings(self) -> dict[str, float]:
        return {**self.laps, "total_s": round(time.perf_counter() - self.start, 3)}
